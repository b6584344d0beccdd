#!/usr/bin/env python
"""Export an annotation pickle to the packed, pickle-free layout (``.npy`` + ``meta.json``).

    python tools/data/pack_annotations.py data/ntu120/ntu120_3danno.pkl data/ntu120/ntu120_3d_packed

The pickle is read with the restricted loader (data types only). The output folder
can be given anywhere a config takes ``ann_file`` (the skeleton and pose datasets read
it directly) and can be shared without the risks of pickles. See docs/data.md.
"""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path
from typing import Optional, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run from a clone without install

from hhir_core.data.ntu import pack_annotations  # noqa: E402
from hhir_core.errors import HHIRError  # noqa: E402


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("pickle", type=Path, help="annotation pickle (mmaction2/pyskl/NTU format)")
    ap.add_argument("out_dir", type=Path, help="folder to create (must not exist)")
    ap.add_argument("--num-joints", type=int, default=25,
                    help="expected joints per person (25 NTU, 17 COCO 2-D); 0 = any")
    ap.add_argument("--dtype", choices=["float16", "float32"], default=None,
                    help="storage dtype (default: keep the file's)")
    args = ap.parse_args(argv)
    if args.out_dir.exists():
        print(f"error: {args.out_dir} already exists", file=sys.stderr)
        return 1
    tmp = args.out_dir.with_name(args.out_dir.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        meta = pack_annotations(args.pickle, tmp, num_joints=args.num_joints or None,
                                dtype=args.dtype)
    except HHIRError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        print(f"error: {exc}", file=sys.stderr)
        return 1
    tmp.rename(args.out_dir)
    print(f"wrote {args.out_dir}: {meta['num_samples']} samples, {len(meta['bad'])} bad left "
          f"out; splits: {', '.join(meta['splits']) or '(none)'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
