"""SKI-LVLM on a tiny random LLaMA: only projectors train, skeleton tokens dropped at inference."""
import pytest
import torch

from hhir_core.errors import DataError, HHIRError


def _lvlm(**kw):
    try:
        from hhir_core.llm import CausalLMHead
    except ImportError as exc:
        pytest.skip(f"hhir_core.llm.CausalLMHead not available: {exc}")
    from hhir_ski.lvlm import SKILVLM
    torch.manual_seed(0)
    cfg = dict(
        video_encoder=dict(type="CLIPFrameEncoder",
                           model=dict(tiny=True, hidden_size=32, intermediate_size=64,
                                      num_hidden_layers=1, num_attention_heads=2, image_size=32,
                                      patch_size=16, projection_dim=16)),
        skeleton_encoder=dict(type="GraphAttentionSkeletonEncoder", embed_dim=16, depth=1, heads=2,
                              max_frames=32),
        llm=CausalLMHead.tiny(lora=None), test_classes=[0, 1], class_names=["clapping", "waving"],
        max_new_tokens=3)
    cfg.update(kw)
    return SKILVLM(**cfg)


def _batch(b=2, skeleton=True):
    g = torch.Generator().manual_seed(0)
    out = dict(imgs=torch.randn(b, 2, 3, 32, 32, generator=g), label=torch.tensor([0, 1][:b]),
               text=["a person claps.", "someone waves a hand."][:b])
    if skeleton:
        out["keypoint"] = torch.randn(b, 1, 8, 25, 3, generator=g)
    return out


def test_only_projectors_train_and_receive_gradients():
    m = _lvlm()
    trainable = {n.split(".")[0] for n, p in m.named_parameters() if p.requires_grad}
    assert trainable == {"video_projector", "skeleton_projector"}
    m.train()
    loss = m(mode="loss", **_batch())["loss_lm"]
    assert torch.isfinite(loss)
    loss.backward()
    assert m.video_projector.weight.grad.abs().sum() > 0
    assert m.skeleton_projector.weight.grad.abs().sum() > 0
    assert all(p.grad is None for p in m.llm.parameters())


def test_inference_drops_skeleton_tokens():
    m = _lvlm().eval()
    b = _batch(skeleton=False)
    preds = m(mode="predict", **b)
    assert len(preds) == 2 and isinstance(preds[0]["pred_text"], str)
    assert preds[0]["pred_scores"].shape == (2,)
    with pytest.raises(DataError, match="video alone"):
        m(mode="predict", **_batch(skeleton=True))
    # the skeleton projector plays no part in prediction
    before = preds[0]["pred_scores"]
    torch.nn.init.normal_(m.skeleton_projector.weight)
    assert torch.equal(before, m(mode="predict", **b)[0]["pred_scores"])


def test_prompt_checks():
    with pytest.raises(HHIRError, match="skeleton"):
        _lvlm(inference_prompt="<video> <skeleton> what?")
    with pytest.raises(HHIRError, match="placeholders"):
        _lvlm(prompt="<video> what?")
