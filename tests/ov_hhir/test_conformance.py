"""The conformance kit on the OV-HHIR role components."""
import pytest

from hhir_core.testing import assert_conforms


@pytest.mark.slow
@pytest.mark.parametrize("path", ["hhir_ov_hhir.segmenters:OpenCVPersonSegmenter",
                                  "hhir_ov_hhir.segmenters:GroundTruthMaskSegmenter",
                                  "hhir_ov_hhir.sam2_segmenter:Sam2Segmenter",
                                  "hhir_ov_hhir.encoders:VideoQFormerBranch"])
def test_conforms(path):
    import importlib
    mod, _, name = path.partition(":")
    assert_conforms(getattr(importlib.import_module(mod), name))
