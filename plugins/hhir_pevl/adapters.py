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
