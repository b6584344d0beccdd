"""Poincaré-ball math (the one module that holds it).

The ball of curvature ``-c`` is ``{y : c‖y‖² < 1}``. LLM-AR keeps its codebook
on the ball and maps encoder latents there with :func:`exp0`; everything here
computes in float32 (inputs in half precision are up-cast) and clamps norms a
small margin below the boundary so that ``artanh``/``arcosh`` and their
gradients stay finite.

Closed forms (LLM-AR paper)::

    exp0(v)   = tanh(√c‖v‖) · v / (√c‖v‖)
    log0(y)   = artanh(√c‖y‖) · y / (√c‖y‖)
    d(x, y)   = (1/√c) · arcosh(1 + 2c‖x−y‖² / ((1−c‖x‖²)(1−c‖y‖²)))

The nearest code never materialises ``[N, K, D]``: ``arcosh`` is monotone, so
``argmin_k d(x, e_k) = argmin_k ‖x−e_k‖² / (1−c‖e_k‖²)`` (the ``x`` factor is a
positive constant per row), and ``‖x−e‖² = ‖x‖² + ‖e‖² − 2 x·e`` needs one
matrix product.
"""
from __future__ import annotations

import math
from typing import Optional, Tuple

import torch
from torch import Tensor

#: relative margin kept below the boundary: ‖y‖ ≤ (1 − BOUNDARY_EPS)/√c
BOUNDARY_EPS = 1e-5
#: smallest norm used as a divisor (v/‖v‖ at the origin)
MIN_NORM = 1e-15
#: smallest arcosh argument offset (keeps d/du sqrt(u) finite at u = 0)
MIN_ARCOSH_U = 1e-7


def _f32(x: Tensor) -> Tensor:
    return x.float() if x.dtype != torch.float32 and x.is_floating_point() else x


def max_norm(c: float, eps: float = BOUNDARY_EPS) -> float:
    """Largest Euclidean norm a ball point may have: ``(1 − eps)/√c``."""
    return (1.0 - eps) / math.sqrt(c)


def project(y: Tensor, c: float = 1.0, eps: float = BOUNDARY_EPS) -> Tensor:
    """Pull points outside ``‖y‖ ≤ (1−eps)/√c`` back onto that sphere (radially).

    Why: in float32 ``tanh`` reaches 1.0 for arguments above ~9, which would put
    ``exp0`` results exactly on the boundary where ``log0``/``d`` are infinite.
    """
    y = _f32(y)
    norm = y.norm(dim=-1, keepdim=True).clamp_min(MIN_NORM)
    limit = max_norm(c, eps)
    scale = torch.where(norm > limit, limit / norm, torch.ones_like(norm))
    return y * scale


def exp0(v: Tensor, c: float = 1.0, eps: float = BOUNDARY_EPS) -> Tensor:
    """Exponential map at the origin: tangent vector ``v`` -> ball point."""
    v = _f32(v)
    sc = math.sqrt(c)
    norm = v.norm(dim=-1, keepdim=True).clamp_min(MIN_NORM)
    return project(torch.tanh(sc * norm) * v / (sc * norm), c, eps)


def log0(y: Tensor, c: float = 1.0, eps: float = BOUNDARY_EPS) -> Tensor:
    """Logarithmic map at the origin: ball point ``y`` -> tangent vector."""
    y = project(_f32(y), c, eps)
    sc = math.sqrt(c)
    norm = y.norm(dim=-1, keepdim=True).clamp_min(MIN_NORM)
    arg = (sc * norm).clamp_max(1.0 - eps)
    return torch.atanh(arg) * y / (sc * norm)


def _arcosh1p(u: Tensor) -> Tensor:
    """``arcosh(1 + u)`` for ``u ≥ 0``, stable for small ``u`` and with finite gradient."""
    u = u.clamp_min(MIN_ARCOSH_U)
    return torch.log1p(u + torch.sqrt(u * (u + 2.0)))


def distance(x: Tensor, y: Tensor, c: float = 1.0, eps: float = BOUNDARY_EPS) -> Tensor:
    """Geodesic distance between ball points, broadcasting over leading dims."""
    x = project(_f32(x), c, eps)
    y = project(_f32(y), c, eps)
    diff2 = (x - y).pow(2).sum(-1)
    den = (1 - c * x.pow(2).sum(-1)) * (1 - c * y.pow(2).sum(-1))
    return _arcosh1p(2 * c * diff2 / den) / math.sqrt(c)


def pairwise_distance(x: Tensor, codes: Tensor, c: float = 1.0,
                      eps: float = BOUNDARY_EPS) -> Tensor:
    """Distances ``[N, K]`` between ``x [N, D]`` and ``codes [K, D]`` (one matmul).

    Differentiable in both arguments; used for the soft (Gumbel-softmax) usage
    of the bias losses. Memory is ``O(N·K)``, never ``O(N·K·D)``.
    """
    x = project(_f32(x), c, eps)
    codes = project(_f32(codes), c, eps)
    x2 = x.pow(2).sum(-1, keepdim=True)            # [N,1]
    e2 = codes.pow(2).sum(-1).unsqueeze(0)          # [1,K]
    diff2 = (x2 + e2 - 2.0 * (x @ codes.t())).clamp_min(0.0)
    den = (1 - c * x2) * (1 - c * e2)
    return _arcosh1p(2 * c * diff2 / den) / math.sqrt(c)


@torch.no_grad()
def nearest_code(x: Tensor, codes: Tensor, c: float = 1.0, eps: float = BOUNDARY_EPS,
                 chunk: Optional[int] = 16384) -> Tuple[Tensor, Tensor]:
    """Index and geodesic distance of the nearest code for each row of ``x [N, D]``.

    Uses the monotone surrogate ``‖x−e‖²/(1−c‖e‖²)`` (see module docstring), so
    the work is one ``[N, D] × [D, K]`` product per chunk of ``chunk`` rows.
    """
    x = project(_f32(x), c, eps)
    codes = project(_f32(codes), c, eps)
    e2 = codes.pow(2).sum(-1)                       # [K]
    inv_e = 1.0 / (1 - c * e2)                      # [K]
    idx_out, dist_out = [], []
    step = x.shape[0] if not chunk else chunk
    for start in range(0, max(x.shape[0], 1), max(step, 1)):
        xs = x[start:start + step]
        if xs.shape[0] == 0:
            break
        x2 = xs.pow(2).sum(-1, keepdim=True)        # [n,1]
        diff2 = (x2 + e2.unsqueeze(0) - 2.0 * (xs @ codes.t())).clamp_min(0.0)
        surrogate = diff2 * inv_e.unsqueeze(0)
        best, idx = surrogate.min(dim=-1)
        u = 2 * c * best / (1 - c * x2.squeeze(-1))
        idx_out.append(idx)
        dist_out.append(_arcosh1p(u) / math.sqrt(c))
    if not idx_out:
        return (torch.empty(0, dtype=torch.long, device=x.device),
                torch.empty(0, dtype=x.dtype, device=x.device))
    return torch.cat(idx_out), torch.cat(dist_out)


__all__ = ["BOUNDARY_EPS", "max_norm", "project", "exp0", "log0", "distance",
           "pairwise_distance", "nearest_code"]
