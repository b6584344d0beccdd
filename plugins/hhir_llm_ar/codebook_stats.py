"""Codebook-usage statistics of an action-sentence vocabulary.

Why: a VQ-VAE that collapses onto a few codes gives the LLM a tiny vocabulary;
perplexity, dead codes and the rank-frequency curve (which the Zipf loss shapes)
are the first things to look at after stage 1.
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict, Optional, Union

import numpy as np


def usage_counts(ids, num_codes: int) -> np.ndarray:
    """Histogram ``[K]`` of code ids (any array-like of ints)."""
    arr = np.asarray(ids.detach().cpu() if hasattr(ids, "detach") else ids).reshape(-1)
    return np.bincount(arr.astype(np.int64), minlength=num_codes)[:num_codes]


def usage_stats(counts: np.ndarray) -> Dict[str, float]:
    """Perplexity ``exp(H)``, used/dead code counts and the top-1 share of ``counts [K]``."""
    counts = np.asarray(counts, dtype=np.float64)
    total = counts.sum()
    k = len(counts)
    if total <= 0:
        return dict(perplexity=0.0, used_codes=0.0, dead_codes=float(k), top1_share=0.0)
    p = counts / total
    nz = p[p > 0]
    entropy = float(-(nz * np.log(nz)).sum())
    used = int((counts > 0).sum())
    return dict(perplexity=float(np.exp(entropy)), used_codes=float(used),
                dead_codes=float(k - used), top1_share=float(p.max()))


def zipf_fit_exponent(counts: np.ndarray) -> float:
    """Least-squares slope ``s`` of ``log f_r = −s log r + b`` over the used ranks."""
    f = np.sort(np.asarray(counts, dtype=np.float64))[::-1]
    f = f[f > 0]
    if len(f) < 2:
        return float("nan")
    r = np.arange(1, len(f) + 1)
    slope, _ = np.polyfit(np.log(r), np.log(f), 1)
    return float(-slope)


def plot_rank_frequency(counts: np.ndarray, path: Union[str, Path], s: float = 1.0,
                        title: Optional[str] = None) -> Path:
    """Save a log-log rank-frequency plot of ``counts`` with a Zipf reference line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    f = np.sort(np.asarray(counts, dtype=np.float64))[::-1]
    f = f[f > 0]
    fig, ax = plt.subplots(figsize=(5, 4), dpi=100)
    if len(f):
        r = np.arange(1, len(f) + 1)
        ax.loglog(r, f / f.sum(), "o-", ms=3, label="code usage")
        q = 1.0 / np.arange(1, len(counts) + 1) ** s
        ax.loglog(np.arange(1, len(counts) + 1), q / q.sum(), "--", label=f"Zipf s={s:g}")
    stats = usage_stats(counts)
    ax.set_xlabel("rank")
    ax.set_ylabel("frequency")
    ax.set_title(title or f"perplexity {stats['perplexity']:.1f}, "
                 f"dead {int(stats['dead_codes'])}/{len(counts)}")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


__all__ = ["usage_counts", "usage_stats", "zipf_fit_exponent", "plot_rank_frequency"]
