"""Plugin entry point of hhir_ski: registrations are lazy "module:Class" strings."""
from pathlib import Path

from hhir_core.plugins import hookimpl

_COMPONENTS = [
    ("branch_encoder", "GraphAttentionSkeletonEncoder",
     "hhir_ski.skeleton_encoder:GraphAttentionSkeletonEncoder"),
    ("branch_encoder", "CLIPFrameEncoder", "hhir_ski.video_encoder:CLIPFrameEncoder"),
    ("distiller", "SkeletonCLIPDistiller", "hhir_ski.distiller:SkeletonCLIPDistiller"),
    ("model", "SKIRecognizer", "hhir_ski.recognizer:SKIRecognizer"),
    ("model", "SkeletonCLIPRecognizer", "hhir_ski.recognizer:SkeletonCLIPRecognizer"),
    ("model", "VideoCLIPRecognizer", "hhir_ski.recognizer:VideoCLIPRecognizer"),
    ("model", "SKIVLMRecognizer", "hhir_ski.recognizer:SKIVLMRecognizer"),
    ("model", "SKILVLM", "hhir_ski.lvlm:SKILVLM"),
    ("dataset", "VideoSkeletonDataset", "hhir_ski.video_skeleton:VideoSkeletonDataset"),
    ("dataset", "CachedVideoSkeletonDataset",
     "hhir_ski.cached_video_dataset:CachedVideoSkeletonDataset"),
]


@hookimpl
def hhir_register(register):
    for role, name, target in _COMPONENTS:
        register(role, name, target)


@hookimpl
def hhir_config_dir():
    """This plugin's configs, addressable as ``hhir_ski::<file>.py`` (also from ``_base_``)."""
    return str(Path(__file__).parent / "configs")


@hookimpl
def hhir_contract():
    """Role-contract versions this plugin is written against (hhir_core.interfaces.CONTRACT_VERSION)."""
    return ">=2.0,<3"
