"""The paper's pose encoder: joint tokens through the video encoder's CLIP layers (shared, not
copied), with pose-side adapters; freezing, training, checkpoints and the configs that pick it."""
from pathlib import Path

import pytest
import torch

from hhir_core.engine.checkpoint import check_state_dict, trainable_state_dict
from hhir_core.errors import ConfigError
from hhir_pevl.pose_encoder import PoseTransformerEncoder, SharedCLIPPoseEncoder
from hhir_pevl.recognizer import PeVLRecognizer
from hhir_pevl.video_encoder import CLIPVideoEncoder

ROOT = Path(__file__).resolve().parents[2]
CLASSES = [dict(name="clapping", two_person=False), dict(name="punching", two_person=True),
           dict(name="hugging", two_person=True)]
TINY_CLIP = dict(tiny=True, hidden_size=32, num_hidden_layers=2, image_size=32, patch_size=8,
                 projection_dim=24)
SHARED_POSE = dict(type="SharedCLIPPoseEncoder", num_joints=5, num_persons=2, max_frames=12)


def shared_model(video=None, pose=None, **kw):
    cfg = dict(
        video_encoder=dict(type="CLIPVideoEncoder", model=dict(TINY_CLIP), p2v_layers=(-1,), p2v_heads=2,
                           **(video or {})),
        pose_encoder=dict(SHARED_POSE, **(pose or {})),
        text_encoder=dict(model=dict(tiny=True, arch="bert", hidden_size=32)),
        class_names=CLASSES)
    cfg.update(kw)
    return PeVLRecognizer(**cfg)


def batch(b=4):
    g = torch.Generator().manual_seed(0)
    imgs = torch.randn(b, 4, 3, 32, 32, generator=g)
    kp = torch.rand(b, 2, 4, 5, 3, generator=g) * torch.tensor([32.0, 32.0, 1.0])
    pose = torch.rand(b, 2, 12, 5, 3, generator=g) * 2 - 1
    return dict(imgs=imgs, pose=pose, video_keypoint=kp, label=torch.tensor([0, 1, 2, 1][:b]))


def clip_layers(m):
    return m.video_encoder.clip.vision_model.encoder.layers


def test_pose_encoder_runs_through_the_video_encoders_own_layers():
    m = shared_model()
    layers = clip_layers(m)
    assert m.pose_encoder._layers() is layers
    assert m.pose_encoder.out_dim == m.video_encoder.hidden_size == 32
    # the same storage: every CLIP layer tensor appears once among the model's parameters and
    # once in its state dict (the pose encoder holds a reference, registers nothing of them)
    clip_ptrs = {p.data_ptr() for p in layers.parameters()}
    pose_ptrs = {p.data_ptr() for p in m.pose_encoder.parameters()}
    assert not clip_ptrs & pose_ptrs
    state = m.state_dict()
    for ptr in clip_ptrs:
        assert sum(v.data_ptr() == ptr for v in state.values()) == 1
    assert not any(k.startswith("pose_encoder.") and "self_attn" in k for k in state)
    # memory does not double: the shared model has fewer parameters than the video encoder
    # plus a pose encoder with its own copy of the layers
    own = SharedCLIPPoseEncoder(num_joints=5, num_persons=2, max_frames=12, clip=dict(TINY_CLIP))
    n_shared = sum(p.numel() for p in m.parameters())
    n_copy = n_shared + sum(p.numel() for p in own.own_layers.parameters())
    assert n_shared < n_copy
    # changing a CLIP weight (through the video encoder) changes the pose tokens
    x = batch()["pose"]
    with torch.no_grad():
        before = m.pose_encoder.encode(x)
        layers[0].mlp.fc2.bias.add_(0.5)
        assert not torch.allclose(before, m.pose_encoder.encode(x))


def test_clip_frozen_pose_adapters_trainable_and_distinct():
    m = shared_model()
    assert not any(p.requires_grad for p in clip_layers(m).parameters())
    pose_ad = list(m.pose_encoder.adapters.parameters()) + list(m.pose_encoder.temporal.parameters())
    assert len(m.pose_encoder.adapters) == len(clip_layers(m)) == len(m.pose_encoder.temporal)
    assert pose_ad and all(p.requires_grad for p in pose_ad)
    video_ad = {id(p) for p in m.video_encoder.adapters.parameters()}
    assert video_ad and not video_ad & {id(p) for p in pose_ad}


def test_training_step_updates_pose_adapters_not_clip():
    from mmengine.optim import build_optim_wrapper

    torch.manual_seed(0)
    m = shared_model()
    optim = build_optim_wrapper(m, dict(optimizer=dict(type="AdamW", lr=1e-2, weight_decay=0.05)))
    clip_before = {n: p.detach().clone() for n, p in m.video_encoder.clip.named_parameters()}
    pose_before = {n: p.detach().clone() for n, p in m.pose_encoder.named_parameters()}
    log = m.train_step(batch(), optim)
    assert all(torch.isfinite(v) for v in log.values())
    assert all(torch.equal(p, clip_before[n]) for n, p in m.video_encoder.clip.named_parameters())
    changed = {n for n, p in m.pose_encoder.named_parameters() if not torch.equal(p, pose_before[n])}
    # the zero-initialised up-projections move first (their inputs are non-zero)
    assert {"adapters.0.attn.up.weight", "adapters.1.mlp.up.weight", "temporal.0.up.weight",
            "embed.weight", "proj.weight"} <= changed


def test_trainable_only_checkpoint_round_trips_strictly():
    torch.manual_seed(0)
    m = shared_model().eval()
    ckpt = trainable_state_dict(m, m.state_dict())
    assert not any(k.startswith("video_encoder.clip.") for k in ckpt)        # frozen CLIP: not saved
    assert not any(".self_attn." in k or ".mlp.fc" in k for k in ckpt)        # nor under the pose side
    assert any(k.startswith("pose_encoder.adapters.") for k in ckpt)
    torch.manual_seed(1)                                                     # other trainable init
    m2 = shared_model().eval()
    check_state_dict(m2, ckpt, "trainable.pth")                              # the strict check
    result = m2.load_state_dict(ckpt, strict=False)
    assert not result.unexpected_keys
    assert all(k.startswith(("video_encoder.clip.", "text_encoder.")) for k in result.missing_keys)
    b = {k: v for k, v in batch().items() if k != "label"}
    with torch.no_grad():
        assert torch.allclose(m.predict_scores(**b), m2.predict_scores(**b), atol=1e-6)
    # a checkpoint of the separate encoder does not fit (a clear one-line error)
    torch.manual_seed(0)
    sep = shared_model(pose_encoder=dict(type="PoseTransformerEncoder", num_joints=5, num_persons=2,
                                         dim=16, depth=1, num_heads=2, max_frames=12))
    with pytest.raises(Exception, match="does not fit"):
        check_state_dict(m2, trainable_state_dict(sep, sep.state_dict()), "separate.pth")


def test_paper_ucmr_paths_work_with_the_shared_encoder():
    """P2V joint weights from the pose encoder's last layer and frame-level pose features for S_FW."""
    torch.manual_seed(0)
    m = shared_model()
    assert m.p2v_weights == "pose_encoder" and m.fw_source == "pose"
    torch.nn.init.normal_(m.video_encoder.p2v["1"].proj.weight, std=0.1)   # zero-initialised residual
    b = batch()
    feats = m.extract(b["imgs"], b["pose"], b["video_keypoint"])
    assert feats["frames"].shape[:2] == (4, 12)                           # one feature per pose frame
    losses = m(**b, mode="loss")
    (losses["loss_t"] + losses["loss_refine"]).backward()
    assert m.joint_score.weight.grad.abs().sum() > 0
    assert m.pose_encoder.adapters[-1]["mlp"].up.weight.grad.abs().sum() > 0
    assert all(p.grad is None for p in clip_layers(m).parameters())


def test_all_frozen_and_full_finetune_semantics():
    m = shared_model(video=dict(adapters=False), pose=dict(adapters=False), text_adapter=False,
                     freeze_pose_encoder=True)
    assert not any(p.requires_grad for p in m.pose_encoder.parameters())
    assert len(m.pose_encoder.adapters) == 0 and len(m.pose_encoder.temporal) == 0
    assert not any(p.requires_grad for p in clip_layers(m).parameters())
    # freezing the pose encoder leaves layers it shares to their owner (here fine-tuned)
    ft = shared_model(video=dict(freeze=False), freeze_pose_encoder=True)
    assert all(p.requires_grad for p in clip_layers(ft).parameters())
    assert not any(p.requires_grad for p in ft.pose_encoder.parameters())


def test_a_video_encoder_without_shared_layers_is_a_clear_error():
    from hhir_core.interfaces import KeypointVideoEncoder

    class NoSharing(CLIPVideoEncoder):
        shared_layers = KeypointVideoEncoder.shared_layers            # the contract's default

    video = NoSharing(model=dict(TINY_CLIP), p2v_layers=(-1,), p2v_heads=2)
    with pytest.raises(ConfigError, match=r"model.video_encoder .*shared_layers\(\)"):
        shared_model(video_encoder=video)
    with pytest.raises(ConfigError, match="has no layers"):
        SharedCLIPPoseEncoder().out_dim


def test_kit_catches_a_pose_encoder_that_registers_the_shared_layers():
    class Registering(SharedCLIPPoseEncoder):
        def attach_shared_layers(self, layers):
            super().attach_shared_layers(layers)
            self.registered = layers                                       # would be saved twice

    inst = Registering.tiny()
    with pytest.raises(AssertionError, match="saved twice"):
        inst.capability_checks()["attach_shared_layers"]()


# ------------------------------------------------------------------ configs
PAPER = ["pevl_diving48.py", "pevl_diving48_vitl14.py", "pevl_haa500.py", "pevl_gym99.py",
         "pevl_gym288.py", "pevl_toyota_smarthome.py"] + sorted(
    f"ablations/pevl/{p.name}" for p in (ROOT / "configs" / "ablations" / "pevl").glob("diving48_*.py"))
MINI = ["pevl_synthetic_mini.py"] + sorted(
    f"ablations/pevl/{p.name}" for p in (ROOT / "configs" / "ablations" / "pevl").glob("*.py")
    if not p.name.startswith("diving48_"))


def _load(name):
    from hhir_core.config import load_config
    return load_config(str(ROOT / "configs" / name))


@pytest.mark.parametrize("name", PAPER)
def test_paper_configs_select_the_shared_encoder(name):
    pe = _load(name).model.pose_encoder
    assert pe.type == "SharedCLIPPoseEncoder" and "clip" not in pe
    assert pe.max_frames == 48


@pytest.mark.parametrize("name", MINI)
def test_mini_configs_keep_the_separate_encoder(name):
    pe = _load(name).model.pose_encoder
    assert dict(pe) == dict(type="PoseTransformerEncoder", num_joints=25, num_persons=2, in_channels=3,
                            dim=64, depth=2, num_heads=4, max_frames=24)


@pytest.mark.parametrize("name", ["pevl_diving48.py", "ablations/pevl/diving48_all_frozen.py"])
def test_paper_config_builds_with_the_shared_encoder(name):
    """The paper model as configured, with tiny random CLIP weights in place of the download."""
    from hhir_core.registry import MODELS

    cfg = _load(name)
    cfg.model.video_encoder.model = dict(TINY_CLIP)
    cfg.model.text_encoder.model = dict(tiny=True, arch="bert", hidden_size=32)
    cfg.model.class_names = CLASSES
    cfg.model.video_encoder.p2v_heads = 2
    m = MODELS.build(cfg.model)
    assert isinstance(m.pose_encoder, SharedCLIPPoseEncoder)
    assert m.pose_encoder._layers() is clip_layers(m)
    assert not any(p.requires_grad for p in clip_layers(m).parameters())
    pose_trainable = [p for p in m.pose_encoder.parameters() if p.requires_grad]
    if "all_frozen" in name:
        assert not pose_trainable and len(m.pose_encoder.adapters) == 0
    else:
        assert pose_trainable and len(m.pose_encoder.adapters) == 2
    b = batch(2)
    b["pose"] = torch.rand(2, 1, 48, 17, 3) * 2 - 1
    b["video_keypoint"] = torch.rand(2, 1, 4, 17, 3) * torch.tensor([32.0, 32.0, 1.0])
    losses = m(**b, mode="loss")
    assert torch.isfinite(losses["loss_t"])


def test_separate_encoder_is_untouched_by_sharing():
    """The separate from-scratch encoder declares no sharing, so the recognizer attaches nothing."""
    assert not PoseTransformerEncoder.supports("attach_shared_layers")
    assert SharedCLIPPoseEncoder.supports("attach_shared_layers")
    assert CLIPVideoEncoder.supports("shared_layers")
