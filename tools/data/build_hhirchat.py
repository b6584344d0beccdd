#!/usr/bin/env python
"""Build an HHIRChat dataset (JSON + three branch clips and the whole clip per video) from labelled videos.

    python tools/data/build_hhirchat.py VIDEO_DIR --labels labels.csv --out DIR
        [--descriptions descriptions.json | --template "Two people are {label}." ...]
        [--val-fraction 0.2] [--segmenter OpenCVPersonSegmenter] [--max-side 320]

labels.csv: one ``<video file name>,<class name>`` per line (a header line ``video,label`` is
allowed). descriptions.json: ``{"<video stem>": ["description", ...]}`` (the first one is the
reference); without it, each ``--template`` (with ``{label}``) gives a description, chosen
per video deterministically. Writes DIR/branches/<stem>_{p1,p2,bg}.mp4 (persons, background),
DIR/branches/<stem>_video.mp4 (the whole clip, for the single-branch configs),
DIR/hhirchat_train.json, DIR/hhirchat_val.json (deterministic split by file-name hash) and
DIR/classes.json (``[{"label": i, "name": ...}]``).
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
from pathlib import Path

QUESTION = "Describe interaction between <p1> and <p2> in <bg>?"
ONE_WORD = "Describe the activity in one word."


def read_labels(path: Path) -> list[tuple[str, str]]:
    """``[(video file name, class name)]`` from a two-column CSV."""
    from hhir_core.errors import DataError

    rows = []
    with open(path, newline="", encoding="utf-8") as fh:
        for i, row in enumerate(csv.reader(fh)):
            if not row or row[0].startswith("#"):
                continue
            if i == 0 and [c.strip().lower() for c in row[:2]] == ["video", "label"]:
                continue
            if len(row) < 2 or not row[1].strip():
                raise DataError(f"{path}:{i + 1}: expected '<video>,<class name>', got {row!r}")
            rows.append((row[0].strip(), row[1].strip()))
    if not rows:
        raise DataError(f"{path}: no labelled videos")
    return rows


def one_word(label: str) -> str:
    """A one-word answer for the second turn: the class name's first word, capitalised."""
    word = label.replace("/", " ").split()[0]
    return word[:1].upper() + word[1:] + "."


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("video_dir", help='folder of labelled videos')
    ap.add_argument("--labels", required=True, help="CSV of '<video file name>,<class name>' lines")
    ap.add_argument("--out", required=True, help='output folder (JSON files + branches/)')
    ap.add_argument("--descriptions", default=None, help='JSON {video stem: [descriptions]} (first = reference)')
    ap.add_argument("--template", action="append", default=[], help='description template with {label} (repeatable)')
    ap.add_argument("--val-fraction", type=float, default=0.2, help='share of videos in the validation split')
    ap.add_argument("--segmenter", default="OpenCVPersonSegmenter", help='registered segmenter that splits the branches')
    ap.add_argument("--max-side", type=int, default=320, help='downscale branch clips to this longer side')
    ap.add_argument("--source", default="custom", help="source dataset name stored per record")
    args = ap.parse_args(argv)

    import cv2

    from hhir_core.errors import DataError, HHIRError
    from hhir_core.registry import build

    cv2.setNumThreads(1)
    try:
        import numpy as np

        from hhir_ov_hhir.branches import branch_frames, read_video, write_clip

        rows = read_labels(Path(args.labels))
        descs = json.loads(Path(args.descriptions).read_text(encoding="utf-8")) if args.descriptions else None
        templates = args.template or ["Two people are {label}."]
        if descs is None and not all("{label}" in t for t in templates):
            raise DataError("every --template must contain {label}")
        names = []
        for _, lab in rows:
            if lab not in names:
                names.append(lab)
        out = Path(args.out)
        seg = build("segmenter", dict(type=args.segmenter))
        parts = {"train": [], "val": []}
        for fname, lab in rows:
            video = Path(args.video_dir) / fname
            stem = video.stem
            if descs is not None:
                d = descs.get(stem)
                if not d or not isinstance(d, list) or not all(isinstance(x, str) and x.strip() for x in d):
                    raise DataError(f"{args.descriptions}: no non-empty description list for video {stem!r}")
                description = d[0]
            else:
                h = int(hashlib.sha1(stem.encode()).hexdigest(), 16)
                description = templates[h % len(templates)].format(label=lab)
            clip = read_video(video)
            tracks = seg.segment(clip, num_persons=2)
            rec = {"id": stem, "label": names.index(lab), "label_name": lab, "source": args.source,
                   "conversations": [{"from": "human", "value": QUESTION}, {"from": "gpt", "value": description},
                                     {"from": "human", "value": ONE_WORD}, {"from": "gpt", "value": one_word(lab)}]}
            # the three branch clips, and the whole clip for the single-branch (whole-video) configs
            streams = dict(branch_frames(clip, tracks), video=np.asarray(clip.frames))
            for b, frames in streams.items():
                rel = f"branches/{stem}_{b}.mp4"
                write_clip(out / rel, frames, clip.fps, args.max_side)
                rec[b] = rel
            frac = int(hashlib.md5(stem.encode()).hexdigest(), 16) % 1000 / 1000.0
            parts["val" if frac < args.val_fraction else "train"].append(rec)
            print(f"{stem}: {lab}")
        for part, recs in parts.items():
            (out / f"hhirchat_{part}.json").write_text(json.dumps(recs, indent=1, ensure_ascii=False))
        (out / "classes.json").write_text(json.dumps([{"label": i, "name": n} for i, n in enumerate(names)], indent=1))
        print(f"wrote {len(parts['train'])} train / {len(parts['val'])} val records and branch clips to {out}")
    except HHIRError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
