"""Runner hooks of LLM-AR: stage start-up, codebook-usage statistics, adapter export."""
from __future__ import annotations

import json
import os
from typing import Any, Optional

import numpy as np
from mmengine.hooks import Hook

from .codebook_stats import plot_rank_frequency, usage_counts, usage_stats, zipf_fit_exponent


def _model(runner: Any):
    model = runner.model
    return model.module if hasattr(model, "module") else model


class LLMARStageHook(Hook):
    """Calls ``model.on_stage_start()`` once checkpoints are loaded (e.g. to
    initialise added vocabulary tokens from the trained codebook)."""

    priority = "HIGH"

    def _start(self, runner: Any) -> None:
        fn = getattr(_model(runner), "on_stage_start", None)
        if fn is not None:
            fn()

    def before_train(self, runner: Any) -> None:
        self._start(runner)

    def before_test(self, runner: Any) -> None:
        self._start(runner)


class CodebookUsageHook(Hook):
    """Stage 1: log code-usage perplexity / dead codes and save a rank-frequency PNG.

    Counts accumulate over a sliding window of ``interval`` training iterations
    (logged as ``codebook_perplexity``, ``codebook_dead_codes``, ...) and over the
    whole run (written at the end to ``codebook_usage.json`` and
    ``codebook_rank_frequency.png`` in the work dir, beside Zipf's law with exponent 1).
    """

    priority = "NORMAL"

    def __init__(self, interval: int = 50) -> None:
        self.interval = int(interval)
        self.window: Optional[np.ndarray] = None
        self.total: Optional[np.ndarray] = None

    def after_train_iter(self, runner: Any, batch_idx: int, data_batch: Any = None,
                         outputs: Any = None) -> None:
        model = _model(runner)
        ids = getattr(model, "last_ids", None)
        if ids is None or getattr(model, "train_stage", "") != "tokenizer":
            return
        k = int(model.tokenizer.num_codes)
        counts = usage_counts(ids, k)
        self.window = counts if self.window is None else self.window + counts
        self.total = counts if self.total is None else self.total + counts
        if (runner.iter + 1) % self.interval == 0:
            for key, value in usage_stats(self.window).items():
                runner.message_hub.update_scalar(f"train/codebook_{key}", value)
            self.window = None

    def after_train(self, runner: Any) -> None:
        if self.total is None or getattr(runner, "rank", 0) != 0:
            return
        stats = usage_stats(self.total)
        stats["zipf_exponent_fit"] = zipf_fit_exponent(self.total)
        with open(os.path.join(runner.work_dir, "codebook_usage.json"), "w") as f:
            json.dump(dict(stats, counts=self.total.tolist()), f)
        path = plot_rank_frequency(self.total, os.path.join(runner.work_dir,
                                                            "codebook_rank_frequency.png"))
        runner.logger.info(f"codebook usage: {stats}; rank-frequency plot: {path}")


class LoRAExportHook(Hook):
    """At the end of stage 2, export the LLM adaptation in PEFT format
    (``WORK_DIR/lora_adapter``: ``adapter_config.json`` + ``adapter_model.safetensors``),
    loadable with ``peft.PeftModel.from_pretrained(base_model, path)`` alone."""

    priority = "LOW"
    subdir = "lora_adapter"

    def after_train(self, runner: Any) -> None:
        model = _model(runner)
        if getattr(model, "train_stage", "llm") != "llm" or getattr(runner, "rank", 0) != 0:
            return
        path = model.save_adapter(os.path.join(runner.work_dir, self.subdir))
        runner.logger.info(f"LLM adapter exported (PEFT format) to {path}")


__all__ = ["LLMARStageHook", "CodebookUsageHook", "LoRAExportHook"]
