"""CPU-budget helper around :class:`hhir_core.llm.CausalLMHead` used by the mini configs.

:func:`truncate_decoder_layers` keeps the first ``n`` decoder blocks of the LLM
(a "model size" change for CPUs; the paper-faithful configs never use it).
"""
from __future__ import annotations

from typing import Any

from torch import nn

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


__all__ = ["truncate_decoder_layers"]
