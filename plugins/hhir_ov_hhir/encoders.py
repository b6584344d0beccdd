"""OV-HHIR branch encoder: frozen per-frame encoder -> frame position embedding -> Video Q-Former -> LLM projection.

Why one class per branch (not one shared model): each stream (person 1, person 2,
background) has its own Q-Former and projection in the paper; the frozen frame encoder
differs by stream (ViTPose backbone for people, ViT for the background).
"""
from __future__ import annotations

from typing import Any, Dict, Mapping, Optional

import torch
from torch import nn

from hhir_core.errors import ConfigError
from hhir_core.interfaces import BranchEncoder

#: tiny random frame-encoder configs (offline tests and the mini config)
TINY_FRAME_ENCODERS: Dict[str, Dict[str, Any]] = {
    "vitpose": dict(image_size=[64, 48], patch_size=[16, 16], hidden_size=64, num_hidden_layers=2,
                    num_attention_heads=4, mlp_ratio=2),
    "vit": dict(image_size=64, patch_size=16, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                intermediate_size=128),
}


def build_frame_encoder(kind: str, pretrained: Optional[str] = None,
                        config: Optional[Mapping[str, Any]] = None, seed: int = 0) -> nn.Module:
    """A transformers frame encoder: ``kind`` ``vitpose`` (``VitPoseBackbone``) or ``vit`` (``ViTModel``).

    ``pretrained`` is a hub id / local folder (offline: must be cached); otherwise a
    random model from ``config`` (defaults: :data:`TINY_FRAME_ENCODERS`), initialised
    on its own seeded RNG so trainable-only checkpoints reload the same frozen weights.
    """
    from transformers import ViTConfig, ViTModel, VitPoseBackbone, VitPoseBackboneConfig

    if kind not in ("vitpose", "vit"):
        raise ConfigError(f"frame_encoder.kind must be 'vitpose' or 'vit', got {kind!r}")
    if pretrained:
        cls = VitPoseBackbone if kind == "vitpose" else ViTModel
        try:
            return cls.from_pretrained(pretrained)
        except OSError as exc:
            raise ConfigError(f"frame_encoder.pretrained={pretrained!r} is not available offline: {exc}. "
                              "Use the _mini config (tiny random encoders) or download the weights first.") from exc
    cfg = {**TINY_FRAME_ENCODERS[kind], **dict(config or {})}
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        if kind == "vitpose":
            return VitPoseBackbone(VitPoseBackboneConfig(**cfg))
        return ViTModel(ViTConfig(**cfg), add_pooling_layer=False)


class VideoQFormerBranch(nn.Module, BranchEncoder):
    """One OV-HHIR branch: frames ``[B,T,3,H,W]`` -> ``num_queries`` LLM soft tokens ``[B,Q,llm_dim]``.

    Args:
        llm_dim: output width (the LLM's word-embedding size).
        frame_encoder: ``dict(kind='vitpose'|'vit', pretrained=None|hub id, config=dict(...))``; frozen.
        num_queries: learnable Q-Former queries (32 in the paper).
        qformer: ``Blip2QFormerConfig`` kwargs (``encoder_hidden_size`` is set from the frame encoder).
        max_frames: size of the learnable frame position embedding (16 frames in the paper).
    """

    input_kind = "frames"
    #: the frozen frame encoder is rebuilt from the config, not checkpointed
    frozen_state_prefixes = ("frame_encoder.",)
    #: the host method fills the LLM width
    injected_args = ("llm_dim",)

    def __init__(self, llm_dim: int = 576, frame_encoder: Optional[Mapping[str, Any]] = None,
                 num_queries: int = 32, qformer: Optional[Mapping[str, Any]] = None,
                 max_frames: int = 16) -> None:
        super().__init__()
        from transformers import Blip2QFormerConfig, Blip2QFormerModel

        fe = dict(frame_encoder or dict(kind="vitpose"))
        self.kind = fe.get("kind", "vitpose")
        self.frame_encoder = build_frame_encoder(self.kind, fe.get("pretrained"), fe.get("config"),
                                                 int(fe.get("seed", 0)))
        for p in self.frame_encoder.parameters():
            p.requires_grad_(False)
        self.frame_encoder.eval()
        enc_cfg = self.frame_encoder.config
        self.frame_dim = int(enc_cfg.hidden_size)
        size = enc_cfg.image_size
        self.image_size = tuple(size) if isinstance(size, (list, tuple)) else (int(size), int(size))
        qcfg = dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128)
        qcfg.update(dict(qformer or {}))
        qcfg["encoder_hidden_size"] = self.frame_dim
        self.qformer = Blip2QFormerModel(Blip2QFormerConfig(**qcfg))
        qdim = int(qcfg["hidden_size"])
        self.num_queries = int(num_queries)
        self.max_frames = int(max_frames)
        self.query_tokens = nn.Parameter(torch.randn(1, self.num_queries, qdim) * 0.02)
        self.frame_pos = nn.Parameter(torch.zeros(1, self.max_frames, 1, self.frame_dim))
        nn.init.trunc_normal_(self.frame_pos, std=0.02)
        self.proj = nn.Linear(qdim, int(llm_dim))
        self._out_dim = int(llm_dim)
        #: frozen weights (rebuilt from config/pretrained, not stored in trainable-only checkpoints)
        self.frozen_state_prefixes = ["frame_encoder."]

    @property
    def out_dim(self) -> int:
        return self._out_dim

    @classmethod
    def tiny(cls, **overrides: Any) -> "VideoQFormerBranch":
        cfg = dict(llm_dim=32, frame_encoder=dict(kind="vitpose", config=dict(hidden_size=32, num_attention_heads=2)),
                   num_queries=32, qformer=dict(hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                                                intermediate_size=64), max_frames=4)
        cfg.update(overrides)
        return cls(**cfg)

    def example_inputs(self, batch_size: int = 2):
        h, w = self.image_size
        g = torch.Generator().manual_seed(0)
        return (torch.randn(batch_size, min(3, self.max_frames), 3, h, w, generator=g),), {}

    def train(self, mode: bool = True):  # the frozen encoder stays in eval mode
        super().train(mode)
        self.frame_encoder.eval()
        return self

    def encode_frames(self, x: torch.Tensor) -> torch.Tensor:
        """Frozen per-frame tokens ``[B,T,N,D_frame]`` (frames resized to the encoder's input size)."""
        B, T = x.shape[:2]
        flat = x.reshape(B * T, *x.shape[2:])
        if tuple(flat.shape[-2:]) != self.image_size:
            flat = nn.functional.interpolate(flat, size=self.image_size, mode="bilinear", align_corners=False)
        with torch.no_grad():
            if self.kind == "vitpose":
                tok = self.frame_encoder(flat).feature_maps[-1]
                if tok.dim() == 4:  # [B,C,h,w] layouts of other versions
                    tok = tok.flatten(2).transpose(1, 2)
            else:
                tok = self.frame_encoder(pixel_values=flat).last_hidden_state
        return tok.reshape(B, T, tok.shape[-2], tok.shape[-1])

    def forward(self, x: torch.Tensor, **extra: Any) -> torch.Tensor:
        """``x`` frames ``[B,T,3,H,W]`` (normalised floats) -> ``[B,num_queries,llm_dim]``."""
        if x.dim() != 5:
            raise ConfigError(f"VideoQFormerBranch expects frames [B,T,3,H,W], got {tuple(x.shape)}")
        B, T = x.shape[:2]
        if T > self.max_frames:
            raise ConfigError(f"{T} frames but max_frames={self.max_frames} (frame position embeddings)")
        tok = self.encode_frames(x) + self.frame_pos[:, :T]
        tok = tok.reshape(B, -1, self.frame_dim)
        q = self.query_tokens.expand(B, -1, -1)
        out = self.qformer(query_embeds=q, encoder_hidden_states=tok).last_hidden_state
        return self.proj(out[:, :self.num_queries])
