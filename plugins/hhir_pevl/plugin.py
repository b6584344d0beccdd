"""Plugin entry point of hhir_pevl: registrations are lazy "module:Class" strings."""
from pathlib import Path

from hhir_core.plugins import hookimpl

_M = "hhir_pevl"


@hookimpl
def hhir_register(register):
    register("model", "PeVLRecognizer", f"{_M}.recognizer:PeVLRecognizer")
    register("branch_encoder", "CLIPVideoEncoder", f"{_M}.video_encoder:CLIPVideoEncoder")
    register("branch_encoder", "PoseTransformerEncoder", f"{_M}.pose_encoder:PoseTransformerEncoder")
    register("branch_encoder", "SharedCLIPPoseEncoder", f"{_M}.pose_encoder:SharedCLIPPoseEncoder")
    register("pose_source", "AnnotationPoseSource", f"{_M}.pose_sources:AnnotationPoseSource")
    register("pose_source", "ViTPoseSource", f"{_M}.pose_sources:ViTPoseSource")
    register("pose_source", "MMPoseSource", f"{_M}.pose_sources:MMPoseSource")
    register("dataset", "VideoPoseDataset", f"{_M}.video_pose:VideoPoseDataset")


@hookimpl
def hhir_config_dir():
    """This plugin's configs, addressable as ``hhir_pevl::<file>.py`` (also from ``_base_``)."""
    return str(Path(__file__).parent / "configs")


@hookimpl
def hhir_contract():
    """Role-contract versions this plugin is written against (hhir_core.interfaces.CONTRACT_VERSION)."""
    return ">=2.1,<3"
