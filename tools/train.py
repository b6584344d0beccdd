#!/usr/bin/env python
"""Train a config: ``python tools/train.py CONFIG [--work-dir D] [--resume [auto|PATH]] ...``

Multi-stage configs run every stage in order; ``--stage NAME`` re-runs one stage
from the previous stage's checkpoint. Writes provenance.json and metrics.json.
"""
from __future__ import annotations

import argparse
import sys

from _common import add_common_args, options_from, parse


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_args(parser)
    parser.add_argument("--resume", nargs="?", const="auto", default=None,
                        help="'auto' (default when given alone) continues from the last "
                             "checkpoint in the work dir; or a checkpoint path")
    parser.add_argument("--amp", action="store_true", help="mixed precision (CUDA)")
    parser.add_argument("--stage", help="re-run only this stage of a multi-stage config")
    args = parse(parser, argv)

    from hhir_core.engine.runner import prepare_config, run_cli, train

    opts = options_from(args)

    def run() -> None:
        cfg = prepare_config(args.config, opts, for_training=True)
        metrics = train(cfg, opts)
        if metrics:
            shown = ", ".join(f"{k}={v:.4g}" for k, v in sorted(metrics.items()) if "/" not in k)
            print(f"[hhir] done: {shown}\n[hhir] work dir: {cfg.work_dir}", flush=True)

    return run_cli(run)


if __name__ == "__main__":
    sys.exit(main())
