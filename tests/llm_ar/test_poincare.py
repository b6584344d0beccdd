"""Poincaré-ball maps and distance against their closed forms (float64 references)."""
import math

import pytest
import torch

from hhir_llm_ar import poincare as pm
from reference import naive_nearest_code


def _rand(n, d, scale=1.0, dtype=torch.float64):
    return torch.randn(n, d, dtype=dtype) * scale


@pytest.mark.parametrize("c", [1.0, 0.5, 2.0])
def test_exp0_log0_closed_forms(c):
    v = _rand(64, 7, 0.7)
    sc = math.sqrt(c)
    n = v.norm(dim=-1, keepdim=True)
    ref_exp = torch.tanh(sc * n) * v / (sc * n)
    got = pm.exp0(v.float(), c)
    assert got.dtype == torch.float32
    torch.testing.assert_close(got.double(), ref_exp, atol=1e-6, rtol=1e-5)
    y = ref_exp
    ny = y.norm(dim=-1, keepdim=True)
    ref_log = torch.atanh(sc * ny) * y / (sc * ny)
    torch.testing.assert_close(pm.log0(y.float(), c).double(), ref_log, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("c", [1.0, 0.3])
def test_exp_log_are_inverses(c):
    v = _rand(128, 16, 0.5).float()
    torch.testing.assert_close(pm.log0(pm.exp0(v, c), c), v, atol=1e-4, rtol=1e-4)
    y = pm.exp0(_rand(128, 16, 0.5).float(), c)
    torch.testing.assert_close(pm.exp0(pm.log0(y, c), c), y, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("c", [1.0, 2.0])
def test_distance_closed_form_and_metric_properties(c):
    x = pm.exp0(_rand(50, 5, 0.8).float(), c).double()
    y = pm.exp0(_rand(50, 5, 0.8).float(), c).double()
    num = 2 * c * (x - y).pow(2).sum(-1)
    den = (1 - c * x.pow(2).sum(-1)) * (1 - c * y.pow(2).sum(-1))
    ref = torch.acosh(1 + num / den) / math.sqrt(c)
    got = pm.distance(x.float(), y.float(), c).double()
    torch.testing.assert_close(got, ref, atol=1e-4, rtol=1e-4)
    # distance from the origin is 2/√c · artanh(√c‖y‖) (closed form)
    origin = torch.zeros_like(y)
    ref0 = 2 / math.sqrt(c) * torch.atanh(math.sqrt(c) * y.norm(dim=-1))
    torch.testing.assert_close(pm.distance(origin.float(), y.float(), c).double(), ref0,
                               atol=1e-4, rtol=1e-4)
    # symmetry and (near) zero self-distance
    torch.testing.assert_close(pm.distance(x.float(), y.float(), c),
                               pm.distance(y.float(), x.float(), c))
    assert pm.distance(x.float(), x.float(), c).max() < 1e-3


def test_pairwise_distance_matches_broadcast():
    x = pm.exp0(torch.randn(30, 8) * 0.6)
    e = pm.exp0(torch.randn(20, 8) * 0.6)
    torch.testing.assert_close(pm.pairwise_distance(x, e),
                               pm.distance(x.unsqueeze(1), e.unsqueeze(0)), atol=2e-4, rtol=1e-4)


@pytest.mark.parametrize("c", [1.0, 4.0])
def test_finite_gradients_near_boundary(c):
    boundary = 1 / math.sqrt(c)
    d = 6
    direction = torch.nn.functional.normalize(torch.randn(10, d), dim=-1)
    for gap in (1e-5, 5e-6, 1e-7, 0.0):
        y = (direction * (boundary - gap)).requires_grad_(True)
        other = pm.exp0(torch.randn(10, d) * 0.3, c).requires_grad_(True)
        out = pm.log0(y, c).sum() + pm.distance(y, other, c).sum() \
            + pm.pairwise_distance(y, other, c).sum()
        out.backward()
        assert torch.isfinite(out)
        assert torch.isfinite(y.grad).all() and torch.isfinite(other.grad).all()
    # exp0 of huge tangent vectors lands strictly inside the ball and maps back finitely
    v = (torch.randn(10, d) * 1e3).requires_grad_(True)
    y = pm.exp0(v, c)
    assert (y.norm(dim=-1) < boundary).all()
    back = pm.log0(y, c)
    back.sum().backward()
    assert torch.isfinite(back).all() and torch.isfinite(v.grad).all()
    # self-distance gradient is finite (arcosh'(1) is infinite without the clamp)
    x = pm.exp0(torch.randn(4, d) * 0.5, c).requires_grad_(True)
    pm.distance(x, x.detach().clone(), c).sum().backward()
    assert torch.isfinite(x.grad).all()


@pytest.mark.parametrize("c,scale", [(1.0, 0.5), (1.0, 3.0), (0.5, 1.0)])
def test_nearest_code_equals_bruteforce(c, scale):
    x = pm.exp0(torch.randn(300, 12) * scale, c)
    codes = pm.exp0(torch.randn(64, 12) * scale, c)
    idx, dist = pm.nearest_code(x, codes, c, chunk=37)
    ref_idx, ref_dist = naive_nearest_code(x, codes, c)
    # ties are measure-zero; compare the distances achieved and the indices
    torch.testing.assert_close(dist, ref_dist, atol=1e-3, rtol=1e-3)
    chosen = pm.distance(x, codes[idx], c)
    assert (chosen <= ref_dist + 1e-4).all()
    assert (idx == ref_idx).float().mean() > 0.99


def test_nearest_code_is_not_the_euclidean_argmin():
    """Guards against silently using the Euclidean nearest code: near the boundary they differ."""
    torch.manual_seed(3)
    x = pm.exp0(torch.randn(2000, 2) * 2.5)
    codes = pm.exp0(torch.randn(32, 2) * 2.5)
    idx, _ = pm.nearest_code(x, codes)
    eucl = torch.cdist(x, codes).argmin(-1)
    ref_idx, _ = naive_nearest_code(x, codes)
    assert (idx == ref_idx).all()
    assert (idx != eucl).any()
