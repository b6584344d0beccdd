"""LLM-AR's human-inductive-bias losses on action sentences.

* :func:`zipf_loss` — the sorted, normalised soft token usage of the set of action
  sentences (the batch; ``scope='sentence'`` scores each sentence alone) should look
  like natural language's rank-frequency law ``q_r ∝ 1/(r + b)^s`` (Zipf, or
  Zipf–Mandelbrot with offset ``b``; the standard fit to text is b ≈ 2.7);
  Jensen–Shannon divergence.
* :func:`context_loss` — codes are paired ``k ↔ k + K/2``; a token should appear
  with its partner: ``1 − (2/L)·Σ_{k<K/2} min(n_k, n_{k+K/2})``.
* :func:`mmd_loss` — the codebook (tangent space) should be distributed like the
  frozen LLM's input word embeddings: Gaussian-kernel MMD² over several bandwidths.

Soft counts come from :func:`soft_assignments` (Gumbel-softmax over −distance),
so the losses are differentiable w.r.t. the encoder and the codebook.
"""
from __future__ import annotations

from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from hhir_core.errors import ConfigError


def soft_assignments(neg_dist: Tensor, tau: float = 1.0, gumbel: bool = True,
                     hard: bool = False) -> Tensor:
    """Per-token soft code assignment ``[..., K]`` from logits ``−distance``.

    ``gumbel=True`` samples Gumbel-softmax (training); ``False`` is a plain softmax
    (deterministic, for evaluation and tests).
    """
    if gumbel:
        return F.gumbel_softmax(neg_dist.float(), tau=tau, hard=hard, dim=-1)
    return torch.softmax(neg_dist.float() / tau, dim=-1)


def soft_counts(assign: Tensor) -> Tensor:
    """Soft usage counts per sentence: ``[B, L, K] -> [B, K]`` (sums to ``L``)."""
    return assign.sum(dim=1)


def zipf_distribution(k: int, s: float = 1.0, offset: float = 0.0,
                      device=None) -> Tensor:
    """``q_r ∝ 1/(r + offset)^s`` for ranks ``r = 1..k`` (normalised)."""
    if k < 1 or s < 0 or offset <= -1:
        raise ConfigError(f"zipf_distribution: need k ≥ 1, s ≥ 0, offset > -1; "
                          f"got k={k}, s={s}, offset={offset}")
    r = torch.arange(1, k + 1, dtype=torch.float32, device=device)
    q = (r + offset).pow(-s)
    return q / q.sum()


def js_divergence(p: Tensor, q: Tensor, eps: float = 1e-12) -> Tensor:
    """Jensen–Shannon divergence (nats) between distributions on the last dim."""
    m = 0.5 * (p + q)

    def kl(a: Tensor, b: Tensor) -> Tensor:
        return (a * (torch.log(a.clamp_min(eps)) - torch.log(b.clamp_min(eps)))).sum(-1)

    return 0.5 * kl(p, m) + 0.5 * kl(q, m)


#: what one Zipf rank-frequency curve is fitted to
ZIPF_SCOPES = ("batch", "sentence")
#: Zipf–Mandelbrot offset of the standard fit to natural-language word frequencies
ZIPF_MANDELBROT_OFFSET = 2.7


def zipf_loss(counts: Tensor, s: float = 1.0, offset: float = 0.0,
              top: Optional[int] = None, scope: str = "sentence") -> Tensor:
    """JS divergence between sorted normalised usage and Zipf.

    ``counts`` is ``[B, K]`` (or ``[K]``). ``scope='batch'`` sums the counts of all
    sentences first, so one rank-frequency curve describes the set of action sentences
    (the paper's Eq. 4: a 16-token sentence cannot follow a 512-rank law by itself);
    ``'sentence'`` scores each sentence and averages. ``top`` restricts the comparison
    to the ``top`` most frequent ranks (both renormalised); ``None`` uses all ``K``.
    Sorting is differentiable (gradients flow through the sorted values).
    """
    if scope not in ZIPF_SCOPES:
        raise ConfigError(f"tokenizer.zipf.scope={scope!r}; valid: {', '.join(ZIPF_SCOPES)}")
    if counts.dim() == 1:
        counts = counts.unsqueeze(0)
    if scope == "batch":
        counts = counts.sum(0, keepdim=True)
    sorted_counts, _ = counts.float().sort(dim=-1, descending=True)
    if top is not None:
        sorted_counts = sorted_counts[:, :top]
    p = sorted_counts / sorted_counts.sum(-1, keepdim=True).clamp_min(1e-12)
    q = zipf_distribution(p.shape[-1], s, offset, device=p.device).unsqueeze(0)
    return js_divergence(p, q).mean()


def context_loss(counts: Tensor, length: Optional[float] = None) -> Tensor:
    """Share of a sentence's tokens whose partner ``k ± K/2`` is missing; mean over sentences.

    ``counts`` ``[B, K]`` with ``K`` even; ``length`` defaults to ``counts.sum(-1)``
    (the sentence length ``L``). 0 when every token appears with its partner as
    often as itself, 1 when no pair is ever completed.
    """
    if counts.dim() == 1:
        counts = counts.unsqueeze(0)
    k = counts.shape[-1]
    if k % 2:
        raise ConfigError(f"context_loss needs an even codebook size (tokenizer.num_codes); got {k}")
    half = k // 2
    paired = torch.minimum(counts[:, :half], counts[:, half:]).sum(-1)
    total = counts.sum(-1) if length is None else torch.full_like(paired, float(length))
    return (1.0 - 2.0 * paired / total.clamp_min(1e-12)).mean()


def _sq_dists(a: Tensor, b: Tensor) -> Tensor:
    """Pairwise squared Euclidean distances ``[N, M]`` via one matrix product."""
    return (a.pow(2).sum(-1, keepdim=True) + b.pow(2).sum(-1).unsqueeze(0)
            - 2.0 * a @ b.t()).clamp_min(0.0)


def kernel_mean(x: Tensor, y: Tensor, bandwidths: Sequence[float]) -> Tensor:
    """``Σ_σ mean_ij exp(−‖x_i − y_j‖²/(2σ²))`` (one term of the MMD estimate)."""
    d2 = _sq_dists(x.float(), y.float())
    total = d2.new_zeros(())
    for sigma in bandwidths:
        total = total + torch.exp(-d2 / (2.0 * float(sigma) ** 2)).mean()
    return total


def gaussian_mmd(x: Tensor, y: Tensor, bandwidths: Sequence[float],
                 yy_term: Optional[Tensor] = None) -> Tensor:
    """Biased MMD² estimate with a sum of Gaussian kernels ``exp(−‖a−b‖²/(2σ²))``.

    Biased (V-statistic) so that ``MMD(x, x) == 0`` exactly and the value is ≥ 0.
    ``yy_term`` (= :func:`kernel_mean` ``(y, y)``) may be precomputed when ``y`` is a
    fixed reference (it carries no gradient), which halves the cost per step.
    """
    if yy_term is None:
        yy_term = kernel_mean(y, y, bandwidths)
    total = kernel_mean(x, x, bandwidths) + yy_term - 2.0 * kernel_mean(x, y, bandwidths)
    return total.clamp_min(0.0)


def median_bandwidth(y: Tensor, max_points: int = 1024) -> float:
    """Median pairwise distance of ``y`` (the usual kernel-width heuristic)."""
    y = y[:max_points].float()
    d = torch.cdist(y, y)
    n = d.shape[0]
    off = d[~torch.eye(n, dtype=torch.bool, device=d.device)]
    return float(off.median()) if off.numel() else 1.0


def mmd_loss(codes: Tensor, reference: Tensor, bandwidths: Optional[Sequence[float]] = None,
             scales: Sequence[float] = (0.25, 0.5, 1.0, 2.0, 4.0),
             yy_term: Optional[Tensor] = None) -> Tensor:
    """MMD² between ``codes [K, D]`` and ``reference [S, D]`` (LLM word embeddings).

    Without explicit ``bandwidths`` they are ``scales ×`` the reference's median
    pairwise distance, so the loss is scale-free across LLMs (LLaMA-13B's and
    SmolLM2's embeddings have very different norms).
    """
    if bandwidths is None:
        base = median_bandwidth(reference.detach())
        bandwidths = [base * s for s in scales]
    return gaussian_mmd(codes, reference, bandwidths, yy_term)


__all__ = ["ZIPF_SCOPES", "ZIPF_MANDELBROT_OFFSET", "soft_assignments", "soft_counts",
           "zipf_distribution", "js_divergence",
           "zipf_loss", "context_loss", "kernel_mean", "gaussian_mmd", "median_bandwidth", "mmd_loss"]
