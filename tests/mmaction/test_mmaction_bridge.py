"""hhir_mmaction: ST-GCN/AAGCN BranchEncoders and the SkeletonRecognizer."""
from __future__ import annotations

import pytest
import torch

pytest.importorskip("mmaction")

from hhir_core.interfaces import BranchEncoder  # noqa: E402
from hhir_core.registry import resolve  # noqa: E402

torch.set_num_threads(1)


@pytest.mark.parametrize("name", ["STGCNEncoder", "AAGCNEncoder"])
def test_encoder_tokens(name: str) -> None:
    cls = resolve("branch_encoder", name)
    assert issubclass(cls, BranchEncoder)
    enc = cls.tiny()
    (x,), _ = enc.example_inputs(batch_size=2)
    out = enc(x)
    enc.check_output(out, (x,), {})
    assert out.shape == (2, 8, enc.out_dim)  # T'=16/2 after one down-sampling stage
    assert enc.out_dim == 16
    joint = cls.tiny(tokens="joint")(x)
    assert joint.shape == (2, 25, 16)
    pt = cls.tiny(tokens="person_time")(x)
    assert pt.shape == (2, 16, 16)


def test_stgcn_default_matches_mmaction_backbone() -> None:
    enc = resolve("branch_encoder", "STGCNEncoder")()
    assert enc.out_dim == 256
    n_params = sum(p.numel() for p in enc.parameters())
    from hhir_core.compat import import_mmaction_models

    import_mmaction_models()
    from mmaction.models.backbones import STGCN

    ref = STGCN(
        graph_cfg=dict(layout="nturgb+d", mode="stgcn_spatial"))
    assert n_params == sum(p.numel() for p in ref.parameters())


def test_coco_layout_and_bad_input() -> None:
    from hhir_core.errors import ConfigError

    cls = resolve("branch_encoder", "STGCNEncoder")
    enc = cls.tiny(graph_cfg=dict(layout="coco", mode="stgcn_spatial"), in_channels=3)
    assert enc(torch.randn(1, 1, 8, 17, 3)).shape[-1] == enc.out_dim
    with pytest.raises(ConfigError, match="V=17"):
        enc(torch.randn(1, 1, 8, 25, 3))
    with pytest.raises(ConfigError, match="layout"):
        cls.tiny(graph_cfg=dict(layout="kinect"))


def test_recognizer_loss_predict_and_learns() -> None:
    from hhir_core.registry import build

    torch.manual_seed(0)
    model = build("model", dict(type="SkeletonRecognizer", num_classes=3,
                                backbone=dict(type="STGCNEncoder", base_channels=8, num_stages=3,
                                              inflate_stages=[3], down_stages=[3])))
    x = torch.randn(6, 2, 12, 25, 3)
    y = torch.tensor([0, 1, 2, 0, 1, 2])
    x[y == 1, :, :, :, 0] += 2.0
    x[y == 2, :, :, :, 1] -= 2.0
    batch = dict(keypoint=x, label=y, frame_dir=[str(i) for i in range(6)])
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    first = None
    for _ in range(30):
        losses = model(**batch, mode="loss")
        assert set(losses) == {"loss_cls", "top1_acc"}
        opt.zero_grad()
        losses["loss_cls"].backward()
        opt.step()
        first = first if first is not None else float(losses["loss_cls"])
    assert float(losses["loss_cls"]) < first * 0.5
    model.eval()
    out = model(**batch, mode="predict")
    assert len(out) == 6 and out[0]["pred_scores"].shape == (3,)
    assert abs(float(out[0]["pred_scores"].sum()) - 1) < 1e-5
    assert [o["gt_label"] for o in out] == y.tolist()
    assert sum(o["pred_label"] == o["gt_label"] for o in out) >= 5
    # several test clips: [B, nc, M, T, V, C] -> averaged scores
    multi = model(keypoint=torch.stack([x, x], 1), label=y, mode="predict")
    torch.testing.assert_close(multi[0]["pred_scores"], out[0]["pred_scores"])


def test_plugin_registered_with_provider() -> None:
    from hhir_core.registry import registry_for

    resolve("model", "SkeletonRecognizer")
    assert registry_for("model").providers["SkeletonRecognizer"] == "hhir_mmaction"
    assert registry_for("branch_encoder").providers["STGCNEncoder"] == "hhir_mmaction"


@pytest.mark.slow  # the kit probes import time in subprocesses (~45 s each here)
@pytest.mark.parametrize("name", ["STGCNEncoder", "AAGCNEncoder"])
def test_conformance_kit(name: str) -> None:
    from hhir_core.testing.kit import assert_conforms

    assert_conforms(f"branch_encoder:{name}")
