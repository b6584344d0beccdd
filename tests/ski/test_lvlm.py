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


def test_paper_config_carries_the_paper_settings():
    from pathlib import Path

    from hhir_core.config import load_config

    cfg = load_config(str(Path(__file__).resolve().parents[2] / "configs" / "ski_lvlm_ntu120.py"))
    m = cfg.model
    assert m.video_weights == "pretrained"                     # plain CLIP video features
    assert m.video_encoder.model == "openai/clip-vit-large-patch14"   # hidden width F_v = 1024
    assert m.video_encoder.tokens == "spatiotemporal" and m.video_encoder.freeze
    ds = cfg.train_dataloader.dataset
    assert ds.num_frames + (ds.frame_size // 14) ** 2 == 356     # 100 temporal + 256 spatial
    enc = m.skeleton_encoder
    assert -(-enc.max_frames // enc.temporal_stride) == 256 and ds.pipeline[1].clip_len == 256
    # USER template: instruction, video tokens, skeleton tokens, then the assistant turn
    p = m.prompt
    assert p.startswith("USER: ") and p.endswith("ASSISTANT:")
    assert p.index("Describe") < p.index("<video>") < p.index("<skeleton>")
    assert "<skeleton>" not in m.inference_prompt and m.inference_prompt.startswith("USER: ")
    assert cfg.train_cfg.max_epochs == 3 and cfg.train_dataloader.batch_size == 32
    assert cfg.optim_wrapper.optimizer.lr == 2e-5


def test_plain_clip_video_features_with_skeleton_from_an_ski_checkpoint(tmp_path):
    transformers = pytest.importorskip("transformers")
    vision = transformers.CLIPVisionConfig(hidden_size=32, intermediate_size=64,
                                           num_hidden_layers=2, num_attention_heads=2,
                                           image_size=28, patch_size=14, projection_dim=16)
    torch.manual_seed(1)
    clip = transformers.CLIPVisionModelWithProjection(vision)
    clip.save_pretrained(tmp_path / "clip")
    skel_cfg = dict(type="GraphAttentionSkeletonEncoder", embed_dim=16, depth=1, heads=2,
                    max_frames=32)
    from hhir_ski.clip_models import build_branch_encoder
    torch.manual_seed(2)
    trained = build_branch_encoder(dict(skel_cfg), "skeleton", "skeleton")
    ski_ckpt = tmp_path / "ski.pth"     # an SKI checkpoint: skeleton encoder only
    torch.save({"state_dict": {f"skeleton.encoder.{k}": v
                               for k, v in trained.state_dict().items()}}, ski_ckpt)
    video = dict(type="CLIPFrameEncoder", model=str(tmp_path / "clip"), tokens="spatiotemporal")
    m = _lvlm(video_encoder=video, skeleton_encoder=dict(skel_cfg), video_weights="pretrained",
              encoders_from=str(ski_ckpt))
    for k, v in clip.state_dict().items():                     # the plain CLIP, untouched
        assert torch.equal(m.video_encoder.clip.state_dict()[k], v), k
    for k, v in trained.state_dict().items():
        assert torch.equal(m.skeleton_encoder.state_dict()[k], v), k
    assert m.video_encoder.out_dim == 32                       # the hidden width, not 16
    tokens = m.video_tokens(torch.randn(2, 3, 3, 28, 28))
    assert tokens.shape[:2] == (2, 3 + 4)                      # 3 temporal + 2x2 spatial
    with pytest.raises(DataError, match="video.encoder"):     # the SKI video encoder is absent
        _lvlm(video_encoder=video, skeleton_encoder=dict(skel_cfg), encoders_from=str(ski_ckpt))
