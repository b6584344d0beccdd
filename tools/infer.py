#!/usr/bin/env python
"""Inference on one input with a trained model: a thin wrapper of ``hhir infer``.

    python tools/infer.py CONFIG_OR_WORKDIR [CHECKPOINT] INPUT [hhir infer options]

With a checkpoint (the older form ``tools/infer.py CONFIG CHECKPOINT VIDEO``) it is passed
as ``--checkpoint``. Besides ``hhir infer``'s output it prints ``description: ...`` (for
methods that generate text) and ``label: ...`` lines.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a clone without install


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    positional = [a for a in argv if not a.startswith("-")]
    if len(positional) >= 3 and positional[1].endswith((".pth", ".pt")):
        argv.remove(positional[1])
        argv += ["--checkpoint", positional[1]]
    import argparse

    from hhir_core.apis.cli import add_infer_parser
    from hhir_core.errors import HHIRError

    parser = argparse.ArgumentParser(prog="tools/infer.py", description=__doc__.splitlines()[0])
    add_infer_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["infer"] + argv)
    args.legacy_lines = True
    try:
        return args.func(args)
    except HHIRError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
