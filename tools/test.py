#!/usr/bin/env python
"""Evaluate a checkpoint: ``python tools/test.py CONFIG CHECKPOINT [--work-dir D]``."""
from __future__ import annotations

import argparse
import json
import sys

from _common import add_common_args, options_from, parse


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_args(parser)
    parser.add_argument("checkpoint", help="checkpoint file (.pth) to evaluate")
    args = parse(parser, argv)

    from hhir_core.engine.console import summary_line
    from hhir_core.engine.runner import prepare_config, run_cli, test
    from hhir_core.preflight import require_ready

    opts = options_from(args)

    def run() -> None:
        cfg = prepare_config(args.config, opts, for_training=False)
        if not args.skip_check:
            require_ready(args.config, cfg)
        metrics = test(cfg, args.checkpoint, opts)
        print(json.dumps(metrics, indent=2, sort_keys=True))
        print(f"[hhir] test: {summary_line(metrics)}", file=sys.stderr, flush=True)

    return run_cli(run)


if __name__ == "__main__":
    sys.exit(main())
