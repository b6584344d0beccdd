"""GRUSkeletonTokenizer: a continuous, recurrent skeleton tokenizer.

A drop-in for LLM-AR's tokenizer slot (``input_kind = "skeleton"``): a GRU
reads the skeleton frame by frame, its states are averaged over windows of
``stride`` frames (one token per window) and projected to the LLM's
word-embedding width. A linear decoder reconstructs the frames of each window
from its token, which gives stage 1 ("linguistic projection") its loss.

It implements :class:`hhir_core.interfaces.SkeletonTokenizer` and one of its
optional capabilities, ``set_reference_embeddings`` (for an MMD loss towards the
LLM's word embeddings). It has no codebook (``ids`` is ``None``, no
``code_vectors()``), so LLM-AR's ``token_mode='vocab'`` falls back to splicing
the tokens into the prompt (``token_mode='embeds'``).

Why the GRU is written out instead of ``nn.GRU``: LLM-AR freezes the stage-1
tokenizer by turning its parameters into buffers; ``nn.GRU`` keeps private
references to its weight tensors and would silently ignore weights loaded
into such buffers. Plain ``nn.Linear`` layers have no such cache.
"""
from __future__ import annotations

from typing import Any, Dict, Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from hhir_core.errors import ConfigError, DataError
from hhir_core.interfaces import SkeletonTokenizer
from hhir_core.structures import TokenizerOutput


class GRULayer(nn.Module):
    """One GRU layer (PyTorch's gate equations) over ``[B,T,I]`` -> ``[B,T,H]``."""

    def __init__(self, in_dim: int, hidden: int) -> None:
        super().__init__()
        self.hidden = hidden
        self.x2h = nn.Linear(in_dim, 3 * hidden)
        self.h2h = nn.Linear(hidden, 3 * hidden)

    def forward(self, x: Tensor) -> Tensor:
        gx = self.x2h(x)
        h = x.new_zeros(x.shape[0], self.hidden)
        out = []
        for t in range(x.shape[1]):
            xr, xz, xn = gx[:, t].chunk(3, dim=-1)
            hr, hz, hn = self.h2h(h).chunk(3, dim=-1)
            r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
            n = torch.tanh(xn + r * hn)
            h = (1 - z) * n + z * h
            out.append(h)
        return torch.stack(out, dim=1)


def gaussian_mmd(x: Tensor, y: Tensor, scales=(0.5, 1.0, 2.0)) -> Tensor:
    """Biased MMD^2 between samples ``x [N,D]`` and ``y [M,D]`` (sum of Gaussian kernels)."""
    def k(a: Tensor, b: Tensor) -> Tensor:
        d2 = torch.cdist(a, b).pow(2)
        return sum(torch.exp(-d2 / (2 * s * s)) for s in scales)
    return k(x, x).mean() + k(y, y).mean() - 2 * k(x, y).mean()


class GRUSkeletonTokenizer(nn.Module, SkeletonTokenizer):
    """GRU encoder + window pooling + linear projection to the LLM width.

    Args:
        in_channels: features per frame, ``M*V*C`` (150 for 2 bodies x 25 joints x 3-D).
        llm_dim: output width (the LLM's word-embedding size; LLM-AR fills it in
            from the LLM when the config says ``None``).
        hidden: GRU width.
        num_layers: stacked GRU layers.
        stride: frames per token (``L = ceil(T / stride)``).
        recon_weight: weight of the smooth-L1 frame reconstruction loss.
        mmd_weight: weight of an MMD term pulling the tokens towards the LLM's
            word embeddings (set by LLM-AR through :meth:`set_reference_embeddings`);
            0 disables it.
    """

    def __init__(self, in_channels: int = 150, llm_dim: int = 576, hidden: int = 128,
                 num_layers: int = 1, stride: int = 4, recon_weight: float = 1.0,
                 mmd_weight: float = 0.0) -> None:
        super().__init__()
        if stride < 1 or num_layers < 1:
            raise ConfigError(f"tokenizer.stride={stride} and tokenizer.num_layers={num_layers} "
                              "must be >= 1")
        self.in_channels, self._llm_dim, self.stride = int(in_channels), int(llm_dim), int(stride)
        self.recon_weight, self.mmd_weight = float(recon_weight), float(mmd_weight)
        self.norm = nn.LayerNorm(in_channels)
        self.layers = nn.ModuleList(
            GRULayer(in_channels if i == 0 else hidden, hidden) for i in range(num_layers))
        self.proj = nn.Linear(hidden, llm_dim)
        self.decoder = nn.Linear(llm_dim, stride * in_channels)
        # LLM word-embedding sample for the MMD term (rebuilt by the recognizer, not saved)
        self.register_buffer("mmd_reference", torch.zeros(0, llm_dim), persistent=False)

    @property
    def llm_dim(self) -> int:
        return self._llm_dim

    # -- optional capability of SkeletonTokenizer ----------------------------------
    def set_reference_embeddings(self, embeddings: Tensor, num_samples: Optional[int] = None,
                                 seed: int = 0) -> None:
        """Keep a random sample of the frozen LLM's word embeddings ``[V, D]`` (for MMD)."""
        if embeddings.dim() != 2 or embeddings.shape[1] != self.llm_dim:
            raise ConfigError(f"LLM embeddings {tuple(embeddings.shape)} do not match "
                              f"tokenizer.llm_dim={self.llm_dim}")
        g = torch.Generator().manual_seed(seed)
        idx = torch.randperm(embeddings.shape[0], generator=g)[:num_samples or 1024]
        self.mmd_reference = embeddings.detach()[idx].float().clone().to(self.proj.weight.device)

    # -- forward -------------------------------------------------------------------
    def _flatten(self, x: Tensor) -> Tensor:
        if x.dim() == 5:  # [B,M,T,V,C] -> [B,T,M*V*C]
            b, m, t, v, c = x.shape
            x = x.permute(0, 2, 1, 3, 4).reshape(b, t, m * v * c)
        if x.dim() != 3 or x.shape[-1] != self.in_channels:
            raise DataError(f"GRUSkeletonTokenizer expects [B,M,T,V,C] or [B,T,{self.in_channels}] "
                            f"(tokenizer.in_channels = M*V*C); got {tuple(x.shape)}")
        return x.float()

    def forward(self, x: Tensor, compute_losses: bool = True, **extra: Any) -> TokenizerOutput:
        """Skeleton -> ``embeds [B, ceil(T/stride), llm_dim]``; losses when ``compute_losses``."""
        x = self._flatten(x)
        b, t, _ = x.shape
        pad = (-t) % self.stride
        if pad:  # repeat the last frame so T is a multiple of the stride
            x = torch.cat([x, x[:, -1:].expand(-1, pad, -1)], dim=1)
        h = self.norm(x)
        for layer in self.layers:
            h = layer(h)
        h = h.reshape(b, -1, self.stride, h.shape[-1]).mean(2)
        embeds = self.proj(h)
        losses: Dict[str, Tensor] = {}
        extras: Dict[str, Any] = {}
        if compute_losses:
            recon = self.decoder(embeds).reshape(b, -1, self.in_channels)[:, :t]
            err = F.smooth_l1_loss(recon, x[:, :t], reduction="none").mean((1, 2))
            extras["recon_error"] = err
            if self.recon_weight:
                losses["loss_recon"] = self.recon_weight * err.mean()
            if self.mmd_weight and self.mmd_reference.numel():
                sample = embeds.reshape(-1, self.llm_dim)
                losses["loss_mmd"] = self.mmd_weight * gaussian_mmd(sample, self.mmd_reference)
        return TokenizerOutput(embeds=embeds, ids=None, losses=losses, extras=extras)

    # -- conformance kit -----------------------------------------------------------
    @classmethod
    def tiny_config(cls) -> Dict[str, Any]:
        return dict(in_channels=12, llm_dim=16, hidden=16, num_layers=1, stride=4)

    def example_inputs(self, batch_size: int = 2):
        """Raw skeletons ``[B, M=1, T=10, V, C=3]`` with ``V*C == in_channels``."""
        return (torch.randn(batch_size, 1, 10, self.in_channels // 3, 3),), {}
