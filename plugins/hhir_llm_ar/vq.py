"""Building blocks of LLM-AR's action VQ-VAE: temporal-conv encoder/decoder and quantizers.

The encoder maps a skeleton sequence ``[B, T, M·V·C]`` to ``T/4`` latents of the
LLM's word-embedding width (two stride-2 stages with residual blocks); the
decoder mirrors it. Quantizers hold the codebook *in tangent space* (a plain
Euclidean parameter, so ordinary AdamW works) and differ in where the nearest
code is searched: on the Poincaré ball (:class:`HyperbolicQuantizer`) or in
Euclidean space (:class:`EuclideanQuantizer`).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from . import poincare


class ResBlock1d(nn.Module):
    """Pre-activation residual block of two temporal convolutions (dilated)."""

    def __init__(self, channels: int, dilation: int = 1) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.ReLU(), nn.Conv1d(channels, channels, 3, padding=dilation, dilation=dilation),
            nn.ReLU(), nn.Conv1d(channels, channels, 1))

    def forward(self, x: Tensor) -> Tensor:
        return x + self.net(x)


def _res_stack(channels: int, depth: int) -> nn.Sequential:
    return nn.Sequential(*[ResBlock1d(channels, dilation=3 ** i) for i in range(depth)])


class TemporalConvEncoder(nn.Module):
    """``[B, C_in, T] -> [B, D, T/4]``: conv, then two (stride-2 conv + residual) stages."""

    def __init__(self, in_channels: int, out_channels: int, hidden: int = 256,
                 depth: int = 2) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv1d(in_channels, hidden, 3, padding=1), nn.ReLU(),
            nn.Conv1d(hidden, hidden, 4, stride=2, padding=1), _res_stack(hidden, depth),
            nn.Conv1d(hidden, hidden, 4, stride=2, padding=1), _res_stack(hidden, depth),
            nn.ReLU(), nn.Conv1d(hidden, out_channels, 1))

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)


class TemporalConvDecoder(nn.Module):
    """Mirror of :class:`TemporalConvEncoder`: ``[B, D, T/4] -> [B, C_in, T]``."""

    def __init__(self, in_channels: int, out_channels: int, hidden: int = 256,
                 depth: int = 2) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv1d(in_channels, hidden, 3, padding=1), _res_stack(hidden, depth),
            nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv1d(hidden, hidden, 3, padding=1),
            _res_stack(hidden, depth),
            nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv1d(hidden, hidden, 3, padding=1),
            nn.ReLU(), nn.Conv1d(hidden, out_channels, 3, padding=1))

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)


@dataclass
class Quantized:
    """Result of a quantizer on ``N`` flattened latents."""
    decoder_input: Tensor   # [N, D] straight-through output (tangent space) for the decoder
    codes: Tensor           # [N, D] chosen code vectors in tangent space (the LLM tokens)
    ids: Tensor             # [N] long
    neg_dist: Tensor        # [N, K] −distance to every code (differentiable), for soft usage
    embedding_loss: Tensor  # scalar: moves codes towards (stop-grad) latents
    commitment_loss: Tensor  # scalar: moves latents towards (stop-grad) codes


class _Quantizer(nn.Module):
    """Codebook ``[K, D]`` stored in tangent space."""

    def __init__(self, num_codes: int, dim: int, init_std: float = 0.02) -> None:
        super().__init__()
        self.codebook = nn.Parameter(torch.randn(num_codes, dim) * init_std)

    @property
    def num_codes(self) -> int:
        return self.codebook.shape[0]

    def tangent_codes(self) -> Tensor:
        """The codebook as the LLM sees it (tangent space / Euclidean)."""
        return self.codebook


class HyperbolicQuantizer(_Quantizer):
    """Nearest code on the Poincaré ball of curvature ``-c`` (DESIGN §3).

    Latents ``z`` go through ``exp0``; the nearest ball code by geodesic distance
    is found without materialising ``[N, K, D]``; the straight-through estimator
    acts on the ball and ``log0`` brings the result back to the decoder.
    Embedding/commitment losses are squared geodesic distances.
    """

    def __init__(self, num_codes: int, dim: int, curvature: float = 1.0,
                 init_std: float = 0.02) -> None:
        super().__init__(num_codes, dim, init_std)
        if curvature <= 0:
            from hhir_core.errors import ConfigError
            raise ConfigError(f"tokenizer.curvature must be > 0, got {curvature}")
        self.c = float(curvature)

    def ball_codes(self) -> Tensor:
        return poincare.exp0(self.codebook, self.c)

    def tangent_codes(self) -> Tensor:
        return poincare.log0(self.ball_codes(), self.c)

    def forward(self, z: Tensor) -> Quantized:
        h = poincare.exp0(z, self.c)                          # [N, D] on the ball
        e = self.ball_codes()                                 # [K, D]
        ids, _ = poincare.nearest_code(h.detach(), e.detach(), self.c)
        q = e[ids]
        emb = poincare.distance(h.detach(), q, self.c).pow(2).mean()
        com = poincare.distance(h, q.detach(), self.c).pow(2).mean()
        st = h + (q - h).detach()
        neg = -poincare.pairwise_distance(h, e, self.c)
        return Quantized(poincare.log0(st, self.c), poincare.log0(q, self.c), ids, neg, emb, com)


class EuclideanQuantizer(_Quantizer):
    """Standard VQ-VAE quantizer (the "Euclidean codebook" ablation)."""

    def forward(self, z: Tensor) -> Quantized:
        z = z.float()
        e = self.codebook
        with torch.no_grad():
            d2 = (z.pow(2).sum(-1, keepdim=True) + e.pow(2).sum(-1).unsqueeze(0)
                  - 2 * z @ e.t())
            ids = d2.argmin(-1)
        q = e[ids]
        emb = F.mse_loss(q, z.detach(), reduction="none").sum(-1).mean()
        com = F.mse_loss(z, q.detach(), reduction="none").sum(-1).mean()
        neg = -torch.cdist(z, e)
        return Quantized(z + (q - z).detach(), q, ids, neg, emb, com)


__all__ = ["ResBlock1d", "TemporalConvEncoder", "TemporalConvDecoder", "Quantized",
           "HyperbolicQuantizer", "EuclideanQuantizer"]
