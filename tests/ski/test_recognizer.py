"""SKI recognizers on tiny components: losses per phase, gradient flow, video-only inference."""
import pytest
import torch

from hhir_core.engine.checkpoint import check_state_dict
from hhir_core.errors import DataError, HHIRError

NAMES = [f"action number {i}" for i in range(10)]


def _cfg(phase="scd", mode="online", alpha=1.0, loss="mse", **extra):
    cfg = dict(
        phase=phase,
        video=dict(encoder=dict(type="CLIPFrameEncoder",
                                model=dict(tiny=True, hidden_size=32, intermediate_size=64,
                                           num_hidden_layers=1, num_attention_heads=2,
                                           image_size=32, patch_size=16, projection_dim=16)),
                   template="a video of {}."),
        skeleton=dict(encoder=dict(type="GraphAttentionSkeletonEncoder", embed_dim=16, depth=1,
                                   heads=2, max_frames=32), template="a skeleton of {}."),
        distiller=dict(type="SkeletonCLIPDistiller", alpha=alpha, loss=loss, mode=mode),
        train_classes=[0, 1, 2, 3], test_classes=[7, 8, 9], class_names=NAMES)
    cfg.update(extra)
    return cfg


def _batch(b=4, with_skeleton=True):
    g = torch.Generator().manual_seed(1)
    batch = dict(imgs=torch.randn(b, 3, 3, 32, 32, generator=g), label=torch.arange(b) % 4)
    if with_skeleton:
        batch["keypoint"] = torch.randn(b, 2, 16, 25, 3, generator=g)
    return batch


def _model(tiny_text, **kw):
    from hhir_ski.recognizer import SKIRecognizer
    torch.manual_seed(0)
    return SKIRecognizer(text_encoder=tiny_text, **_cfg(**kw))


def _grads(module):
    return [p.grad for p in module.parameters() if p.requires_grad]


def test_online_scd_trains_both_branches(tiny_text):
    m = _model(tiny_text, mode="online")
    losses = m(mode="loss", **_batch())
    assert {"loss_video", "loss_skeleton", "loss_distill"} <= set(losses)
    sum(v for k, v in losses.items() if "loss" in k).backward()
    assert all(g is not None for g in _grads(m.video.encoder))
    assert all(g is not None and g.abs().sum() > 0 for g in _grads(m.skeleton.encoder))


def test_online_distillation_alone_reaches_teacher(tiny_text):
    m = _model(tiny_text, mode="online")
    m(mode="loss", **_batch())["loss_distill"].backward()
    assert any(g is not None and g.abs().sum() > 0 for g in _grads(m.skeleton.encoder))


def test_offline_scd_no_gradient_reaches_teacher(tiny_text):
    m = _model(tiny_text, mode="offline")
    assert not any(p.requires_grad for p in m.skeleton.encoder.parameters())
    m.train()
    assert not m.skeleton.encoder.training and m.video.encoder.training
    losses = m(mode="loss", **_batch())
    assert "loss_skeleton" not in losses and "loss_distill" in losses
    sum(v for k, v in losses.items() if "loss" in k).backward()
    assert all(p.grad is None for p in m.skeleton.parameters())
    assert all(g is not None for g in _grads(m.video.encoder))


def test_distillation_pulls_student_logits_towards_teacher(tiny_text):
    """With only the distillation term, a few steps shrink the student-teacher gap."""
    m = _model(tiny_text, mode="offline", alpha=1.0)
    opt = torch.optim.Adam([p for p in m.video.parameters() if p.requires_grad], lr=1e-2)
    b = _batch()
    first = None
    for _ in range(15):
        loss = m(mode="loss", **b)["loss_distill"]
        first = first if first is not None else loss.item()
        opt.zero_grad(); loss.backward(); opt.step()
    assert loss.item() < 0.5 * first


def test_predict_uses_unseen_classes_and_video_only(tiny_text):
    m = _model(tiny_text).eval()
    b = _batch(with_skeleton=False)
    preds = m(mode="predict", **b)
    assert len(preds) == 4 and preds[0]["pred_scores"].shape == (3,)
    assert all(0 <= p["pred_label"] < 3 for p in preds)
    with pytest.raises(DataError, match="video alone"):
        m(mode="predict", **_batch(with_skeleton=True))
    before = torch.stack([p["pred_scores"] for p in preds])
    m.drop_skeleton_branch()
    assert m.skeleton is None and not any(n.startswith("skeleton.") for n in m.state_dict())
    after = torch.stack([p["pred_scores"] for p in m(mode="predict", **b)])
    assert torch.equal(before, after)


def test_skeleton_clip_phase_and_stage_transfer(tiny_text):
    """Stage 1 (SkeletonCLIP) weights load into stage 2 (SCD) under the same names."""
    s1 = _model(tiny_text, phase="skeleton_clip")
    losses = s1(mode="loss", **_batch())
    assert set(k for k in losses if k.startswith("loss")) == {"loss_skeleton"}
    preds = s1.eval()(mode="predict", **_batch())
    assert preds[0]["pred_scores"].shape == (3,)
    torch.manual_seed(123)
    from hhir_ski.recognizer import SKIRecognizer
    s2 = SKIRecognizer(text_encoder=tiny_text, **_cfg(phase="scd"))
    missing, unexpected = s2.load_state_dict(s1.state_dict(), strict=False)
    assert not missing and not unexpected
    for k, v in s1.state_dict().items():
        assert torch.equal(v, s2.state_dict()[k])


def test_alpha_zero_is_plain_vificlip_for_the_video_branch(tiny_text):
    m = _model(tiny_text, alpha=0.0)
    losses = m(mode="loss", **_batch())
    assert losses["loss_distill"].item() == 0.0
    losses["loss_video"].backward()
    assert all(p.grad is None for p in m.skeleton.encoder.parameters())


def test_config_errors(tiny_text):
    from hhir_ski.recognizer import SKIRecognizer
    with pytest.raises(HHIRError, match="phase"):
        SKIRecognizer(text_encoder=tiny_text, **_cfg(phase="both"))
    with pytest.raises(HHIRError, match="distiller"):
        SKIRecognizer(text_encoder=tiny_text, **_cfg(distiller=None))
    m = _model(tiny_text, phase="video_clip")
    with pytest.raises(DataError, match="imgs"):
        m(mode="loss", label=torch.zeros(2, dtype=torch.long))


@pytest.mark.parametrize("encoder", ["STGCNEncoder", "AAGCNEncoder"])
def test_skeleton_clip_with_the_mmaction2_bridge_encoders(tiny_text, encoder):
    """SkeletonCLIP takes any skeleton BranchEncoder by config: the mmaction2 ST-GCN/AAGCN
    bridge trains (its weights get gradients) and predicts over the unseen classes."""
    pytest.importorskip("mmaction")
    from hhir_ski.recognizer import SKIRecognizer

    torch.manual_seed(0)
    cfg = _cfg(phase="skeleton_clip")
    cfg["skeleton"] = dict(encoder=dict(type=encoder, base_channels=8, num_stages=3,
                                        inflate_stages=[3], down_stages=[3]),
                           template="a skeleton of {}.")
    m = SKIRecognizer(text_encoder=tiny_text, **cfg)
    losses = m(mode="loss", **_batch())
    losses["loss_skeleton"].backward()
    grads = [p.grad for p in m.skeleton.encoder.parameters() if p.requires_grad]
    assert grads and all(g is not None and torch.isfinite(g).all() for g in grads)
    assert sum(float(g.abs().sum()) for g in grads) > 0
    preds = m.eval()(mode="predict", **_batch())
    assert preds[0]["pred_scores"].shape == (3,) and 0 <= preds[0]["pred_label"] < 3


def test_paper_stage_chain_carries_each_stage_to_the_next(tiny_text):
    """VideoCLIP on seen classes -> skeleton pre-training -> SkeletonCLIP alignment -> SCD:
    each stage's weights reach the next through the same parameter names."""
    video = _model(tiny_text, phase="video_clip")
    losses = video(mode="loss", **_batch())
    assert set(k for k in losses if k.startswith("loss")) == {"loss_video"}
    pre = _model(tiny_text, phase="skeleton_pretrain")
    losses = pre(mode="loss", **_batch())
    assert set(k for k in losses if k.startswith("loss")) == {"loss_skeleton_pretrain"}
    losses["loss_skeleton_pretrain"].backward()
    assert pre.pretrain_head.weight.grad.abs().sum() > 0
    assert all(p.grad is None for p in pre.video.parameters())        # video untouched
    assert pre.predict(_batch(with_skeleton=True))[0]["pred_scores"].shape == (4,)  # seen classes
    pre.load_state_dict(video.state_dict(), strict=False)            # stage 1 -> stage 2
    assert torch.equal(pre.video.encoder.state_dict()[next(iter(pre.video.encoder.state_dict()))],
                       video.video.encoder.state_dict()[next(iter(video.video.encoder.state_dict()))])
    align = _model(tiny_text, phase="skeleton_clip")
    # the head exists (so stage 2's checkpoint fits under the engine's strict rules) but is frozen
    assert not any(p.requires_grad for p in align.pretrain_head.parameters())
    assert check_state_dict(align, pre.state_dict(), "stage 2", init_only=True) == []
    align.load_state_dict(pre.state_dict(), strict=True)
    assert torch.equal(align.skeleton.encoder.patch.weight, pre.skeleton.encoder.patch.weight)
    scd = _model(tiny_text, phase="scd")                              # stage 3 -> stage 4
    assert check_state_dict(scd, align.state_dict(), "stage 3", init_only=True) == []
