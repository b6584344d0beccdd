"""Argument handling shared by tools/train.py and tools/test.py."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a clone without install


def add_common_args(parser: argparse.ArgumentParser) -> None:
    from mmengine.config import DictAction

    parser.add_argument("config", help="config file, or plugin::path/to/config.py")
    parser.add_argument("--work-dir", help="where logs, checkpoints and metrics go")
    parser.add_argument("--data", metavar="DIR",
                        help="read the data from DIR instead of the config's data_root (every "
                             "dataloader at once; the config's own data-generation step is skipped)")
    parser.add_argument("--cfg-options", nargs="+", action=DictAction, default={},
                        help="override config keys, e.g. model.tokenizer.type=EuclideanVQTokenizer")
    parser.add_argument("--launcher", choices=["none", "pytorch", "slurm"], default="none",
                        help="job launcher for distributed runs (tools/dist_train.sh sets pytorch)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: the config's, else 0)")
    parser.add_argument("--deterministic", action="store_true",
                        help="deterministic cuDNN/torch algorithms (slower)")
    parser.add_argument("--local_rank", "--local-rank", type=int, default=0,
                        help="set by torchrun; do not pass by hand")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="show mmengine's environment/config tables and interval logs on the "
                             "console (they always go to the log file)")
    parser.add_argument("--skip-check", action="store_true",
                        help="do not check first that the config's models and data exist (hhir check)")


def options_from(args: argparse.Namespace):
    from hhir_core.engine.runner import RunOptions

    if args.verbose:
        os.environ["HHIR_VERBOSE"] = "1"
    if "LOCAL_RANK" not in os.environ:
        os.environ["LOCAL_RANK"] = str(args.local_rank)
    return RunOptions(work_dir=args.work_dir, resume=getattr(args, "resume", None),
                      amp=getattr(args, "amp", False), launcher=args.launcher, seed=args.seed,
                      deterministic=args.deterministic, stage=getattr(args, "stage", None),
                      cfg_options=dict(args.cfg_options or {}),
                      tensorboard=getattr(args, "tensorboard", False), data=args.data)


def parse(parser: argparse.ArgumentParser, argv=None):
    """Parse; a malformed ``--cfg-options`` is one clear error, not a traceback."""
    try:
        return parser.parse_args(argv)
    except (ValueError, AssertionError, RecursionError) as exc:
        print(f"error: could not parse the command line (--cfg-options?): {exc}", file=sys.stderr)
        raise SystemExit(2) from None
