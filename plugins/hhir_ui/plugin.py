"""Adds ``hhir ui`` to the ``hhir`` command; registers no components."""
from __future__ import annotations

from typing import Any

from hhir_core.plugins import hookimpl


@hookimpl
def hhir_register_commands(subparsers: Any) -> None:
    from .page import add_ui_parser  # argparse only; gradio is imported when the page starts

    add_ui_parser(subparsers)


@hookimpl
def hhir_contract() -> str:
    """Role-contract versions this plugin is written against (hhir_core.interfaces.CONTRACT_VERSION)."""
    return ">=2.0,<3"
