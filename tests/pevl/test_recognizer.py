"""PeVLRecognizer end to end on tiny components (loss, backward, predict, switches)."""
import pytest
import torch

from hhir_pevl.recognizer import PeVLRecognizer

CLASSES = [dict(name="clapping", two_person=False), dict(name="punching", two_person=True),
           dict(name="hugging", two_person=True)]


def tiny_model(**kw):
    cfg = dict(
        video_encoder=dict(type="CLIPVideoEncoder", model=dict(tiny=True, hidden_size=32, num_hidden_layers=2,
                                                                image_size=32, patch_size=8, projection_dim=24),
                           p2v_layers=(-1,), p2v_heads=2),
        pose_encoder=dict(type="PoseTransformerEncoder", num_joints=5, num_persons=2, dim=16, depth=1,
                          num_heads=2, max_frames=12),
        text_encoder=dict(model=dict(tiny=True, arch="bert", hidden_size=32)),
        class_names=CLASSES)
    cfg.update(kw)
    return PeVLRecognizer(**cfg)


def batch(b=4, crops=None):
    g = torch.Generator().manual_seed(0)
    imgs = torch.randn(b, 4, 3, 32, 32, generator=g)
    kp = torch.rand(b, 2, 4, 5, 3, generator=g) * torch.tensor([32.0, 32.0, 1.0])
    if crops:
        imgs = imgs[:, None].repeat(1, crops, 1, 1, 1, 1)
        kp = kp[:, None].repeat(1, crops, 1, 1, 1, 1)
    pose = torch.rand(b, 2, 12, 5, 3, generator=g) * 2 - 1
    return dict(imgs=imgs, pose=pose, video_keypoint=kp, label=torch.tensor([0, 1, 2, 1][:b]))


def test_loss_backward_and_predict():
    m = tiny_model()
    assert m.class_prompts[1] == "punching, a video of two-person interaction action"
    losses = m(**batch(), mode="loss")
    assert set(losses) == {"loss_t", "loss_refine", "logit_scale"}
    total = losses["loss_t"] + losses["loss_refine"]
    total.backward()
    # frozen CLIP gets no gradient; adapters, P2V, V2P and the pose encoder do
    assert all(p.grad is None for p in m.video_encoder.clip.parameters())
    assert m.video_encoder.p2v["1"].proj.weight.grad.abs().sum() > 0
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in m.v2p.parameters())
    assert m.pose_encoder.embed.weight.grad.abs().sum() > 0
    m.eval()
    with torch.no_grad():
        out = m(**batch(), mode="predict")
    assert len(out) == 4 and out[0]["pred_scores"].shape == (3,)
    assert out[1]["gt_label"] == 1 and 0 <= out[0]["pred_label"] < 3


def test_three_crop_predict_averages_crops():
    m = tiny_model().eval()
    with torch.no_grad():
        one = m.predict_scores(**{k: v for k, v in batch(2).items() if k != "label"})
        three = m.predict_scores(**{k: v for k, v in batch(2, crops=3).items() if k != "label"})
    assert torch.allclose(one, three, atol=1e-5)        # identical crops -> same scores


@pytest.mark.parametrize("kw, expect_refine", [
    (dict(use_ucmr=False), False), (dict(use_p2v=False), True), (dict(use_v2p=False), True),
    (dict(use_refinement=False), False), (dict(similarities=("vs",)), True),
    (dict(guided_loss=False), True),
])
def test_switches(kw, expect_refine):
    m = tiny_model(**kw)
    losses = m(**batch(), mode="loss")
    assert ("loss_refine" in losses) == expect_refine
    assert torch.isfinite(losses["loss_t"])
    if kw.get("use_ucmr") is False:
        assert m.v2p is None and not m.use_p2v


def test_tiny_clip_is_reproducible_without_global_seed():
    from hhir_pevl.video_encoder import CLIPVideoEncoder
    torch.manual_seed(1)
    a = CLIPVideoEncoder.tiny()
    torch.manual_seed(2)
    b = CLIPVideoEncoder.tiny()
    for (n, p), (_, q) in zip(a.clip.named_parameters(), b.clip.named_parameters()):
        assert torch.equal(p, q), n


def test_frame_word_similarity_uses_frame_level_pose_features():
    """Paper: S_FW contrasts frame-level *pose* features with words (``fw_source='pose'``)."""
    torch.manual_seed(0)
    m = tiny_model(similarities=("fw",)).eval()
    assert m.fw_source == "pose"
    b = {k: v for k, v in batch(2).items() if k != "label"}
    with torch.no_grad():
        feats = m.extract(**b)
        assert feats["frames"].shape[:2] == (2, 12)             # one feature per pose frame
        base = m.predict_scores(**b)
        moved = dict(b, pose=b["pose"].flip(2))                 # same video, pose frames reversed
        assert not torch.allclose(base, m.predict_scores(**moved))
    torch.manual_seed(0)
    video = tiny_model(similarities=("fw",), fw_source="video", p2v_weights="detector").eval()
    with torch.no_grad():
        assert video.extract(**b)["frames"].shape[:2] == (2, 4)  # video frames instead
    with pytest.raises(Exception, match="fw_source"):
        tiny_model(fw_source="words")


def test_p2v_weights_come_from_the_pose_encoder():
    """Paper: the P2V mask's joint weights come from the pose encoder's last layer."""
    m = tiny_model()
    assert m.p2v_weights == "pose_encoder"
    b = batch()
    kp = b["video_keypoint"].clone()
    kp[:, :, :, 0, 2] = 0.0                                     # joint 0 undetected
    pt = m.pose_encoder.encode(b["pose"])
    weighted = m.pose_weighted_keypoints(kp, pt)
    assert torch.equal(weighted[..., :2], kp[..., :2])
    assert (weighted[:, :, :, 0, 2] == 0).all() and (weighted[:, :, :, 1:, 2] > 0).all()
    assert not torch.allclose(weighted[..., 1:, 2], kp[..., 1:, 2])   # not the detector's scores
    torch.nn.init.normal_(m.video_encoder.p2v["1"].proj.weight, std=0.1)   # zero-initialised residual
    losses = m(**dict(b, video_keypoint=kp), mode="loss")
    (losses["loss_t"] + losses["loss_refine"]).backward()
    assert m.joint_score.weight.grad.abs().sum() > 0            # the mask trains the joint scores
    det = tiny_model(p2v_weights="detector")
    assert det.joint_score is None
    assert tiny_model(use_p2v=False).joint_score is None
