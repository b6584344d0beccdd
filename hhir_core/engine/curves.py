"""A loss/metric curve picture in every work dir (``curves.png``).

Why: mmengine's LocalVisBackend already writes every logged scalar to
``WORK_DIR/<timestamp>/vis_data/scalars.json``, one folder per (re)start. This
hook reads all of them, so a resumed run's picture covers the whole run, and
draws losses and validation metrics against the iteration.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Tuple

from mmengine.hooks import Hook

CURVES_FILE = "curves.png"
_SKIP = {"step", "epoch", "iter", "lr", "time", "data_time", "memory", "base_lr"}


def read_scalars(work_dir: str) -> Tuple[Dict[str, List[Tuple[int, float]]], Dict[str, List[Tuple[int, float]]]]:
    """``(losses, metrics)``: each key -> ``[(step, value), ...]`` over every restart."""
    losses: Dict[str, Dict[int, float]] = {}
    metrics: Dict[str, Dict[int, float]] = {}
    for path in sorted(Path(work_dir).glob("*/vis_data/scalars.json")):
        for line in path.read_text().splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut by a crash
            step = int(row.get("step", row.get("iter", 0)))
            has_loss = any("loss" in k for k in row)
            for key, value in row.items():
                if key in _SKIP or not isinstance(value, (int, float)):
                    continue
                target = losses if has_loss else metrics
                target.setdefault(key, {})[step] = float(value)
    as_list = lambda d: {k: sorted(v.items()) for k, v in d.items()}  # noqa: E731
    return as_list(losses), as_list(metrics)


def write_curves(work_dir: str, title: str = "") -> Path | None:
    """Draw ``curves.png`` in ``work_dir``; ``None`` when nothing was logged yet."""
    losses, metrics = read_scalars(work_dir)
    if not losses and not metrics:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [p for p in (("loss", losses), ("validation", metrics)) if p[1]]
    fig, axes = plt.subplots(1, len(panels), figsize=(6 * len(panels), 4), squeeze=False)
    for ax, (name, series) in zip(axes[0], panels):
        for key, points in sorted(series.items()):
            xs, ys = zip(*points)
            ax.plot(xs, ys, marker="o" if len(xs) < 20 else None, label=key)
        ax.set_xlabel("iteration")
        ax.set_title(name)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    out = Path(work_dir) / CURVES_FILE
    fig.savefig(out, dpi=90)
    plt.close(fig)
    return out


class CurvesHook(Hook):
    """Redraws ``curves.png`` after each validation and at the end of training."""

    priority = "LOWEST"

    def _draw(self, runner: Any) -> None:
        if runner.rank == 0:
            write_curves(runner.work_dir, title=runner.experiment_name)

    def after_val_epoch(self, runner: Any, metrics: Any = None) -> None:
        self._draw(runner)

    def after_train(self, runner: Any) -> None:
        self._draw(runner)
