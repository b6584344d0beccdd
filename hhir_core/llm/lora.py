"""LoRA on a causal LM through ``peft`` (the only place hhir touches peft's config).

Why: configs speak the paper's vocabulary (``r``, ``alpha``, ``dropout``,
``target_modules``); this maps it to ``peft.LoraConfig`` and validates it, so a
typo in a config is a clear error instead of a silently untrained model.
"""
from __future__ import annotations

from typing import Any, Mapping

from hhir_core.errors import ConfigError

_ALIASES = {"alpha": "lora_alpha", "dropout": "lora_dropout"}
_ALLOWED = {"r", "lora_alpha", "lora_dropout", "target_modules", "bias", "modules_to_save",
            "use_rslora", "init_lora_weights", "layers_to_transform", "fan_in_fan_out"}


def lora_config(cfg: Mapping[str, Any]):
    """Translate an hhir ``lora=dict(r, alpha, dropout, target_modules)`` into ``LoraConfig``."""
    from peft import LoraConfig, TaskType

    kw = {}
    for k, v in dict(cfg).items():
        k2 = _ALIASES.get(k, k)
        if k2 not in _ALLOWED:
            raise ConfigError(f"unknown LoRA option `lora.{k}` (allowed: r, alpha, dropout, "
                              f"target_modules, bias, modules_to_save, use_rslora, ...)")
        kw[k2] = v
    kw.setdefault("r", 64)
    kw.setdefault("lora_alpha", 16)
    kw.setdefault("lora_dropout", 0.05)
    kw.setdefault("target_modules", ["q_proj", "v_proj"])
    if isinstance(kw["target_modules"], tuple):
        kw["target_modules"] = list(kw["target_modules"])
    if int(kw["r"]) <= 0:
        raise ConfigError(f"`lora.r` must be positive, got {kw['r']}")
    return LoraConfig(task_type=TaskType.CAUSAL_LM, **kw)


def apply_lora(model: Any, cfg: Mapping[str, Any]):
    """Wrap ``model`` in a ``PeftModel``: base weights frozen, LoRA weights trainable."""
    from peft import get_peft_model

    conf = lora_config(cfg)
    try:
        return get_peft_model(model, conf)
    except ValueError as exc:  # e.g. target modules not found in the model
        raise ConfigError(f"`lora.target_modules`={conf.target_modules!r} do not match the LLM: "
                          f"{exc}") from exc
