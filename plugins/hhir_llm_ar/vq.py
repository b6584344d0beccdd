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
    """Codebook ``[K, D]`` stored in tangent space, with optional data-driven upkeep.

    ``data_init``: on the first training batch the codebook is set to a random
    sample of the encoder's latents (so every code starts where data is).
    ``reset_interval``/``reset_threshold``: every ``reset_interval`` training
    batches, codes whose usage (exponential moving average of their share of the
    tokens, decay ``reset_decay``) is below ``reset_threshold / K`` are moved onto
    random latents of the current batch ("code reset", as in T2M-GPT's motion
    VQ-VAE). Both fight codebook collapse; the paper is silent on them, so they are
    switches (``reset_interval=0`` and ``data_init=False`` disable them).
    """

    def __init__(self, num_codes: int, dim: int, init_std: float = 0.02,
                 data_init: bool = True, reset_interval: int = 20,
                 reset_threshold: float = 0.03, reset_decay: float = 0.9) -> None:
        super().__init__()
        self.codebook = nn.Parameter(torch.randn(num_codes, dim) * init_std)
        self.data_init = bool(data_init)
        self.reset_interval = int(reset_interval)
        self.reset_threshold = float(reset_threshold)
        self.reset_decay = float(reset_decay)
        self.register_buffer("initialised", torch.zeros((), dtype=torch.bool))
        self.register_buffer("usage_ema", torch.full((num_codes,), 1.0 / num_codes))
        self.register_buffer("steps", torch.zeros((), dtype=torch.long))

    @property
    def num_codes(self) -> int:
        return self.codebook.shape[0]

    @staticmethod
    def _sample_rows(z: Tensor, n: int) -> Tensor:
        idx = torch.randint(0, z.shape[0], (n,), device=z.device) if z.shape[0] < n \
            else torch.randperm(z.shape[0], device=z.device)[:n]
        rows = z[idx]
        if z.shape[0] < n:  # duplicates: jitter so they are distinct codes
            rows = rows + 0.01 * rows.std() * torch.randn_like(rows)
        return rows

    @torch.no_grad()
    def maintain(self, z: Tensor, ids: Tensor) -> None:
        """Training-time upkeep before/after the assignment (see the class docstring)."""
        if not self.training or not isinstance(self.codebook, nn.Parameter):
            return
        z = z.detach().float()
        share = torch.bincount(ids, minlength=self.num_codes).float() / max(ids.numel(), 1)
        self.usage_ema.mul_(self.reset_decay).add_((1 - self.reset_decay) * share)
        self.steps += 1
        if self.reset_interval and int(self.steps) % self.reset_interval == 0:
            dead = self.usage_ema < self.reset_threshold / self.num_codes
            n = int(dead.sum())
            if n:
                self.codebook.data[dead] = self._sample_rows(z, n).to(self.codebook.dtype)
                self.usage_ema[dead] = 1.0 / self.num_codes

    @torch.no_grad()
    def maybe_data_init(self, z: Tensor) -> None:
        if self.training and self.data_init and not bool(self.initialised) \
                and isinstance(self.codebook, nn.Parameter):
            self.codebook.data.copy_(self._sample_rows(z.detach().float(), self.num_codes))
            self.initialised.fill_(True)

    def tangent_codes(self) -> Tensor:
        """The codebook as the LLM sees it (tangent space / Euclidean)."""
        return self.codebook


class HyperbolicQuantizer(_Quantizer):
    """Nearest code on the Poincaré ball of curvature ``-c``.

    Latents ``z`` go through ``exp0``; the nearest ball code by geodesic distance
    is found without materialising ``[N, K, D]``; the straight-through estimator
    acts on the ball and ``log0`` brings the result back to the decoder.
    Embedding/commitment losses are squared geodesic distances.
    """

    def __init__(self, num_codes: int, dim: int, curvature: float = 1.0,
                 init_std: float = 0.02, **upkeep) -> None:
        super().__init__(num_codes, dim, init_std, **upkeep)
        if curvature <= 0:
            from hhir_core.errors import ConfigError
            raise ConfigError(f"tokenizer.curvature must be > 0, got {curvature}")
        self.c = float(curvature)

    def ball_codes(self) -> Tensor:
        return poincare.exp0(self.codebook, self.c)

    def tangent_codes(self) -> Tensor:
        return poincare.log0(self.ball_codes(), self.c)

    def forward(self, z: Tensor) -> Quantized:
        # tangent latents of the ball points (== z unless exp0 saturates) for upkeep
        self.maybe_data_init(poincare.log0(poincare.exp0(z.detach(), self.c), self.c))
        h = poincare.exp0(z, self.c)                          # [N, D] on the ball
        e = self.ball_codes()                                 # [K, D]
        ids, _ = poincare.nearest_code(h.detach(), e.detach(), self.c)
        self.maintain(poincare.log0(h.detach(), self.c), ids)
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
        self.maybe_data_init(z)
        e = self.codebook
        with torch.no_grad():
            d2 = (z.pow(2).sum(-1, keepdim=True) + e.pow(2).sum(-1).unsqueeze(0)
                  - 2 * z @ e.t())
            ids = d2.argmin(-1)
        self.maintain(z, ids)
        q = e[ids]
        emb = F.mse_loss(q, z.detach(), reduction="none").sum(-1).mean()
        com = F.mse_loss(z, q.detach(), reduction="none").sum(-1).mean()
        neg = -torch.cdist(z, e)
        return Quantized(z + (q - z).detach(), q, ids, neg, emb, com)


__all__ = ["ResBlock1d", "TemporalConvEncoder", "TemporalConvDecoder", "Quantized",
           "HyperbolicQuantizer", "EuclideanQuantizer"]
