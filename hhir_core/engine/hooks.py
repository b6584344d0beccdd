"""Hooks every hhir run uses (registered in ``hook``; added by default_runtime)."""
from __future__ import annotations

import json
import math
import os
from typing import Any, Dict, Optional

from mmengine.hooks import Hook

from . import provenance
from .checkpoint import trainable_state_dict


class ProvenanceHook(Hook):
    """Write ``provenance.json`` into the work dir before the run starts."""

    priority = "VERY_HIGH"

    def before_run(self, runner: Any) -> None:
        if getattr(runner, "rank", 0) == 0:
            provenance.write(os.path.join(runner.work_dir, "provenance.json"), runner.cfg,
                             seed=runner.seed)


class TrainableCheckpointHook(Hook):
    """Checkpoints hold only trainable weights (frozen LLMs are never re-written).

    The model's ``state_dict`` is filtered *before* mmengine copies it to the
    CPU, so a frozen 13B backbone costs neither disk nor a device-to-host copy.
    Loading is non-strict (mmengine's default), frozen weights come from their
    pretrained source when the model is built.
    """

    priority = "VERY_HIGH"

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled

    def before_run(self, runner: Any) -> None:
        if not self.enabled:
            return
        model = runner.model.module if hasattr(runner.model, "module") else runner.model
        if getattr(model, "_hhir_full_state_dict", None) is not None:
            return
        full = model.state_dict

        def state_dict(*args: Any, **kwargs: Any) -> Dict[str, Any]:
            return trainable_state_dict(model, full(*args, **kwargs))

        model._hhir_full_state_dict = full
        model.state_dict = state_dict

    def after_run(self, runner: Any) -> None:
        model = runner.model.module if hasattr(runner.model, "module") else runner.model
        full = getattr(model, "_hhir_full_state_dict", None)
        if full is not None:
            model.state_dict = full
            model._hhir_full_state_dict = None


def _flat_numbers(metrics: Dict[str, Any], prefix: str = "") -> Dict[str, float]:
    out: Dict[str, float] = {}
    for key, value in (metrics or {}).items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flat_numbers(value, name + "/"))
            continue
        try:
            number = float(value)
        except (TypeError, ValueError):
            continue
        if math.isfinite(number):
            out[name] = number
    return out


def update_metrics_file(path: str, metrics: Dict[str, Any], prefix: str = "") -> Dict[str, float]:
    """Merge flat ``name -> number`` metrics into ``path`` (created if missing)."""
    current: Dict[str, float] = {}
    if os.path.isfile(path):
        try:
            with open(path) as f:
                current = json.load(f)
        except (OSError, ValueError):
            current = {}
    current.update(_flat_numbers(metrics, prefix))
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(current, f, indent=2, sort_keys=True)
    os.replace(tmp, path)
    return current


class MetricsDumpHook(Hook):
    """Write final evaluation metrics to ``metrics.json`` (flat name -> number)."""

    priority = "LOW"

    def __init__(self, filename: str = "metrics.json") -> None:
        self.filename = filename

    def _dump(self, runner: Any, metrics: Optional[Dict[str, Any]], prefix: str) -> None:
        if metrics and getattr(runner, "rank", 0) == 0:
            update_metrics_file(os.path.join(runner.work_dir, self.filename), metrics, prefix)

    def after_val_epoch(self, runner: Any, metrics: Optional[Dict[str, Any]] = None) -> None:
        self._dump(runner, metrics, "")

    def after_test_epoch(self, runner: Any, metrics: Optional[Dict[str, Any]] = None) -> None:
        self._dump(runner, metrics, "test/")
