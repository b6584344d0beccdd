"""Plugin entry point of hhir_ov_hhir: registrations are lazy "module:Class" strings."""
from pathlib import Path

from hhir_core.plugins import hookimpl


@hookimpl
def hhir_register(register):
    register("segmenter", "OpenCVPersonSegmenter", "hhir_ov_hhir.segmenters:OpenCVPersonSegmenter")
    register("segmenter", "GroundTruthMaskSegmenter", "hhir_ov_hhir.segmenters:GroundTruthMaskSegmenter")
    register("segmenter", "Sam2Segmenter", "hhir_ov_hhir.sam2_segmenter:Sam2Segmenter")
    register("branch_encoder", "VideoQFormerBranch", "hhir_ov_hhir.encoders:VideoQFormerBranch")
    register("model", "OVHHIRRecognizer", "hhir_ov_hhir.recognizer:OVHHIRRecognizer")
    register("metric", "OVHHIRMetric", "hhir_ov_hhir.metrics:OVHHIRMetric")
    register("dataset", "HHIRChatDataset", "hhir_ov_hhir.hhirchat:HHIRChatDataset")


@hookimpl
def hhir_config_dir():
    """This plugin's configs, addressable as ``hhir_ov_hhir::<file>.py`` (also from ``_base_``)."""
    return str(Path(__file__).parent / "configs")


@hookimpl
def hhir_contract():
    """Role-contract versions this plugin is written against (hhir_core.interfaces.CONTRACT_VERSION)."""
    return ">=2.0,<3"
