"""CLIP image encoder applied per frame (the ViFi-CLIP video branch).

Why a plain per-frame encoder: ViFi-CLIP shows that fine-tuning CLIP's image
encoder frame by frame and averaging over time is a strong video baseline; no
temporal module is added. ``model`` is a hub id / local directory of a CLIP
checkpoint (the paper configs name ``openai/clip-vit-base-patch16``) or a dict
with ``tiny=True`` for a random-init config that runs offline on a CPU.
"""
from __future__ import annotations

from typing import Any, Dict, Tuple, Union

import torch
from torch import nn

from hhir_core.errors import ConfigError
from hhir_core.interfaces import BranchEncoder
from hhir_core.vision import load_clip_vision

#: SKI's tiny random-init CLIP (the mini configs override what they need)
TINY_CLIP = dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                 image_size=112, patch_size=16, projection_dim=64)


def build_clip_vision(model: Union[str, Dict[str, Any]]) -> nn.Module:
    """The core's CLIP loader (:func:`hhir_core.vision.load_clip_vision`) with SKI's tiny defaults."""
    return load_clip_vision(model, defaults=TINY_CLIP, key="CLIPFrameEncoder.model",
                            missing_hint="; the *_mini configs use a tiny random-init encoder instead")


class CLIPFrameEncoder(BranchEncoder, nn.Module):
    """Frames ``[B,T,3,H,W]`` (CLIP-normalised) -> per-frame CLIP embeddings ``[B,T,D]``.

    ``D`` is CLIP's projection width (512 for ViT-B/16). ``freeze=True`` keeps the
    encoder fixed (SKI-LVLM). Frames must have the checkpoint's image size.
    """

    input_kind = "frames"

    TOKENS = ("frame", "spatiotemporal")

    def __init__(self, model: Union[str, Dict[str, Any]] = "openai/clip-vit-base-patch16",
                 freeze: bool = False, tokens: str = "frame") -> None:
        nn.Module.__init__(self)
        if tokens not in self.TOKENS:
            raise ConfigError(f"CLIPFrameEncoder.tokens={tokens!r}; choose one of {self.TOKENS}")
        self.tokens = tokens
        self.clip = build_clip_vision(model)
        vision_cfg = getattr(self.clip.config, "vision_config", self.clip.config)
        # 'frame': one projected CLIP embedding per frame; 'spatiotemporal' (Video-ChatGPT's
        # video features, SKI-LVLM): the penultimate layer's patch tokens of every frame,
        # averaged over patches (T temporal tokens) and over frames (P spatial tokens), T + P
        # tokens of the hidden width (1024 for ViT-L/14: 100 frames + 256 patches = 356 tokens)
        self._dim = int(self.clip.config.projection_dim if tokens == "frame"
                        else vision_cfg.hidden_size)
        self.image_size = int(vision_cfg.image_size)
        self.frozen = freeze
        if freeze:
            self.clip.requires_grad_(False)
            self.clip.eval()

    @property
    def out_dim(self) -> int:
        return self._dim

    def train(self, mode: bool = True) -> "CLIPFrameEncoder":
        super().train(mode)
        if self.frozen:
            self.clip.eval()
        return self

    def forward(self, x: torch.Tensor, **extra: Any) -> torch.Tensor:
        if x.dim() != 5 or x.shape[2] != 3:
            raise ConfigError(f"CLIPFrameEncoder expects frames [B,T,3,H,W], got {tuple(x.shape)}")
        b, t = x.shape[:2]
        spatiotemporal = self.tokens == "spatiotemporal"
        out = self.clip(pixel_values=x.flatten(0, 1).float(), output_hidden_states=spatiotemporal)
        if not spatiotemporal:
            return out.image_embeds.reshape(b, t, -1)
        patches = out.hidden_states[-2][:, 1:].reshape(b, t, -1, self._dim)  # no CLS token
        return torch.cat([patches.mean(2), patches.mean(1)], dim=1)          # [B, T + P, D]

    @classmethod
    def tiny(cls, **overrides: Any) -> "CLIPFrameEncoder":
        cfg: Dict[str, Any] = dict(model=dict(tiny=True, hidden_size=32, intermediate_size=64,
                                              num_hidden_layers=1, num_attention_heads=2,
                                              image_size=32, patch_size=16, projection_dim=16))
        cfg.update(overrides)
        return cls(**cfg)

    def example_inputs(self, batch_size: int = 2) -> Tuple[tuple, Dict[str, Any]]:
        return (torch.randn(batch_size, 3, 3, self.image_size, self.image_size),), {}
