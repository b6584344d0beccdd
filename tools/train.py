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
    parser.add_argument("--tensorboard", action="store_true",
                        help="also log to TensorBoard (tensorboard --logdir WORK_DIR)")
    parser.add_argument("--stage", help="re-run only this stage of a multi-stage config")
    args = parse(parser, argv)

    from hhir_core.engine.console import summary_line
    from hhir_core.engine.runner import prepare_config, run_cli, train
    from hhir_core.preflight import require_ready

    opts = options_from(args)

    def run() -> None:
        cfg = prepare_config(args.config, opts, for_training=True)
        if not args.skip_check:
            require_ready(args.config, cfg)
        metrics = train(cfg, opts)
        print(f"[hhir] done: {summary_line(metrics)}\n[hhir] work dir: {cfg.work_dir} "
              "(curves.png, metrics.json, logs)", flush=True)

    return run_cli(run)


if __name__ == "__main__":
    sys.exit(main())
