"""Adds ``hhir estimate`` to the ``hhir`` command; registers no components."""
from __future__ import annotations

import argparse
from typing import Any

from hhir_core.plugins import hookimpl


def _estimate(args: argparse.Namespace) -> int:
    from .estimate import estimate, render, schedule_line  # heavy: imported only here

    est = estimate(args.config, args.cfg_options or None, gpus=args.gpus)
    if not args.markdown:
        print(f"{args.config}: {schedule_line(est)}")
    print(render(est, gpus=args.gpus, mfu=args.mfu, markdown=args.markdown))
    return 0


@hookimpl
def hhir_register_commands(subparsers: Any) -> None:
    from mmengine.config import DictAction

    est = subparsers.add_parser("estimate", help="parameters, checkpoint size, memory per GPU, "
                                "FLOPs and schedule time of a config, worked out on the meta "
                                "device (no download)")
    est.add_argument("config", help="config file, or plugin::path/to/config.py")
    est.add_argument("--gpus", type=int, default=8, help="GPUs for FSDP and the schedule time")
    est.add_argument("--mfu", type=float, default=0.4,
                     help="model FLOPs utilisation assumed for the schedule time")
    est.add_argument("--markdown", action="store_true", help="print a Markdown table")
    est.add_argument("--cfg-options", nargs="+", action=DictAction, default={},
                     help="override config keys first")
    est.set_defaults(func=_estimate)


@hookimpl
def hhir_contract() -> str:
    """Role-contract versions this plugin is written against (hhir_core.interfaces.CONTRACT_VERSION)."""
    return ">=2.0,<3"
