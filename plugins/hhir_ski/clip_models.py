"""CLIP-style branches: an encoder pooled, projected and compared with class texts.

``SkeletonCLIP`` (the SKI teacher) and ``VideoCLIP`` (the ViFi-CLIP student)
differ only in their encoder: both pool the encoder's tokens into one vector,
project it to the text width, L2-normalise it and take the cosine similarity
with the embeddings of class prompts, scaled by a (learnable) inverse
temperature. Keeping them one class means the logits ``F_LV`` and ``F_LS``
that SCD compares are computed in exactly the same way.
"""
from __future__ import annotations

import math
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from torch import nn

from hhir_core.errors import ConfigError
from hhir_core.interfaces import BranchEncoder, TextEncoder, expect_contract
from hhir_core.registry import build

ModuleOrCfg = Union[nn.Module, Dict[str, Any]]


def build_text_encoder(cfg: ModuleOrCfg, slot: str = "model.text_encoder") -> nn.Module:
    """A :class:`~hhir_core.interfaces.TextEncoder` (``type`` defaults to TextEncoderHead)."""
    if not isinstance(cfg, nn.Module):
        cfg = dict(cfg)
        cfg.setdefault("type", "TextEncoderHead")
        cfg = build("language_head", cfg)
    return expect_contract(cfg, TextEncoder, slot)


def build_branch_encoder(cfg: ModuleOrCfg, slot: str = "encoder",
                         input_kind: Optional[str] = None) -> nn.Module:
    """A BranchEncoder from a config dict (registry ``branch_encoder``) or a module.

    ``input_kind``: the stream the slot feeds it; another kind is a ConfigError.
    """
    if not isinstance(cfg, nn.Module):
        cfg = build("branch_encoder", dict(cfg))
    enc = expect_contract(cfg, BranchEncoder, slot)
    if input_kind and enc.input_kind != input_kind:
        raise ConfigError(f"{slot}: {type(enc).__name__} takes {enc.input_kind!r} input, but this "
                          f"slot feeds it {input_kind!r}")
    return enc


def is_frozen(module: nn.Module) -> bool:
    """True if no parameter of ``module`` trains (then its outputs can be cached)."""
    return not any(p.requires_grad for p in module.parameters())


class ClassTexts(nn.Module):
    """Class names -> prompt texts -> L2-normalised text embeddings ``[K, D]``.

    A frozen encoder's embeddings are cached per class list (they never change);
    a trainable one is re-run every call so gradients reach it.
    """

    def __init__(self, text_encoder: nn.Module, template: str = "a photo of a {}.") -> None:
        super().__init__()
        if "{}" not in template:
            raise ConfigError(f"prompt template {template!r} must contain '{{}}' for the class name")
        self.encoder = text_encoder
        self.template = template
        self._cache: Dict[Tuple[str, ...], torch.Tensor] = {}

    @property
    def dim(self) -> int:
        return int(self.encoder.embed_dim)

    def prompts(self, names: Sequence[str]) -> List[str]:
        return [self.template.format(n) for n in names]

    def forward(self, names: Sequence[str], device: Optional[torch.device] = None) -> torch.Tensor:
        key = tuple(names)
        if is_frozen(self.encoder):
            cached = self._cache.get(key)
            if cached is None:
                with torch.no_grad():
                    cached = F.normalize(self.encoder(self.prompts(names)).float(), dim=-1)
                self._cache[key] = cached
            return cached.to(device) if device is not None else cached
        self._cache.clear()
        out = F.normalize(self.encoder(self.prompts(names)).float(), dim=-1)
        return out.to(device) if device is not None else out


class CLIPBranch(nn.Module):
    #: where the branch sits in a recognizer config, and the stream its encoder takes
    slot_name: str = "branch"
    input_kind: Optional[str] = None

    """Encoder -> pool -> projection -> cosine logits against class texts.

    Args:
        encoder: a BranchEncoder (config dict or module).
        text_encoder: a text-encoder LanguageHead (config dict or module, may be shared).
        template: class prompt, ``{}`` is replaced by the class name.
        proj: ``True`` linear projection to the text width; ``False`` none (widths
            must match); ``None`` project only when the widths differ.
        temperature: initial softmax temperature (CLIP: 0.07); ``learn_temperature``
            makes ``1/temperature`` a trained parameter (clamped at 100 as in CLIP).
    """

    def __init__(self, encoder: ModuleOrCfg, text_encoder: ModuleOrCfg,
                 template: str = "a photo of a {}.", proj: Optional[bool] = True,
                 temperature: float = 0.07, learn_temperature: bool = True) -> None:
        super().__init__()
        self.encoder = build_branch_encoder(encoder, f"model.{self.slot_name}.encoder",
                                            self.input_kind)
        self.texts = ClassTexts(build_text_encoder(text_encoder, f"model.{self.slot_name}.text_encoder"),
                                template)
        d_in, d_txt = int(self.encoder.out_dim), self.texts.dim
        if proj is None:
            proj = d_in != d_txt
        if not proj and d_in != d_txt:
            raise ConfigError(f"{type(self).__name__}: encoder width {d_in} != text width "
                              f"{d_txt}; set proj=True")
        self.proj = nn.Linear(d_in, d_txt) if proj else nn.Identity()
        scale = torch.tensor(math.log(1.0 / temperature))
        if learn_temperature:
            self.logit_scale = nn.Parameter(scale)
        else:
            self.register_buffer("logit_scale", scale)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """One L2-normalised embedding per sample ``[B, D_text]``."""
        tokens = self.encoder(x)
        return F.normalize(self.proj(self.encoder.pool(tokens)), dim=-1)

    def logits(self, x: torch.Tensor, class_names: Sequence[str]) -> Dict[str, torch.Tensor]:
        """``logits`` ``[B,K]`` (scaled cosine similarities) and ``features`` ``[B,D_text]``."""
        z = self.embed(x)
        t = self.texts(class_names, device=z.device)
        scale = self.logit_scale.clamp(max=math.log(100.0)).exp()
        return dict(logits=scale * z @ t.t(), features=z)


class SkeletonCLIP(CLIPBranch):
    """Skeleton encoder + text encoder trained with CE over seen-class prompts (SKI teacher)."""

    slot_name, input_kind = "skeleton", "skeleton"


class VideoCLIP(CLIPBranch):
    """CLIP image encoder per frame, mean over time, CLIP-style text (ViFi-CLIP, SKI student)."""

    slot_name, input_kind = "video", "frames"
