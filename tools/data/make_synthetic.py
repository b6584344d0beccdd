#!/usr/bin/env python
"""Generate the synthetic NTU-format benchmark (the hhir_synthetic plugin; see docs/synthetic.md).

Example:
    python tools/data/make_synthetic.py --out data/synthetic --num-samples 2000 --seed 0
    python tools/data/make_synthetic.py --out data/synth_video --num-samples 500 --render
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", help="output folder (created; regenerated only if parameters change); "
                   "required unless --list-classes")
    p.add_argument("--num-samples", type=int, default=2000, help='number of clips')
    p.add_argument("--seed", type=int, default=0, help='generator seed (same seed, same data)')
    p.add_argument("--render", action="store_true", help="also write videos, masks, branch clips and HHIRChat JSON")
    p.add_argument("--classes", nargs="+", default=None,
                   help="NTU 0-based labels, A-codes (A050) or exact names; default: all generator classes")
    p.add_argument("--size", type=int, default=112, help="rendered frame size in pixels (square)")
    p.add_argument("--difficulty", type=float, default=0.5, help="0 = clean, 1 = very noisy/ambiguous")
    p.add_argument("--frames", type=int, nargs=2, default=(40, 72), metavar=("MIN", "MAX"), help='clip length range in frames')
    p.add_argument("--workers", type=int, default=None, help="processes (default: min(2, cpus))")
    p.add_argument("--list-classes", action="store_true", help="print the generator's classes and exit")
    a = p.parse_args(argv)

    from hhir_core.errors import HHIRError
    from hhir_synthetic.classes import CLASS_TABLE
    from hhir_synthetic.generator import ensure_synthetic

    if a.list_classes:
        try:
            for c in CLASS_TABLE.values():
                print(f"{c.label:4d}  A{c.label + 1:03d}  {'2p' if c.two_person else '1p'}  {c.name}")
            sys.stdout.flush()
        except BrokenPipeError:  # `--list-classes | head`: the reader left; exit quietly
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # (Python docs, signal)
        return 0
    if not a.out:
        p.error("--out is required (the folder to write), e.g. --out data/my_synthetic")
    t0 = time.time()
    try:
        out = ensure_synthetic(a.out, num_samples=a.num_samples, seed=a.seed, render=a.render,
                               classes=a.classes, difficulty=a.difficulty, size=a.size,
                               frames=tuple(a.frames), workers=a.workers, progress=True)
    except HHIRError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    man = json.loads((out / "manifest.json").read_text())
    print(f"{out}: {man['num_samples']} samples, splits {man['counts']} "
          f"(generated in {man['seconds']} s; this call {time.time() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
