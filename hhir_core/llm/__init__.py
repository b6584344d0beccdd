"""LLM utilities shared by the methods: loading, LoRA, prompts, heads, scoring.

Imports are lazy (module ``__getattr__``): ``import hhir_core.llm`` does not
import torch or transformers; ``from hhir_core.llm import CausalLMHead`` does.
"""
from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "load_causal_lm": "loading",
    "load_gguf_tokenizer": "loading",
    "smollm2_gguf_path": "loading",
    "minilm_dir": "loading",
    "cache_root": "loading",
    "ModelNotFoundError": "loading",
    "tiny_causal_lm": "loading",
    "apply_lora": "lora",
    "CausalLMHead": "causal_head",
    "TextEncoderHead": "text_encoder",
    "score_candidates": "scoring",
    "sentence_similarity": "sentence_similarity",
    "SentenceSimilarity": "sentence_similarity",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    mod = _EXPORTS.get(name)
    if mod is None:
        raise AttributeError(f"module 'hhir_core.llm' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{mod}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(list(globals()) + __all__)
