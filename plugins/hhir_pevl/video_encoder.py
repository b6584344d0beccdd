"""Video encoder of PeVL: a frozen CLIP image encoder applied per frame, with
trainable bottleneck adapters and UCMR's P2V attention after chosen ViT layers.

Why a custom layer loop: the adapters sit inside each layer (on the attention
and MLP outputs, before the residual sums) and P2V needs the per-frame patch
grid; re-running the layer's own sub-modules (``layer_norm1``, ``self_attn``,
``layer_norm2``, ``mlp``) keeps the pre-trained weights untouched and loadable
from any CLIP checkpoint, with no monkey-patching of transformers.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Sequence, Tuple, Union

import torch
from torch import nn

from hhir_core.errors import ConfigError
from hhir_core.interfaces import KeypointVideoEncoder, shared_layer_forward
from hhir_core.vision import load_clip_vision as _load_clip

from .adapters import BottleneckAdapter
from .ucmr import P2VAttention, patch_weights

#: PeVL's tiny random-init CLIP (offline tests and the mini config override what they need)
TINY_CLIP = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
                 image_size=32, patch_size=8, projection_dim=32)


def load_clip_vision(model: Union[str, Dict[str, Any]]) -> nn.Module:
    """The core's CLIP loader (:func:`hhir_core.vision.load_clip_vision`) with PeVL's tiny defaults."""
    return _load_clip(model, defaults=TINY_CLIP, key="model.video_encoder.model",
                      missing_hint="; or use the offline configs/pevl_synthetic_mini.py (random tiny CLIP)")


class CLIPVideoEncoder(nn.Module, KeypointVideoEncoder):
    """Per-frame CLIP ViT with adapters and P2V (a BranchEncoder on ``frames``).

    Args:
        model: hub id, local directory or ``dict(tiny=True, ...)``.
        freeze: freeze the CLIP weights (paper: True).
        adapters: add trainable bottleneck adapters to every layer (paper: True).
        adapter_ratio: bottleneck width / hidden width.
        p2v_layers: indices of the ViT layers followed by P2V (negative = from the end);
            empty disables P2V.
        p2v_heads, p2v_mask_mode, p2v_weight_norm: see :class:`P2VAttention`, :func:`patch_weights`.
    """

    input_kind = "frames"
    #: the CLIP weights are frozen (``freeze=True``) and rebuilt from the config
    frozen_state_prefixes = ("clip",)

    def __init__(self, model: Union[str, Dict[str, Any]] = "openai/clip-vit-base-patch16",
                 freeze: bool = True, adapters: bool = True, adapter_ratio: float = 0.25,
                 p2v_layers: Sequence[int] = (-2, -1), p2v_heads: int = 8,
                 p2v_mask_mode: str = "key", p2v_weight_norm: str = "max") -> None:
        super().__init__()
        self.clip = load_clip_vision(model)
        cfg = self.clip.config
        self._hidden_size, self.patch_size, self.image_size = cfg.hidden_size, cfg.patch_size, cfg.image_size
        self._out_dim = cfg.projection_dim
        layers = self.clip.vision_model.encoder.layers
        n = len(layers)
        if freeze:
            for p in self.clip.parameters():
                p.requires_grad_(False)
        self.adapters = nn.ModuleList()
        if adapters:
            for _ in range(n):
                self.adapters.append(nn.ModuleDict(dict(
                    attn=BottleneckAdapter(self.hidden_size, adapter_ratio),
                    mlp=BottleneckAdapter(self.hidden_size, adapter_ratio))))
        bad = [i for i in p2v_layers if not -n <= i < n]
        if bad:
            raise ConfigError(f"model.video_encoder.p2v_layers={list(p2v_layers)}: {bad} out of "
                              f"range for a {n}-layer ViT")
        self.p2v_layers = sorted({i % n for i in p2v_layers})
        heads = p2v_heads if self.hidden_size % p2v_heads == 0 else cfg.num_attention_heads
        self.p2v = nn.ModuleDict({str(i): P2VAttention(self.hidden_size, heads, p2v_mask_mode)
                                  for i in self.p2v_layers})
        self.p2v_weight_norm = p2v_weight_norm

    @property
    def out_dim(self) -> int:
        return self._out_dim

    @property
    def hidden_size(self) -> int:
        """Width of the ViT's patch tokens."""
        return self._hidden_size

    def shared_layers(self) -> nn.ModuleList:
        """The CLIP ViT layers themselves (frozen with ``freeze=True``); a pose encoder with
        ``attach_shared_layers`` runs its joint tokens through them with its own adapters."""
        return self.clip.vision_model.encoder.layers

    def _layer(self, i: int, layer: nn.Module, h: torch.Tensor) -> torch.Tensor:
        return shared_layer_forward(layer, h, self.adapters[i] if len(self.adapters) else None)

    def encode(self, frames: torch.Tensor, video_keypoint: Optional[torch.Tensor] = None,
               use_p2v: bool = True) -> Dict[str, torch.Tensor]:
        """Encode ``frames [B,T,3,H,W]``.

        ``video_keypoint [B,M,T,V,3]``: joints of each video frame in pixels of
        ``frames`` (x, y, score); needed when P2V is active.
        Returns ``frames`` ``[B,T,D]`` (projected class tokens), ``patches``
        ``[B,T,N,Dv]`` (last-layer patch tokens) and, when P2V ran, ``before`` /
        ``after`` ``[B,Dv]`` (class tokens around the P2V layers, mean over frames).
        """
        b, t, c, hgt, wid = frames.shape
        vm = self.clip.vision_model
        h = vm.pre_layrnorm(vm.embeddings(frames.reshape(b * t, c, hgt, wid),
                                          interpolate_pos_encoding=(hgt, wid) != (self.image_size,) * 2))
        run_p2v = use_p2v and bool(self.p2v_layers)
        weights = None
        if run_p2v:
            if video_keypoint is None:
                raise ValueError("P2V is enabled but no video_keypoint was given")
            kp = video_keypoint.permute(0, 2, 1, 3, 4).reshape(b * t, -1, video_keypoint.shape[-1])
            grid = (hgt // self.patch_size, wid // self.patch_size)
            weights = patch_weights(kp.to(h.dtype), grid, (hgt, wid), self.p2v_weight_norm)
        out: Dict[str, torch.Tensor] = {}
        for i, layer in enumerate(vm.encoder.layers):
            h = self._layer(i, layer, h)
            if run_p2v and i in self.p2v_layers:
                if "before" not in out:
                    out["before"] = h[:, 0].reshape(b, t, -1).mean(1)
                h = self.p2v[str(i)](h, weights)
                out["after"] = h[:, 0].reshape(b, t, -1).mean(1)
        cls = self.clip.visual_projection(vm.post_layernorm(h[:, 0]))
        out["frames"] = cls.reshape(b, t, -1)
        out["patches"] = h[:, 1:].reshape(b, t, h.shape[1] - 1, -1)
        return out

    def forward(self, x: torch.Tensor, video_keypoint: Optional[torch.Tensor] = None,
                **extra: Any) -> torch.Tensor:
        return self.encode(x, video_keypoint, use_p2v=video_keypoint is not None)["frames"]

    @classmethod
    def tiny_config(cls) -> Dict[str, Any]:
        return dict(model=dict(tiny=True), p2v_layers=[-1], p2v_heads=2)

    def example_inputs(self, batch_size: int = 2) -> Tuple[tuple, Dict[str, Any]]:
        s = self.image_size
        frames = torch.randn(batch_size, 3, 3, s, s)
        kp = torch.rand(batch_size, 1, 3, 5, 3) * torch.tensor([s, s, 1.0])
        return (frames,), {"video_keypoint": kp}
