"""Graph-biased spatio-temporal attention skeleton encoder (SKI's default skeleton branch).

Why its own encoder: the SKI paper uses Hyperformer (a transformer whose joint
attention is biased by the skeleton graph). This is the same idea at a size a
CPU trains in minutes: per frame, joints attend to each other with a learnable
additive bias initialised from hop distance on the body graph; per joint,
frames attend to each other; persons are encoded independently and averaged
(absent, all-zero persons are masked out). Output: one token per temporal
step, ``[B, T', D]`` — per-time tokens are what SKI-LVLM projects into the LLM.
"""
from __future__ import annotations

import math
from collections import deque
from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch
from torch import nn

from hhir_core.errors import ConfigError
from hhir_core.interfaces import BranchEncoder

#: 1-based NTU RGB+D bone list (25 joints).
NTU_EDGES: Tuple[Tuple[int, int], ...] = (
    (1, 2), (2, 21), (3, 21), (4, 3), (5, 21), (6, 5), (7, 6), (8, 7), (9, 21), (10, 9),
    (11, 10), (12, 11), (13, 1), (14, 13), (15, 14), (16, 15), (17, 1), (18, 17), (19, 18),
    (20, 19), (22, 23), (23, 8), (24, 25), (25, 12))
#: 0-based COCO-17 bone list.
COCO_EDGES: Tuple[Tuple[int, int], ...] = (
    (0, 1), (0, 2), (1, 3), (2, 4), (5, 6), (5, 7), (7, 9), (6, 8), (8, 10), (5, 11),
    (6, 12), (11, 12), (11, 13), (13, 15), (12, 14), (14, 16))
LAYOUTS: Dict[str, Tuple[int, List[Tuple[int, int]]]] = {
    "nturgb+d": (25, [(a - 1, b - 1) for a, b in NTU_EDGES]),
    "coco": (17, list(COCO_EDGES)),
}


def hop_distance(num_joints: int, edges: Sequence[Tuple[int, int]]) -> torch.Tensor:
    """All-pairs hop distance on an undirected graph (BFS); unreachable = num_joints."""
    adj: List[List[int]] = [[] for _ in range(num_joints)]
    for a, b in edges:
        adj[a].append(b)
        adj[b].append(a)
    dist = torch.full((num_joints, num_joints), float(num_joints))
    for s in range(num_joints):
        dist[s, s] = 0
        queue = deque([s])
        while queue:
            u = queue.popleft()
            for v in adj[u]:
                if dist[s, v] > dist[s, u] + 1:
                    dist[s, v] = dist[s, u] + 1
                    queue.append(v)
    return dist


class _Attention(nn.Module):
    """Multi-head self-attention with an optional additive bias ``[heads, L, L]``.

    Why not ``nn.MultiheadAttention``: its float mask must be repeated per batch
    element (``[B*heads, L, L]``); ``scaled_dot_product_attention`` broadcasts it.
    """

    def __init__(self, dim: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.heads, self.dropout = heads, dropout
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor, bias: Optional[torch.Tensor] = None) -> torch.Tensor:
        n, length, d = x.shape
        q, k, v = self.qkv(x).reshape(n, length, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        y = nn.functional.scaled_dot_product_attention(
            q, k, v, attn_mask=None if bias is None else bias.to(q.dtype).unsqueeze(0),
            dropout_p=self.dropout if self.training else 0.0)
        return self.out(y.transpose(1, 2).reshape(n, length, d))


class _Block(nn.Module):
    """Spatial (graph-biased) attention, temporal attention, MLP; pre-norm residuals."""

    def __init__(self, dim: int, heads: int, hop: torch.Tensor, dropout: float) -> None:
        super().__init__()
        self.norm_s = nn.LayerNorm(dim)
        self.attn_s = _Attention(dim, heads, dropout)
        # one learnable bias per head and joint pair, initialised to -hop/2 (closer = more attention)
        self.graph_bias = nn.Parameter(-hop.clamp(max=6.0).unsqueeze(0).repeat(heads, 1, 1) * 0.5)
        self.norm_t = nn.LayerNorm(dim)
        self.attn_t = _Attention(dim, heads, dropout)
        self.norm_m = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Dropout(dropout),
                                 nn.Linear(2 * dim, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x [N, T, V, D]
        n, t, v, d = x.shape
        x = x + self.attn_s(self.norm_s(x).reshape(n * t, v, d), self.graph_bias).reshape(n, t, v, d)
        q = self.norm_t(x).permute(0, 2, 1, 3).reshape(n * v, t, d)
        x = x + self.attn_t(q).reshape(n, v, t, d).permute(0, 2, 1, 3)
        return x + self.mlp(self.norm_m(x))


class GraphAttentionSkeletonEncoder(BranchEncoder, nn.Module):
    """Skeleton ``[B,M,T,V,C]`` -> per-time tokens ``[B, ceil(T/temporal_stride), D]``.

    Args:
        in_channels: coordinates per joint (3 for NTU 3-D, 2 for 2-D poses).
        embed_dim: token width ``D``.
        depth / heads: transformer blocks and attention heads.
        temporal_stride: frames merged into one temporal token (a strided linear "patch").
        layout: ``nturgb+d`` or ``coco`` for the graph prior; other joint counts get no prior.
        max_frames: length of the learned temporal position table (interpolated beyond it).
    """

    input_kind = "skeleton"

    def __init__(self, in_channels: int = 3, embed_dim: int = 64, depth: int = 2, heads: int = 4,
                 temporal_stride: int = 4, layout: str = "nturgb+d", num_joints: Optional[int] = None,
                 max_frames: int = 300, dropout: float = 0.0) -> None:
        nn.Module.__init__(self)
        if embed_dim % heads:
            raise ConfigError(f"GraphAttentionSkeletonEncoder: embed_dim={embed_dim} is not "
                              f"divisible by heads={heads}")
        if layout in LAYOUTS:
            v, edges = LAYOUTS[layout]
            if num_joints not in (None, v):
                raise ConfigError(f"GraphAttentionSkeletonEncoder: layout {layout!r} has {v} "
                                  f"joints, num_joints={num_joints}")
            hop = hop_distance(v, edges)
        else:
            if num_joints is None:
                raise ConfigError(f"GraphAttentionSkeletonEncoder: unknown layout {layout!r}; "
                                  f"use one of {sorted(LAYOUTS)} or give num_joints")
            v, hop = num_joints, torch.zeros(num_joints, num_joints)
        self.in_channels, self.num_joints, self._dim = in_channels, v, embed_dim
        self.temporal_stride = temporal_stride
        self.patch = nn.Linear(in_channels * temporal_stride, embed_dim)
        self.joint_embed = nn.Parameter(torch.randn(v, embed_dim) * 0.02)
        self.time_embed = nn.Parameter(torch.randn(math.ceil(max_frames / temporal_stride),
                                                   embed_dim) * 0.02)
        self.blocks = nn.ModuleList([_Block(embed_dim, heads, hop, dropout) for _ in range(depth)])
        self.norm = nn.LayerNorm(embed_dim)

    @property
    def out_dim(self) -> int:
        return self._dim

    def _time_embed(self, steps: int) -> torch.Tensor:
        table = self.time_embed
        if steps <= table.shape[0]:
            return table[:steps]
        return nn.functional.interpolate(table.t()[None], size=steps, mode="linear",
                                         align_corners=False)[0].t()

    def forward(self, x: torch.Tensor, **extra: Any) -> torch.Tensor:
        """Encode ``x [B,M,T,V,C]`` (``[B,T,V,C]`` is read as one person)."""
        if x.dim() == 4:
            x = x.unsqueeze(1)
        if x.dim() != 5 or x.shape[-1] != self.in_channels or x.shape[-2] != self.num_joints:
            raise ConfigError(
                f"GraphAttentionSkeletonEncoder expects [B,M,T,{self.num_joints},"
                f"{self.in_channels}], got {tuple(x.shape)} (check in_channels/layout)")
        x = x.float()
        b, m, t, v, c = x.shape
        present = x.flatten(2).abs().sum(-1) > 0  # [B,M]; all-zero bodies are padding
        present[:, 0] |= ~present.any(1)  # keep at least one body per sample
        s = self.temporal_stride
        pad = (-t) % s
        if pad:
            x = torch.cat([x, x[:, :, -1:].expand(b, m, pad, v, c)], dim=2)
        steps = x.shape[2] // s
        # merge `s` consecutive frames per joint into one temporal patch
        x = x.reshape(b * m, steps, s, v, c).permute(0, 1, 3, 2, 4).reshape(b * m, steps, v, s * c)
        h = self.patch(x) + self.joint_embed + self._time_embed(steps)[:, None]
        for blk in self.blocks:
            h = blk(h)
        h = self.norm(h).mean(dim=2).reshape(b, m, steps, self._dim)  # pool joints
        w = present.to(h.dtype)[:, :, None, None]
        return (h * w).sum(1) / w.sum(1).clamp(min=1.0)  # mean over present persons

    @classmethod
    def tiny(cls, **overrides: Any) -> "GraphAttentionSkeletonEncoder":
        cfg = dict(in_channels=3, embed_dim=16, depth=1, heads=2, temporal_stride=4, max_frames=32)
        cfg.update(overrides)
        return cls(**cfg)

    def example_inputs(self, batch_size: int = 2) -> Tuple[tuple, Dict[str, Any]]:
        return (torch.randn(batch_size, 2, 16, self.num_joints, self.in_channels),), {}
