#!/usr/bin/env python
"""Convert raw NTU RGB+D ``.skeleton`` files into an annotation pickle.

    python tools/data/ntu_skeleton_to_pkl.py RAW_DIR --out data/ntu120/ntu120_3danno.pkl \
        [--missing NTU_RGBD120_samples_with_missing_skeletons.txt ...] \
        [--version ntu120|ntu60] [--kind 3d|2d] [--max-bodies 2] [--workers 2]

Keeps the ``--max-bodies`` most active bodies (motion variance, as the reference
converters), writes the standard splits (cross-subject, cross-view, cross-setup for
NTU120) from the project's protocol data, and skips files named in the official
missing-skeleton lists. A malformed file is reported and skipped (``--strict``
stops instead). See docs/data.md.
"""
from __future__ import annotations

import argparse
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from hhir_core.data.ntu_classes import standard_splits
from hhir_core.data.ntu_raw import read_missing_list, read_skeleton_file, skeleton_to_annotation
from hhir_core.data.safe_pickle import dump_plain
from hhir_core.errors import DataError, HHIRError


def _convert_one(args: Tuple[str, int, str]) -> Tuple[str, Optional[Dict], str]:
    path, max_bodies, kind = args
    try:
        raw = read_skeleton_file(path)
        anno = skeleton_to_annotation(raw, max_bodies=max_bodies, kind=kind)
    except DataError as exc:
        return path, None, str(exc)
    except Exception as exc:  # anything else about one file must not stop the others
        return path, None, f"{path}: cannot convert ({type(exc).__name__}: {exc})"
    if anno["keypoint"].shape[0] == 0:
        why = ("it has no frames" if raw.num_frames == 0 else "it has no body" if not raw.bodies
               else "every body's joints are all zero")
        return path, None, f"{path}: empty skeleton ({why})"
    return path, anno, ""


def convert(raw_dir: Path, out: Path, missing: Sequence[Path] = (), version: str = "ntu120",
            kind: str = "3d", max_bodies: int = 2, workers: int = 1, strict: bool = False) -> Dict:
    """Convert every ``*.skeleton`` under ``raw_dir``; returns the written dict."""
    if not raw_dir.is_dir():
        raise DataError(f"raw skeleton folder {str(raw_dir)!r} does not exist")
    skip = set()
    for m in missing:
        skip |= set(read_missing_list(m))
    files = sorted(p for p in raw_dir.rglob("*.skeleton") if p.name.split(".")[0] not in skip)
    if not files:
        raise DataError(f"no .skeleton files in {str(raw_dir)!r} (after removing "
                        f"{len(skip)} missing-list names)")
    if version == "ntu60":  # NTU60 = setups 1..17 (actions 1..60)
        files = [p for p in files if int(p.name[1:4]) <= 17]
    jobs = [(str(p), max_bodies, kind) for p in files]
    annos: List[Dict] = []
    failures: List[str] = []
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            results = list(pool.map(_convert_one, jobs, chunksize=64))
    else:
        results = [_convert_one(j) for j in jobs]
    for path, anno, err in results:
        if anno is None:
            if strict:
                raise DataError(err)
            failures.append(err)
            print(f"skipped: {err}", file=sys.stderr)
        else:
            annos.append(anno)
    if not annos:
        raise DataError(f"no usable skeleton in {str(raw_dir)!r}: all {len(failures)} file(s) "
                        f"were skipped (first: {failures[0]}); nothing written")
    data = dict(split=standard_splits([a["frame_dir"] for a in annos], version=version),
                annotations=annos)
    out.parent.mkdir(parents=True, exist_ok=True)
    dump_plain(data, out)
    print(f"wrote {out}: {len(annos)} samples, {len(failures)} skipped, {len(skip)} on missing "
          f"lists; splits: " + ", ".join(f"{k}={len(v)}" for k, v in data["split"].items()))
    return data


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("raw_dir", type=Path, help="folder with .skeleton files (searched recursively)")
    ap.add_argument("--out", type=Path, required=True, help="output .pkl")
    ap.add_argument("--missing", type=Path, nargs="*", default=[],
                    help="official missing-skeleton list(s) to skip")
    ap.add_argument("--version", choices=["ntu60", "ntu120"], default="ntu120", help='ntu60 keeps setups 1-17 only')
    ap.add_argument("--kind", choices=["3d", "2d"], default="3d", help='3d: camera-space joints; 2d: colour-pixel joints + scores')
    ap.add_argument("--max-bodies", type=int, default=2, help='bodies kept per sample (the most active)')
    ap.add_argument("--workers", type=int, default=1, help='parallel reader processes')
    ap.add_argument("--strict", action="store_true", help="stop at the first malformed file")
    args = ap.parse_args(argv)
    try:
        convert(args.raw_dir, args.out, args.missing, args.version, args.kind, args.max_bodies,
                args.workers, args.strict)
    except HHIRError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
