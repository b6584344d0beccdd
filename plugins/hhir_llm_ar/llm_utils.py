"""CPU-budget helpers around :class:`hhir_core.llm.CausalLMHead` used by the mini configs.

* :func:`truncate_decoder_layers` keeps the first ``n`` decoder blocks of the LLM
  (a "model size" change for CPUs; the paper-faithful configs never use it).
* :func:`answer_only_lm_loss` is the head's answer-token cross-entropy computed
  with the output layer applied only where there is a label. The output layer of
  SmolLM2 (49k × 576) is about a fifth of its compute per token, and only the
  ~5 answer tokens of a ~30-token LLM-AR prompt are trained; same value as
  ``head(prompts, answers, soft_tokens)["loss"]`` (checked in the tests).
"""
from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from hhir_core.errors import ConfigError


def _base_model(llm: nn.Module) -> nn.Module:
    return llm.get_base_model() if hasattr(llm, "get_base_model") else llm


def truncate_decoder_layers(head: Any, num_layers: int) -> None:
    """Keep the first ``num_layers`` transformer blocks of ``head.llm`` (in place)."""
    base = _base_model(head.llm)
    decoder = getattr(base, "model", None)
    layers = getattr(decoder, "layers", None)
    if not isinstance(layers, nn.ModuleList):
        raise ConfigError("model.llm_layers: this LLM has no `model.layers` block list to truncate")
    if not 1 <= num_layers <= len(layers):
        raise ConfigError(f"model.llm_layers={num_layers}: the LLM has {len(layers)} layers")
    decoder.layers = nn.ModuleList(list(layers)[:num_layers])
    cfg = base.config
    cfg.num_hidden_layers = num_layers
    if getattr(cfg, "layer_types", None):
        cfg.layer_types = list(cfg.layer_types)[:num_layers]


def answer_only_lm_loss(head: Any, prompts: Sequence[str], answers: Sequence[str],
                        soft_tokens: Optional[Mapping[str, Tensor]]) -> Tensor:
    """Mean cross-entropy over answer (+EOS) tokens; logits only at labelled positions."""
    from hhir_core.llm.prompting import IGNORE_INDEX, plain_pieces

    eos = head.tokenizer.eos_token_id
    batch = head.prompts.build([plain_pieces(p, a, eos) for p, a in zip(prompts, answers)],
                               soft_tokens, padding_side="right", device=head.device)
    base = _base_model(head.llm)
    hidden = base.model(inputs_embeds=batch.inputs_embeds, attention_mask=batch.attention_mask,
                        position_ids=batch.position_ids, use_cache=False).last_hidden_state
    target = batch.labels[:, 1:]
    keep = target != IGNORE_INDEX
    logits = base.lm_head(hidden[:, :-1][keep])
    return F.cross_entropy(logits.float(), target[keep])


__all__ = ["truncate_decoder_layers", "answer_only_lm_loss"]
