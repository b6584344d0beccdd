"""Pose encoders of PeVL: spatial + temporal attention over joint tokens.

Input: 2-D poses ``[B,M,T,V,C]`` (C = x, y normalised to [-1, 1], score).
Every joint of every person is a token; attention runs over the ``M·V``
tokens of one frame (spatial), then over the T frames of one joint
(temporal). The output keeps one token per joint and frame, so UCMR's V2P
can refine individual frames and the sequence keeps its length.

* :class:`SharedCLIPPoseEncoder` (the paper's design, the paper configs): the
  spatial attention is the video encoder's frozen CLIP ViT layers themselves,
  with the pose side's own bottleneck adapters, temporal adapters and joint
  embedding / output projection.
* :class:`PoseTransformerEncoder`: a separate transformer trained from scratch.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple, Union

import torch
from torch import nn

from hhir_core.errors import ConfigError
from hhir_core.interfaces import JointTokenEncoder, shared_layer_forward
from hhir_core.interfaces.branch_encoder import check_shared_layers
from hhir_core.vision import load_clip_vision

from .adapters import BottleneckAdapter, TemporalAdapter
from .video_encoder import TINY_CLIP


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


class SharedCLIPPoseEncoder(nn.Module, JointTokenEncoder):
    """Joint tokens through the video encoder's CLIP ViT layers, with pose-side adapters.

    Each joint of each person is embedded (``Linear`` of ``(x, y, score)`` plus learnable joint
    and frame embeddings, then a LayerNorm as CLIP's ``pre_layrnorm``); every CLIP layer
    attends over the ``M·V`` joint tokens of a frame (spatial), followed by a temporal adapter
    over the frames of each joint; a LayerNorm and a linear projection give the output tokens
    (width = the CLIP width). The CLIP layers come from the video encoder through
    :meth:`attach_shared_layers` (``PeVLRecognizer`` does it): the same modules, not a copy,
    kept as a plain reference, so they are stored, frozen and checkpointed once, by the video
    encoder. The adapters here are separate from the video encoder's.

    Args:
        num_joints, num_persons, in_channels: pose layout (``V``, ``M``, ``C``).
        max_frames: length of the learnable frame embedding.
        adapters: bottleneck adapters on every shared layer's attention and MLP outputs and a
            temporal adapter after it (``False``: the frozen layers alone, no temporal mixing).
        adapter_ratio: bottleneck width / CLIP width.
        clip: a CLIP vision model (hub id, directory or ``dict(tiny=True, ...)``) whose frozen
            layers the encoder uses on its own until layers are attached (tests, the
            conformance kit); ``None`` (every config): the video encoder's layers are attached.
    """

    input_kind = "skeleton"
    #: layers of a stand-alone ``clip`` are frozen and rebuilt from the config
    frozen_state_prefixes = ("own_layers",)

    def __init__(self, num_joints: int = 17, num_persons: int = 1, in_channels: int = 3,
                 max_frames: int = 64, adapters: bool = True, adapter_ratio: float = 0.25,
                 clip: Optional[Union[str, Dict[str, Any]]] = None) -> None:
        super().__init__()
        self.num_joints, self.num_persons, self.in_channels = num_joints, num_persons, in_channels
        self.max_frames, self.use_adapters, self.adapter_ratio = max_frames, adapters, adapter_ratio
        #: the attached layers, in a plain list so they are not registered here
        self._shared: List[nn.ModuleList] = []
        self._shape: Optional[Tuple[int, int]] = None     # (width, depth) the parameters fit
        if clip is not None:
            layers = load_clip_vision(clip, defaults=TINY_CLIP,
                                      key="model.pose_encoder.clip").vision_model.encoder.layers
            for p in layers.parameters():
                p.requires_grad_(False)
            self.own_layers = layers
            self._build(*self._layer_shape(layers))

    @staticmethod
    def _layer_shape(layers: Any) -> Tuple[int, int]:
        try:
            check_shared_layers(layers, "model.pose_encoder: attached layers")
        except AssertionError as exc:
            raise ConfigError(str(exc)) from None
        return int(layers[0].layer_norm1.normalized_shape[0]), len(layers)

    def _build(self, width: int, depth: int) -> None:
        """The pose side's own parameters for ``depth`` layers of width ``width``."""
        j = self.num_persons * self.num_joints
        self.embed = nn.Linear(self.in_channels, width)
        self.joint_embed = nn.Parameter(torch.zeros(1, 1, j, width))
        self.time_embed = nn.Parameter(torch.zeros(1, self.max_frames, 1, width))
        nn.init.normal_(self.joint_embed, std=0.02)
        nn.init.normal_(self.time_embed, std=0.02)
        self.pre_norm = nn.LayerNorm(width)
        self.adapters = nn.ModuleList()
        self.temporal = nn.ModuleList()
        if self.use_adapters:
            for _ in range(depth):
                self.adapters.append(nn.ModuleDict(dict(
                    attn=BottleneckAdapter(width, self.adapter_ratio),
                    mlp=BottleneckAdapter(width, self.adapter_ratio))))
                self.temporal.append(TemporalAdapter(width, self.adapter_ratio))
        self.norm = nn.LayerNorm(width)
        self.proj = nn.Linear(width, width)
        self._shape = (width, depth)

    def attach_shared_layers(self, layers: nn.ModuleList) -> None:
        """Run the joint tokens through ``layers`` (a video encoder's ``shared_layers()``).

        The pose-side parameters are (re)built when their width or depth does not fit the
        layers; a stand-alone ``clip`` is dropped.
        """
        shape = self._layer_shape(layers)
        if shape != self._shape:
            self._build(*shape)
        if "own_layers" in self._modules:
            del self.own_layers
        self._shared = [layers]

    def _layers(self) -> nn.ModuleList:
        if self._shared:
            return self._shared[0]
        if "own_layers" in self._modules:
            return self.own_layers
        raise ConfigError("model.pose_encoder: SharedCLIPPoseEncoder has no layers; PeVLRecognizer "
                          "attaches the video encoder's (or give clip=... to use it on its own)")

    @property
    def out_dim(self) -> int:
        if self._shape is None:
            self._layers()          # the error saying where the layers come from
        return self._shape[0]       # type: ignore[index]

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """``[B,M,T,V,C] -> [B,T,M·V,D]``."""
        layers = self._layers()
        b, m, t, v, c = x.shape
        if (m, v, c) != (self.num_persons, self.num_joints, self.in_channels):
            raise ValueError(f"pose input [B,M,T,V,C]={tuple(x.shape)} does not match the encoder "
                             f"(M={self.num_persons}, V={self.num_joints}, C={self.in_channels})")
        if t > self.max_frames:
            raise ValueError(f"pose input has {t} frames > max_frames={self.max_frames}")
        tokens = x.permute(0, 2, 1, 3, 4).reshape(b, t, m * v, c)
        h = self.pre_norm(self.embed(tokens) + self.joint_embed + self.time_embed[:, :t])
        h = h.reshape(b * t, m * v, -1)
        for i, layer in enumerate(layers):
            h = shared_layer_forward(layer, h, self.adapters[i] if len(self.adapters) else None)
            if len(self.temporal):
                h = self.temporal[i](h, t)
        return self.proj(self.norm(h)).reshape(b, t, m * v, -1)

    def forward(self, x: torch.Tensor, **extra: Any) -> torch.Tensor:
        h = self.encode(x)
        return h.reshape(h.shape[0], -1, h.shape[-1])

    @classmethod
    def tiny_config(cls) -> Dict[str, Any]:
        return dict(num_joints=5, num_persons=1, max_frames=8, clip=dict(tiny=True))

    def example_inputs(self, batch_size: int = 2) -> Tuple[tuple, Dict[str, Any]]:
        x = torch.rand(batch_size, self.num_persons, 6, self.num_joints, self.in_channels) * 2 - 1
        return (x,), {}
