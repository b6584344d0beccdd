"""How much a branch's soft tokens depend on the clip, at the mini config's Q-Former settings.

docs/ov_hhir.md ("Where the clip is lost"): the mini's randomly initialised Q-Former (BERT
initialisation, std 0.02) gives two different clips almost the same soft tokens, so the
describer writes one string for every clip. These tests pin that measurement and the knob
that controls it (``qformer.initializer_range``).
"""
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[2]


def _mini_branch(**qformer_overrides):
    from hhir_core.config import load_config
    from hhir_ov_hhir.encoders import VideoQFormerBranch

    cfg = load_config(str(ROOT / "configs" / "ov_hhir_synthetic_mini.py"))
    branch = cfg.model.branch.to_dict()
    branch.pop("type", None)
    branch["qformer"] = {**branch["qformer"], **qformer_overrides}
    torch.manual_seed(0)
    return VideoQFormerBranch(llm_dim=576, **branch).eval()


def _cosine_between_two_clips(branch) -> float:
    x = torch.randn(2, 4, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        soft = branch(x).flatten(1)
    return float(torch.nn.functional.cosine_similarity(soft[0], soft[1], dim=0))


def test_mini_qformer_soft_tokens_barely_depend_on_the_clip():
    branch = _mini_branch()
    assert branch.qformer.config.initializer_range == 0.02  # BERT's default, what the mini uses
    assert _cosine_between_two_clips(branch) > 0.999


def test_larger_qformer_init_makes_soft_tokens_depend_on_the_clip():
    assert _cosine_between_two_clips(_mini_branch(initializer_range=0.1)) < 0.99
