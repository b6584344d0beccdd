"""Codebook statistics, the stage-1 metric and the rank-frequency plot."""
import numpy as np
import pytest

from hhir_llm_ar.codebook_stats import plot_rank_frequency, usage_counts, usage_stats, zipf_fit_exponent
from hhir_llm_ar.metrics import VQTokenizerMetric


def test_usage_stats_and_zipf_fit(tmp_path):
    uniform = usage_stats(np.full(8, 5))
    assert uniform["perplexity"] == pytest.approx(8.0) and uniform["dead_codes"] == 0
    one = usage_stats(usage_counts([3, 3, 3], 8))
    assert one["perplexity"] == pytest.approx(1.0) and one["dead_codes"] == 7
    zipf = 1000.0 / np.arange(1, 65) ** 1.3
    assert zipf_fit_exponent(zipf) == pytest.approx(1.3, abs=1e-6)
    png = plot_rank_frequency(zipf, tmp_path / "rf.png")
    assert png.stat().st_size > 1000


def test_vq_metric():
    m = VQTokenizerMetric(num_codes=4)
    m.process(None, [dict(recon_error=0.5, code_ids=[0, 1]), dict(recon_error=1.5, code_ids=[0, 0])])
    out = m.compute_metrics(m.results)
    assert out["recon_error"] == pytest.approx(1.0)
    assert out["used_codes"] == 2 and out["dead_codes"] == 2
