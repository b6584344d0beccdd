"""UCMR: the unified cross-modality refinement block of PeVL.

* :class:`P2VAttention` (pose → video): inside one frame, video tokens attend
  only to the patches that contain joints, with logits scaled by the weighted
  pose mask ``M``::

      α_ij = 1[M_ij>0]·exp(q_i k_jᵀ·M_ij) / (Σ_j 1[M_ij>0]·exp(q_i k_jᵀ·M_ij) + 1[M_i=0])

  The paper's formula writes ``exp(QKᵀ ⊙ M)``; we read "restricted by the mask"
  literally (entries with ``M_ij = 0`` get exactly zero weight) and the
  ``+1[M=0]`` indicator keeps frames without any joint finite: their attention
  row is all zeros, so the residual leaves those tokens unchanged.
* :class:`V2PAttention` (video → pose): the pose frames aligned with the video
  frames, plus one learnable background token, attend to that frame's video
  tokens; refined frames are written back, the others are left untouched, so
  the pose sequence keeps its length.
* :class:`NTXentLoss`: refinement supervision between features before and after
  refinement (SimCLR NT-Xent, learnable temperature).
"""
from __future__ import annotations

import math
from typing import Tuple

import torch
import torch.nn.functional as F
from torch import nn


# ----------------------------------------------------------------------------- masks
def patch_weights(keypoint: torch.Tensor, grid: Tuple[int, int], image_size: Tuple[int, int],
                  norm: str = "max") -> torch.Tensor:
    """Weighted pose mask per patch.

    Why: P2V needs, for every frame, how much pose evidence each patch holds.

    Args:
        keypoint: ``[N, J, 3]`` joints of one frame each (x, y in pixels of the
            encoder input, score); several persons are simply more joints.
            Joints with score 0 or outside the image are ignored.
        grid: patches ``(gh, gw)``; image_size: ``(H, W)`` in pixels.
        norm: ``"max"`` (default; the patch with most joint weight gets 1) or
            ``"sum"`` (weights of a frame sum to 1).
    Returns:
        ``[N, gh*gw]`` non-negative weights; an all-zero row means "no joints".
    """
    gh, gw = grid
    h, w = image_size
    x, y, s = keypoint[..., 0], keypoint[..., 1], keypoint[..., 2].clamp(min=0)
    inside = (x >= 0) & (x < w) & (y >= 0) & (y < h) & (s > 0) & torch.isfinite(x) & torch.isfinite(y)
    col = (x.clamp(0, w - 1e-3) * gw / w).long().clamp(0, gw - 1)
    row = (y.clamp(0, h - 1e-3) * gh / h).long().clamp(0, gh - 1)
    idx = row * gw + col
    weights = torch.zeros(keypoint.shape[0], gh * gw, dtype=keypoint.dtype, device=keypoint.device)
    weights.scatter_add_(1, idx, torch.where(inside, s, torch.zeros_like(s)))
    if norm == "max":
        denom = weights.amax(dim=1, keepdim=True)
    elif norm == "sum":
        denom = weights.sum(dim=1, keepdim=True)
    else:
        raise ValueError(f"patch weight norm must be 'max' or 'sum', got {norm!r}")
    return weights / denom.clamp(min=1e-12)


def masked_pose_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                          mask: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """The P2V attention with the weighted mask (see the module docstring).

    ``q,k,v``: ``[N, H, L, d]``; ``mask``: ``[N, 1|H, L, L]`` non-negative weights.
    Returns ``(output [N,H,L,d], alpha [N,H,L,L])``; rows whose mask is all zero
    give zero attention (finite, never NaN).
    """
    scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
    logits = scores * mask
    valid = mask > 0
    row_empty = ~valid.any(dim=-1, keepdim=True)                     # 1[M=0]
    stab = logits.masked_fill(~valid, float("-inf")).amax(dim=-1, keepdim=True)
    stab = torch.where(row_empty, torch.zeros_like(stab), stab).detach()
    num = torch.exp((logits - stab).masked_fill(~valid, float("-inf")))   # exactly 0 off-mask
    # after subtracting the row max the +1 indicator is only needed for empty rows
    alpha = num / (num.sum(dim=-1, keepdim=True) + row_empty.to(num.dtype))
    return torch.matmul(alpha, v), alpha


class P2VAttention(nn.Module):
    """Pose-to-video attention inserted after a ViT layer (residual, per frame).

    ``mask_mode="key"`` (default): ``M_ij = w_j`` — every token of the frame may
    gather from the pose patches. ``"outer"``: ``M_ij = w_i·w_j`` — only pose
    patches exchange information. The class token has weight 0 as a key.
    The output projection starts at zero, so inserting P2V does not change a
    pre-trained encoder at initialisation.
    """

    def __init__(self, dim: int, num_heads: int = 8, mask_mode: str = "key") -> None:
        super().__init__()
        if dim % num_heads:
            raise ValueError(f"P2V dim {dim} is not divisible by num_heads {num_heads}")
        if mask_mode not in ("key", "outer"):
            raise ValueError(f"P2V mask_mode must be 'key' or 'outer', got {mask_mode!r}")
        self.num_heads, self.mask_mode = num_heads, mask_mode
        self.norm = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        nn.init.zeros_(self.proj.weight)
        nn.init.zeros_(self.proj.bias)

    def build_mask(self, weights: torch.Tensor, num_prefix: int = 1) -> torch.Tensor:
        """``[N, Np]`` patch weights -> ``[N, 1, L, L]`` mask (prefix tokens weigh 0)."""
        w = F.pad(weights, (num_prefix, 0))
        if self.mask_mode == "key":
            m = w[:, None, :].expand(-1, w.shape[1], -1)
        else:
            m = w[:, :, None] * w[:, None, :]
        return m[:, None]

    def forward(self, x: torch.Tensor, weights: torch.Tensor, num_prefix: int = 1) -> torch.Tensor:
        """``x [N, L, D]`` tokens of N frames, ``weights [N, L-num_prefix]``."""
        n, length, d = x.shape
        qkv = self.qkv(self.norm(x)).view(n, length, 3, self.num_heads, d // self.num_heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4)
        out, _ = masked_pose_attention(q, k, v, self.build_mask(weights, num_prefix).to(q.dtype))
        return x + self.proj(out.transpose(1, 2).reshape(n, length, d))


def aligned_pose_indices(num_pose: int, num_video: int, device=None) -> torch.Tensor:
    """Pose frame aligned with each video frame (both sampled uniformly over one span).

    Segment centres: video frame t covers ``[t, t+1)/Tv`` of the clip, its centre
    falls in pose frame ``floor((t+0.5)·Tp/Tv)`` (48 pose, 16 video: 1, 4, 7, ...).
    """
    t = torch.arange(num_video, device=device, dtype=torch.float64)
    return ((t + 0.5) * num_pose / num_video).floor().long().clamp(0, num_pose - 1)


class V2PAttention(nn.Module):
    """Video-to-pose refinement of the joint tokens (keeps the pose length).

    For each video frame t, the joint tokens of the aligned pose frame plus one
    learnable background token are the queries; keys/values are those same
    tokens and the frame's video tokens (projected to the pose width), so the
    background token gathers scene context that the joints can read. The
    background token's own output is discarded.
    """

    def __init__(self, pose_dim: int, video_dim: int, num_heads: int = 4) -> None:
        super().__init__()
        self.video_proj = nn.Linear(video_dim, pose_dim)
        self.bg_token = nn.Parameter(torch.zeros(1, 1, pose_dim))
        nn.init.normal_(self.bg_token, std=0.02)
        self.norm_q = nn.LayerNorm(pose_dim)
        self.norm_kv = nn.LayerNorm(pose_dim)
        self.attn = nn.MultiheadAttention(pose_dim, num_heads, batch_first=True)
        self.norm_mlp = nn.LayerNorm(pose_dim)
        self.mlp = nn.Sequential(nn.Linear(pose_dim, 2 * pose_dim), nn.GELU(),
                                 nn.Linear(2 * pose_dim, pose_dim))

    def forward(self, pose_tokens: torch.Tensor, video_tokens: torch.Tensor) -> torch.Tensor:
        """``pose_tokens [B,Tp,J,Dp]``, ``video_tokens [B,Tv,N,Dv]`` -> ``[B,Tp,J,Dp]``."""
        b, tp, j, dp = pose_tokens.shape
        tv, n = video_tokens.shape[1], video_tokens.shape[2]
        idx = aligned_pose_indices(tp, tv, pose_tokens.device)
        sel = pose_tokens[:, idx].reshape(b * tv, j, dp)
        q = torch.cat([sel, self.bg_token.expand(b * tv, -1, -1)], dim=1)
        vid = self.video_proj(video_tokens.reshape(b * tv, n, -1))
        kv = self.norm_kv(torch.cat([q, vid], dim=1))
        qn = self.norm_q(q)
        h = q + self.attn(qn, kv, kv, need_weights=False)[0]
        h = h + self.mlp(self.norm_mlp(h))
        refined = h[:, :j].reshape(b, tv, j, dp)
        # merge back: refined frames replace their originals, others untouched
        out = pose_tokens.clone()
        out[:, idx] = refined
        return out


class NTXentLoss(nn.Module):
    """SimCLR NT-Xent between two views (features before/after refinement).

    Why: the refinement must keep each sample's identity (positive pair) while
    staying discriminative against the other samples of the batch (negatives).
    The temperature is learnable (stored as its log, clamped to [0.01, 1]).
    """

    def __init__(self, temperature: float = 0.1, learnable: bool = True) -> None:
        super().__init__()
        t = torch.tensor(math.log(temperature))
        self.log_temperature = nn.Parameter(t) if learnable else nn.Parameter(t, requires_grad=False)

    @property
    def temperature(self) -> torch.Tensor:
        return self.log_temperature.exp().clamp(0.01, 1.0)

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        n = a.shape[0]
        z = F.normalize(torch.cat([a, b], dim=0).float(), dim=-1)
        sim = z @ z.t() / self.temperature
        sim = sim.masked_fill(torch.eye(2 * n, dtype=torch.bool, device=z.device), float("-inf"))
        target = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)]).to(z.device)
        return F.cross_entropy(sim, target)
