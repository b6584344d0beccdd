"""SkeletonCLIPDistiller: loss values and gradient flow in online/offline modes."""
import pytest
import torch

from hhir_core.errors import HHIRError
from hhir_ski.distiller import SkeletonCLIPDistiller


def _pair(b=4, k=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    s = torch.randn(b, k, generator=g, requires_grad=True)
    t = torch.randn(b, k, generator=g, requires_grad=True)
    return s, t


@pytest.mark.parametrize("loss", ["mse", "kl"])
def test_identical_logits_give_zero_loss(loss):
    s, _ = _pair()
    d = SkeletonCLIPDistiller(alpha=3.0, loss=loss)
    out = d(dict(logits=s), dict(logits=s.detach().clone()))
    assert out["loss_distill"].item() == pytest.approx(0.0, abs=1e-7)


def test_mse_value_is_weighted_by_alpha():
    s, t = _pair()
    out = SkeletonCLIPDistiller(alpha=10.0, loss="mse")(dict(logits=s), dict(logits=t))
    assert out["loss_distill"].item() == pytest.approx(10.0 * ((s - t) ** 2).mean().item(), rel=1e-5)


def test_contrastive_prefers_matching_pairs():
    s, t = _pair(b=8)
    d = SkeletonCLIPDistiller(alpha=1.0, loss="contrastive", tau=0.1)
    matched = d(dict(logits=t.detach() * 2), dict(logits=t))["loss_distill"]
    random = d(dict(logits=s), dict(logits=t))["loss_distill"]
    assert matched < random


@pytest.mark.parametrize("loss", ["mse", "kl", "contrastive"])
def test_offline_blocks_teacher_gradient_online_does_not(loss):
    s, t = _pair()
    SkeletonCLIPDistiller(alpha=1.0, loss=loss, mode="offline")(
        dict(logits=s), dict(logits=t))["loss_distill"].backward()
    assert t.grad is None and s.grad is not None and s.grad.abs().sum() > 0
    s, t = _pair()
    SkeletonCLIPDistiller(alpha=1.0, loss=loss, mode="online")(
        dict(logits=s), dict(logits=t))["loss_distill"].backward()
    assert t.grad is not None and t.grad.abs().sum() > 0


def test_feature_kd_direct_and_projected():
    fs = torch.randn(4, 8, requires_grad=True)
    ft = torch.randn(4, 8)
    out = SkeletonCLIPDistiller(loss="none", feature_kd="direct")(
        dict(features=fs), dict(features=ft))
    assert set(out) == {"loss_feat_kd"} and out["loss_feat_kd"] > 0
    with pytest.raises(HHIRError, match="projected"):
        SkeletonCLIPDistiller(loss="none", feature_kd="direct")(
            dict(features=torch.randn(4, 5)), dict(features=ft))
    d = SkeletonCLIPDistiller(loss="mse", feature_kd="projected", student_dim=5, teacher_dim=8)
    out = d(dict(logits=torch.randn(4, 3), features=torch.randn(4, 5)),
            dict(logits=torch.randn(4, 3), features=ft))
    assert set(out) == {"loss_distill", "loss_feat_kd"}
    out["loss_feat_kd"].backward()
    assert d.proj.weight.grad is not None


def test_bad_options_raise_hhir_errors():
    for kw in (dict(loss="l1"), dict(mode="both"), dict(feature_kd="x"), dict(loss="none"),
               dict(feature_kd="projected")):
        with pytest.raises(HHIRError):
            SkeletonCLIPDistiller(**kw)
