"""Pose encoder of PeVL: factorised spatial + temporal attention over joint tokens.

Input: 2-D poses ``[B,M,T,V,C]`` (C = x, y normalised to [-1, 1], score).
Every joint of every person is a token; a block attends over the ``M·V``
tokens of one frame (spatial), then over the T frames of one joint
(temporal). The output keeps one token per joint and frame, so UCMR's V2P
can refine individual frames and the sequence keeps its length.
"""
from __future__ import annotations

from typing import Any, Dict, Tuple

import torch
from torch import nn

from hhir_core.interfaces import JointTokenEncoder


class _FactorisedBlock(nn.Module):
    def __init__(self, dim: int, heads: int, mlp_ratio: float = 2.0, dropout: float = 0.0) -> None:
        super().__init__()
        self.norm_s = nn.LayerNorm(dim)
        self.attn_s = nn.MultiheadAttention(dim, heads, dropout=dropout, batch_first=True)
        self.norm_t = nn.LayerNorm(dim)
        self.attn_t = nn.MultiheadAttention(dim, heads, dropout=dropout, batch_first=True)
        self.norm_m = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, int(dim * mlp_ratio)), nn.GELU(),
                                 nn.Linear(int(dim * mlp_ratio), dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, j, d = x.shape
        s = x.reshape(b * t, j, d)
        h = self.norm_s(s)
        s = s + self.attn_s(h, h, h, need_weights=False)[0]
        tt = s.reshape(b, t, j, d).transpose(1, 2).reshape(b * j, t, d)
        h = self.norm_t(tt)
        tt = tt + self.attn_t(h, h, h, need_weights=False)[0]
        tt = tt + self.mlp(self.norm_m(tt))
        return tt.reshape(b, j, t, d).transpose(1, 2)


class PoseTransformerEncoder(nn.Module, JointTokenEncoder):
    """Spatial-temporal transformer over 2-D joint tokens (a BranchEncoder).

    ``encode(x) -> [B,T,M·V,D]`` joint tokens; ``forward(x) -> [B,T·M·V,D]``
    (the role contract); ``pool`` averages all tokens.
    """

    input_kind = "skeleton"

    def __init__(self, num_joints: int = 17, num_persons: int = 1, in_channels: int = 3,
                 dim: int = 256, depth: int = 4, num_heads: int = 8, max_frames: int = 64,
                 dropout: float = 0.0) -> None:
        super().__init__()
        self.num_joints, self.num_persons, self.in_channels = num_joints, num_persons, in_channels
        self._dim = dim
        self.embed = nn.Linear(in_channels, dim)
        self.joint_embed = nn.Parameter(torch.zeros(1, 1, num_persons * num_joints, dim))
        self.time_embed = nn.Parameter(torch.zeros(1, max_frames, 1, dim))
        nn.init.normal_(self.joint_embed, std=0.02)
        nn.init.normal_(self.time_embed, std=0.02)
        self.blocks = nn.ModuleList(_FactorisedBlock(dim, num_heads, dropout=dropout) for _ in range(depth))
        self.norm = nn.LayerNorm(dim)

    @property
    def out_dim(self) -> int:
        return self._dim

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """``[B,M,T,V,C] -> [B,T,M·V,D]``."""
        b, m, t, v, c = x.shape
        if (m, v, c) != (self.num_persons, self.num_joints, self.in_channels):
            raise ValueError(f"pose input [B,M,T,V,C]={tuple(x.shape)} does not match the encoder "
                             f"(M={self.num_persons}, V={self.num_joints}, C={self.in_channels})")
        if t > self.time_embed.shape[1]:
            raise ValueError(f"pose input has {t} frames > max_frames={self.time_embed.shape[1]}")
        tokens = x.permute(0, 2, 1, 3, 4).reshape(b, t, m * v, c)
        h = self.embed(tokens) + self.joint_embed + self.time_embed[:, :t]
        for blk in self.blocks:
            h = blk(h)
        return self.norm(h)

    def forward(self, x: torch.Tensor, **extra: Any) -> torch.Tensor:
        h = self.encode(x)
        return h.reshape(h.shape[0], -1, h.shape[-1])

    @classmethod
    def tiny_config(cls) -> Dict[str, Any]:
        return dict(num_joints=5, num_persons=1, dim=16, depth=1, num_heads=2, max_frames=8)

    def example_inputs(self, batch_size: int = 2) -> Tuple[tuple, Dict[str, Any]]:
        x = torch.rand(batch_size, self.num_persons, 6, self.num_joints, self.in_channels) * 2 - 1
        return (x,), {}
