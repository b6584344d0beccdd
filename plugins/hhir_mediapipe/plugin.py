"""Plugin entry point of hhir_mediapipe: registrations are lazy "module:Class" strings."""
from hhir_core.plugins import hookimpl

_M = "hhir_mediapipe"


@hookimpl
def hhir_register(register):
    register("pose_source", "MediaPipePoseSource", f"{_M}.pose_source:MediaPipePoseSource")
    register("segmenter", "MediaPipePersonSegmenter", f"{_M}.segmenter:MediaPipePersonSegmenter")


@hookimpl
def hhir_contract():
    """Role-contract versions this plugin is written against (hhir_core.interfaces.CONTRACT_VERSION)."""
    return ">=2.0,<3"
