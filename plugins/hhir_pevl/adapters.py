"""Bottleneck adapters: the only trainable part of a frozen pre-trained encoder.

Why: PeVL keeps CLIP frozen and learns small residual bottlenecks (down-project,
GELU, up-project). The up-projection starts at zero so an adapted encoder is
exactly the frozen one at initialisation.
"""
from __future__ import annotations

import torch
from torch import nn


class BottleneckAdapter(nn.Module):
    """``x + up(gelu(down(x)))`` with ``up`` zero-initialised."""

    def __init__(self, dim: int, ratio: float = 0.25, bottleneck: int | None = None) -> None:
        super().__init__()
        hidden = int(bottleneck or max(1, round(dim * ratio)))
        self.down = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.up = nn.Linear(hidden, dim)
        nn.init.zeros_(self.up.weight)
        nn.init.zeros_(self.up.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.up(self.act(self.down(x)))


class TemporalAdapter(nn.Module):
    """Bottleneck attention over the frames of each token, added residually.

    ``h [B·T, J, D]`` (one row per frame, ``J`` tokens each) -> same shape:
    ``h + up(attn(down(norm(h))))`` with the attention over the ``T`` frames of each of the
    ``J`` tokens. ``up`` starts at zero, so an encoder with these adapters is exactly the
    per-frame one at initialisation.
    """

    def __init__(self, dim: int, ratio: float = 0.25) -> None:
        super().__init__()
        hidden = max(1, round(dim * ratio))
        self.norm = nn.LayerNorm(dim)
        self.down = nn.Linear(dim, hidden)
        self.attn = nn.MultiheadAttention(hidden, hidden // 64 if hidden % 64 == 0 else 1,
                                          batch_first=True)
        self.up = nn.Linear(hidden, dim)
        nn.init.zeros_(self.up.weight)
        nn.init.zeros_(self.up.bias)

    def forward(self, h: torch.Tensor, frames: int) -> torch.Tensor:
        bt, j, d = h.shape
        b = bt // frames
        x = h.reshape(b, frames, j, d).transpose(1, 2).reshape(b * j, frames, d)
        z = self.down(self.norm(x))
        z = self.up(self.attn(z, z, z, need_weights=False)[0])
        return h + z.reshape(b, j, frames, d).transpose(1, 2).reshape(bt, j, d)
