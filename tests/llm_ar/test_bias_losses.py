"""Bias losses on hand-made usage counts."""
import pytest
import torch

from hhir_core.errors import ConfigError
from hhir_llm_ar import bias_losses as bl


def test_zipf_shaped_usage_scores_lower_than_uniform():
    k = 64
    zipf_counts = bl.zipf_distribution(k) * 100          # exactly Zipf-shaped (s = 1)
    uniform = torch.full((k,), 100.0 / k)
    peaked = torch.zeros(k)
    peaked[5] = 100.0
    z, u, p = bl.zipf_loss(zipf_counts), bl.zipf_loss(uniform), bl.zipf_loss(peaked)
    assert z < 1e-6
    assert u > 0.05 and p > 0.05
    # order does not matter: the usage is sorted before the comparison
    shuffled = zipf_counts[torch.randperm(k)]
    assert bl.zipf_loss(shuffled) < 1e-6


def test_zipf_mandelbrot_offset_and_batch():
    q = bl.zipf_distribution(10, s=1.0, offset=2.7)
    r = torch.arange(1, 11, dtype=torch.float32)
    ref = 1 / (r + 2.7)
    torch.testing.assert_close(q, ref / ref.sum())
    counts = torch.stack([q * 7, torch.ones(10)])
    both = bl.zipf_loss(counts, offset=2.7)
    torch.testing.assert_close(both, 0.5 * bl.zipf_loss(torch.ones(10), offset=2.7), atol=1e-6,
                               rtol=1e-5)
    with pytest.raises(ConfigError):
        bl.zipf_distribution(0)


def test_js_divergence_bounds():
    p = torch.tensor([1.0, 0.0])
    q = torch.tensor([0.0, 1.0])
    assert abs(float(bl.js_divergence(p, q)) - float(torch.log(torch.tensor(2.0)))) < 1e-5
    assert float(bl.js_divergence(p, p)) == pytest.approx(0.0, abs=1e-7)


def test_context_loss_fully_paired_is_zero_and_unpaired_is_one():
    k, half = 8, 4
    paired = torch.zeros(2, k)
    paired[0, [0, 4]] = 3.0                     # token 0 three times, partner 4 three times
    paired[1, [1, 5, 2, 6]] = torch.tensor([1.0, 1.0, 2.0, 2.0])
    assert float(bl.context_loss(paired)) == pytest.approx(0.0, abs=1e-7)
    unpaired = torch.zeros(1, k)
    unpaired[0, [0, 1, 2]] = 2.0                # all in the first half: no partners
    assert float(bl.context_loss(unpaired)) == pytest.approx(1.0)
    half_paired = torch.zeros(1, k)
    half_paired[0, [0, half, 1, 2]] = 1.0       # 2 of 4 tokens have their partner
    assert float(bl.context_loss(half_paired)) == pytest.approx(0.5)
    # explicit L and soft counts
    soft = torch.tensor([[0.5, 0.0, 0.0, 0.0, 0.5, 0.0, 0.0, 1.0]])
    assert float(bl.context_loss(soft, length=2)) == pytest.approx(0.5)
    with pytest.raises(ConfigError):
        bl.context_loss(torch.ones(1, 7))


def test_mmd_self_is_zero_and_detects_shift():
    torch.manual_seed(0)
    x = torch.randn(200, 16)
    assert float(bl.mmd_loss(x, x)) == pytest.approx(0.0, abs=1e-6)
    y_same = torch.randn(200, 16)
    y_shift = torch.randn(200, 16) + 1.5
    assert float(bl.mmd_loss(x, y_shift)) > 10 * float(bl.mmd_loss(x, y_same))
    # explicit bandwidths and gradients reach the first argument
    xg = x.clone().requires_grad_(True)
    bl.gaussian_mmd(xg, y_shift, [1.0, 4.0]).backward()
    assert torch.isfinite(xg.grad).all() and xg.grad.abs().sum() > 0


def test_soft_assignments_rows_sum_to_one():
    logits = torch.randn(3, 5, 8)
    a = bl.soft_assignments(logits, tau=0.5, gumbel=True)
    torch.testing.assert_close(a.sum(-1), torch.ones(3, 5))
    counts = bl.soft_counts(a)
    torch.testing.assert_close(counts.sum(-1), torch.full((3,), 5.0))


def test_zipf_batch_scope_fits_one_curve_to_the_set_of_sentences():
    """Eq. 4 regularises the set of action sentences: batch scope sums the counts first."""
    from hhir_llm_ar.bias_losses import ZIPF_MANDELBROT_OFFSET, zipf_loss

    g = torch.Generator().manual_seed(0)
    counts = torch.rand(4, 32, generator=g) * (torch.rand(4, 32, generator=g) > 0.6)
    batch = zipf_loss(counts, offset=ZIPF_MANDELBROT_OFFSET, scope="batch")
    assert torch.allclose(batch, zipf_loss(counts.sum(0), offset=ZIPF_MANDELBROT_OFFSET, scope="sentence"))
    assert not torch.allclose(batch, zipf_loss(counts, offset=ZIPF_MANDELBROT_OFFSET, scope="sentence"))
    # each sentence alone uses 1 code; together they use all 32 codes with Zipf-Mandelbrot frequencies
    from hhir_llm_ar.bias_losses import zipf_distribution
    q = zipf_distribution(32, 1.0, ZIPF_MANDELBROT_OFFSET)
    spread = torch.diag(q * 100)
    assert zipf_loss(spread, offset=ZIPF_MANDELBROT_OFFSET, scope="batch") < 1e-6
    assert zipf_loss(spread, offset=ZIPF_MANDELBROT_OFFSET, scope="sentence") > 0.3
    assert ZIPF_MANDELBROT_OFFSET == 2.7
    with pytest.raises(ConfigError, match="scope"):
        zipf_loss(counts, scope="token")
