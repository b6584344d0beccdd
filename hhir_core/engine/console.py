"""What a run prints to the terminal: a progress bar and a summary, not log tables.

Why: mmengine writes its environment table, the whole config and every logger
interval to the console (hundreds of lines before the first iteration). The log
file keeps all of that; the terminal gets one progress bar for the whole run
(all stages, with its ETA), a bar for long validation, warnings, and one final
summary line in the units the README uses. ``-v`` (``HHIR_VERBOSE=1``) brings
mmengine's console output back.
"""
from __future__ import annotations

import logging
import math
import os
import sys
from typing import Any, Dict, List, Optional

from mmengine.hooks import Hook

#: metrics reported as fractions by the metric classes and shown in percent
PERCENT_METRICS = {"top1", "top3", "top5", "mean_class_acc", "macro_f1", "seen_macro_f1",
                   "ov_macro_f1", "accuracy", "acc"}


def verbose() -> bool:
    """True when the user asked for mmengine's full console output (``-v``)."""
    return os.environ.get("HHIR_VERBOSE", "").strip().lower() in {"1", "true", "yes", "on"}


def quiet_console(logger: logging.Logger) -> None:
    """Send INFO records (env/config tables, interval logs) to the log file only."""
    from ..compat import silence_known_noise

    silence_known_noise(logger)
    if verbose():
        return
    for handler in logger.handlers:
        if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler):
            handler.setLevel(logging.WARNING)


def format_metric(key: str, value: float) -> str:
    """``top1 74.5 %``: accuracy-like metrics in percent (fractions are scaled, values
    above 1 are taken to be percent already, as some third-party metrics report)."""
    parts = key.split("/")
    if any(p in PERCENT_METRICS for p in parts):
        return f"{key} {100.0 * value if abs(value) <= 1.0 else value:.1f} %"
    return f"{key} {value:.4g}"


def summary_line(metrics: Dict[str, float], stage_names: Optional[List[str]] = None) -> str:
    """The final metrics in one line, percentages where the README uses them."""
    stages = {s for s in (stage_names or []) if s}
    shown = [format_metric(k, float(v)) for k, v in sorted(metrics.items())
             if k.split("/")[0] not in stages]
    return ", ".join(shown) if shown else "(no metrics: the config has no evaluator)"


def _quiet_runner_class() -> Any:
    from mmengine.runner import Runner

    class QuietRunner(Runner):
        """mmengine's Runner whose console shows warnings only (the log file keeps all)."""

        def build_logger(self, log_level: Any = "INFO", log_file: Any = None, **kwargs: Any):
            logger = super().build_logger(log_level=log_level, log_file=log_file, **kwargs)
            quiet_console(logger)
            return logger

    return QuietRunner


def __getattr__(name: str) -> Any:
    if name == "QuietRunner":  # built lazily: importing mmengine.runner pulls in torch
        global QuietRunner
        QuietRunner = _quiet_runner_class()
        return QuietRunner
    raise AttributeError(name)


class _RunProgress:
    """One bar across every stage of a run; stages add their iterations as they start."""

    def __init__(self) -> None:
        self.bar: Any = None
        self.stage_iters: List[Optional[int]] = []
        self.done_before = 0

    def start(self, stage_iters: List[Optional[int]]) -> None:
        self.close()
        self.stage_iters = list(stage_iters)
        self.done_before = 0

    def total(self) -> Optional[int]:
        if any(n is None for n in self.stage_iters) or not self.stage_iters:
            return None
        return int(sum(self.stage_iters))

    def begin_stage(self, index: int, max_iters: int, start_iter: int, per_epoch: int) -> None:
        from tqdm import tqdm

        for i, n in enumerate(self.stage_iters):  # epoch-based stages not yet built
            if n is None and i != index:
                self.stage_iters[i] = per_epoch
        if 0 <= index < len(self.stage_iters):
            self.stage_iters[index] = max_iters
            self.done_before = int(sum(n or 0 for n in self.stage_iters[:index]))
        if self.bar is None:
            self.bar = tqdm(total=self.total(), desc="train", unit="it", dynamic_ncols=True,
                            mininterval=1.0 if sys.stderr.isatty() else 30.0, file=sys.stderr)
        else:
            self.bar.total = self.total()
        self.bar.n = self.done_before + start_iter
        self.bar.refresh()

    def step(self, iteration: int) -> None:
        if self.bar is not None:
            self.bar.update(self.done_before + iteration - self.bar.n)

    def describe(self, text: str) -> None:
        if self.bar is not None:
            self.bar.set_description_str(text, refresh=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        self.bar = None


RUN_PROGRESS = _RunProgress()


def plan_stages(stage_cfgs: List[Any]) -> None:
    """Tell the run bar each stage's length (``None`` where only the build knows it)."""
    iters: List[Optional[int]] = []
    for cfg in stage_cfgs:
        loop = dict(cfg.get("train_cfg") or {})
        iters.append(int(loop["max_iters"]) if "max_iters" in loop else None)
    RUN_PROGRESS.start(iters)


class ProgressHook(Hook):
    """Drives the run bar and a validation bar; silent with ``-v`` or off rank 0."""

    priority = "VERY_LOW"

    def __init__(self, stage_index: int = 0, stage_name: Optional[str] = None) -> None:
        self.stage_index = stage_index
        self.stage_name = stage_name
        self.val_bar: Any = None

    def _active(self, runner: Any) -> bool:
        return not verbose() and runner.rank == 0

    def before_train(self, runner: Any) -> None:
        if not self._active(runner):
            return
        loader = runner.train_dataloader
        try:
            per_epoch = len(loader)
        except TypeError:  # infinite sampler
            per_epoch = 0
        max_iters = runner.max_iters  # epoch-based loops: max_epochs x len(dataloader)
        if not RUN_PROGRESS.stage_iters:
            RUN_PROGRESS.start([max_iters])
        RUN_PROGRESS.begin_stage(self.stage_index, int(max_iters), runner.iter, per_epoch)
        if self.stage_name:
            RUN_PROGRESS.describe(f"train [{self.stage_name}]")

    def after_train_iter(self, runner: Any, batch_idx: int, data_batch: Any = None,
                         outputs: Optional[dict] = None) -> None:
        if not self._active(runner):
            return
        RUN_PROGRESS.step(runner.iter + 1)
        if outputs and RUN_PROGRESS.bar is not None:
            loss = outputs.get("loss")
            if loss is not None:
                RUN_PROGRESS.bar.set_postfix_str(f"loss {float(loss.detach()):.4g}", refresh=False)

    def before_val_epoch(self, runner: Any) -> None:
        self._open_eval_bar(runner, runner.val_dataloader, "val")

    def before_test_epoch(self, runner: Any) -> None:
        self._open_eval_bar(runner, runner.test_dataloader, "test")

    def _open_eval_bar(self, runner: Any, loader: Any, name: str) -> None:
        if not self._active(runner):
            return
        from tqdm import tqdm

        try:
            total = len(loader)
        except TypeError:
            total = None
        self.val_bar = tqdm(total=total, desc=name, unit="batch", leave=False, dynamic_ncols=True,
                            mininterval=1.0 if sys.stderr.isatty() else 30.0, file=sys.stderr)

    def after_val_iter(self, runner: Any, batch_idx: int, data_batch: Any = None,
                       outputs: Any = None) -> None:
        if self.val_bar is not None:
            self.val_bar.update(1)

    after_test_iter = after_val_iter

    def after_val_epoch(self, runner: Any, metrics: Optional[Dict[str, float]] = None) -> None:
        if self.val_bar is not None:
            self.val_bar.close()
            self.val_bar = None
        if metrics and self._active(runner):
            line = summary_line({k: v for k, v in metrics.items() if _is_number(v)})
            (RUN_PROGRESS.bar.write if RUN_PROGRESS.bar is not None else print)(
                f"[hhir] {'val' if self.stage_name is None else self.stage_name + ' val'}: {line}")

    def after_test_epoch(self, runner: Any, metrics: Optional[Dict[str, float]] = None) -> None:
        if self.val_bar is not None:
            self.val_bar.close()
            self.val_bar = None


def _is_number(value: Any) -> bool:
    try:
        return not math.isnan(float(value))
    except (TypeError, ValueError):
        return False
