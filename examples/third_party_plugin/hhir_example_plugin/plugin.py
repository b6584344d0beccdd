"""Entry point of the plugin (``[project.entry-points."hhir.plugins"]``).

Registrations are lazy ``"module:Class"`` strings, so ``hhir plugins list``
imports nothing heavy from this plugin.
"""
from pathlib import Path

from hhir_core.plugins import hookimpl


@hookimpl
def hhir_register(register):
    register("tokenizer", "GRUSkeletonTokenizer",
             "hhir_example_plugin.gru_tokenizer:GRUSkeletonTokenizer")


@hookimpl
def hhir_config_dir():
    """Configs addressable as ``hhir_example_plugin::<file>.py``."""
    return str(Path(__file__).parent / "configs")


@hookimpl
def hhir_requires():
    return ["hhir>=0.1,<0.2"]


@hookimpl
def hhir_contract():
    """Role-contract versions this plugin is written against (hhir_core.interfaces.CONTRACT_VERSION)."""
    return ">=2.0,<3"
