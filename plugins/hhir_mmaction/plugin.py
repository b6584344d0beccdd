"""Plugin entry point of hhir_mmaction (registrations are lazy strings)."""
from pathlib import Path

from hhir_core.plugins import hookimpl

_COMPONENTS = [
    ("branch_encoder", "STGCNEncoder", "hhir_mmaction.encoders:STGCNEncoder"),
    ("branch_encoder", "AAGCNEncoder", "hhir_mmaction.encoders:AAGCNEncoder"),
    ("model", "SkeletonRecognizer", "hhir_mmaction.recognizer:SkeletonRecognizer"),
]


@hookimpl
def hhir_register(register):
    for role, name, target in _COMPONENTS:
        register(role, name, target)


@hookimpl
def hhir_requires():
    return ["mmaction2==1.2.0", "mmcv-lite>=2.0,<2.2"]


@hookimpl
def hhir_config_dir():
    """This plugin's configs, addressable as ``hhir_mmaction::<file>.py`` (also from ``_base_``)."""
    return str(Path(__file__).parent / "configs")


@hookimpl
def hhir_contract():
    """Role-contract versions this plugin is written against (hhir_core.interfaces.CONTRACT_VERSION)."""
    return ">=2.0,<3"
