"""Classification metrics (registry ``metric``) and the confusion-matrix figure.

:class:`ClassificationMetric` consumes the predict outputs every recognizer returns
(``dict(pred_scores=Tensor[K], pred_label=int, gt_label=int)``, see
docs/architecture.md) and reports ``top1``, ``top5``, ``mean_class_acc`` and
``macro_f1`` (fractions in [0, 1]) without a key prefix, so ``metrics.json`` holds
plain names. It also writes ``confusion_matrix.png`` (+ ``.npy``) into the run's
work dir, found in this order: the value set by
:class:`MetricWorkDirHook` (``runner.work_dir``); the folder of the current mmengine
logger's log file (``work_dir/<timestamp>/<timestamp>.log`` -> ``work_dir``). If none
is known, the figure is skipped (with a log line), never the metrics.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.hooks import Hook

logger = logging.getLogger("hhir.evaluation")


def topk_accuracy(scores: np.ndarray, labels: np.ndarray, k: int) -> float:
    """Share of samples whose label is among the ``k`` highest scores."""
    k = min(k, scores.shape[1])
    top = np.argpartition(-scores, kth=k - 1, axis=1)[:, :k]
    return float((top == labels[:, None]).any(axis=1).mean())


def confusion_matrix(pred: np.ndarray, gt: np.ndarray, num_classes: int) -> np.ndarray:
    """``cm[i, j]`` = number of samples of class ``i`` predicted as ``j``."""
    cm = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(cm, (gt, pred), 1)
    return cm


def mean_class_accuracy(cm: np.ndarray) -> float:
    """Mean recall over the classes that occur in the ground truth."""
    support = cm.sum(1)
    present = support > 0
    return float((np.diag(cm)[present] / support[present]).mean()) if present.any() else 0.0


def label_confusion_matrix(gt: Sequence[int], pred: Sequence[int]) -> np.ndarray:
    """Confusion matrix over the labels that occur in ``gt`` or ``pred`` (any integers),
    in sorted order; for label lists that are not ``0..K-1`` indices."""
    gt, pred = np.asarray(gt, np.int64).reshape(-1), np.asarray(pred, np.int64).reshape(-1)
    labels = np.unique(np.concatenate([gt, pred]))
    return confusion_matrix(np.searchsorted(labels, pred), np.searchsorted(labels, gt), len(labels))


def macro_f1(cm: np.ndarray) -> float:
    """Unweighted mean F1 over the classes present in the ground truth or the predictions.

    The one definition of ``macro_f1`` in hhir: scikit-learn's
    ``f1_score(y_true, y_pred, average='macro')`` (its labels are the union of the true
    and predicted classes; a class with no true and no predicted sample is left out, a
    class that is only predicted counts with F1 = 0). 0 when ``cm`` is empty.
    """
    tp = np.diag(cm).astype(np.float64)
    fp = cm.sum(0) - tp
    fn = cm.sum(1) - tp
    present = (cm.sum(0) + cm.sum(1)) > 0
    denom = 2 * tp + fp + fn
    f1 = np.divide(2 * tp, denom, out=np.zeros_like(tp), where=denom > 0)
    return float(f1[present].mean()) if present.any() else 0.0


def save_confusion_png(cm: np.ndarray, path: Path, class_names: Optional[Sequence[str]] = None,
                       title: str = "confusion matrix (rows: truth, normalised)") -> Path:
    """Plot the row-normalised confusion matrix of the classes that occur."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    used = np.flatnonzero((cm.sum(0) + cm.sum(1)) > 0)
    sub = cm[np.ix_(used, used)].astype(np.float64)
    sub = sub / np.maximum(sub.sum(1, keepdims=True), 1)
    names = [class_names[i] if class_names is not None and i < len(class_names) else str(i)
             for i in used]
    size = min(4 + 0.25 * len(used), 40)
    fig, ax = plt.subplots(figsize=(size, size))
    im = ax.imshow(sub, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(used)), names, rotation=90, fontsize=7)
    ax.set_yticks(range(len(used)), names, fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    if len(used) <= 30:
        for i in range(len(used)):
            for j in range(len(used)):
                if sub[i, j] >= 0.01:
                    ax.text(j, i, f"{sub[i, j]:.2f}", ha="center", va="center", fontsize=6,
                            color="white" if sub[i, j] > 0.5 else "black")
    fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _logger_work_dir() -> Optional[Path]:
    """The current Runner's work dir, read from its mmengine logger's log file."""
    try:
        from mmengine.logging import MMLogger

        for handler in MMLogger.get_current_instance().handlers:
            filename = getattr(handler, "baseFilename", None)
            if filename:
                return Path(filename).parent.parent  # work_dir/<timestamp>/<timestamp>.log
    except Exception:  # no runner / logger: fall back to skipping the figure
        return None
    return None


class ClassificationMetric(BaseMetric):
    """top-1/top-5 accuracy, mean class accuracy, macro-F1, confusion PNG.

    Args:
        topk: which top-k accuracies to report (``top1``, ``top5``, ...).
        num_classes: size of the score vector; inferred from the first prediction.
        class_names: names for the figure; defaults to the dataset's
            ``metainfo['classes']`` (set by the Runner as ``dataset_meta``).
        prefix: optional key prefix (default none: ``top1`` etc.).
    """

    default_prefix: Optional[str] = None

    def __init__(self, topk: Sequence[int] = (1, 5), num_classes: Optional[int] = None,
                 class_names: Optional[Sequence[str]] = None, collect_device: str = "cpu",
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.topk = tuple(int(k) for k in topk)
        self.num_classes = num_classes
        self.class_names = list(class_names) if class_names is not None else None
        #: set by :class:`MetricWorkDirHook`
        self.work_dir: Optional[str] = None
        self.last_confusion_path: Optional[Path] = None

    def process(self, data_batch: Any, data_samples: Sequence[Dict[str, Any]]) -> None:
        for s in data_samples:
            scores = s["pred_scores"]
            scores = scores.detach().float().cpu().numpy() if hasattr(scores, "detach") \
                else np.asarray(scores, dtype=np.float32)
            self.results.append(dict(scores=scores.reshape(-1), gt=int(s["gt_label"]),
                                     pred=int(s.get("pred_label", int(np.argmax(scores))))))

    def compute_metrics(self, results: List[Dict[str, Any]]) -> Dict[str, float]:
        if not results:
            return {}
        scores = np.stack([r["scores"] for r in results])
        gt = np.array([r["gt"] for r in results], dtype=np.int64)
        pred = np.array([r["pred"] for r in results], dtype=np.int64)
        k = self.num_classes or scores.shape[1]
        k = max(k, int(gt.max()) + 1, int(pred.max()) + 1)
        out = {f"top{t}": topk_accuracy(scores, gt, t) for t in self.topk}
        cm = confusion_matrix(pred, gt, k)
        out["mean_class_acc"] = mean_class_accuracy(cm)
        out["macro_f1"] = macro_f1(cm)
        self._save(cm)
        return out

    def _save(self, cm: np.ndarray) -> None:
        work_dir = self.work_dir or os.environ.get("HHIR_METRIC_WORK_DIR") or _logger_work_dir()
        if work_dir is None:
            logger.info("ClassificationMetric: no work dir known; confusion matrix not saved")
            return
        names = self.class_names
        if names is None and self.dataset_meta:
            names = self.dataset_meta.get("classes")
        tag = f"_{self.prefix}" if self.prefix else ""
        path = Path(work_dir) / f"confusion_matrix{tag}.png"
        try:
            save_confusion_png(cm, path, names)
            np.save(path.with_suffix(".npy"), cm)
            self.last_confusion_path = path
        except Exception as exc:  # a plotting problem must not lose the metrics
            logger.warning("ClassificationMetric: could not save %s: %s", path, exc)


class MetricWorkDirHook(Hook):
    """Tell every metric with a ``work_dir`` attribute where the run's work dir is."""

    priority = "VERY_LOW"

    def _set(self, runner: Any) -> None:
        for loop_name in ("val_loop", "test_loop"):
            loop = getattr(runner, f"_{loop_name}", None)
            evaluator = getattr(loop, "evaluator", None)
            for metric in getattr(evaluator, "metrics", []) or []:
                if hasattr(metric, "work_dir") and not metric.work_dir:
                    metric.work_dir = runner.work_dir

    def before_val(self, runner: Any) -> None:
        self._set(runner)

    def before_test(self, runner: Any) -> None:
        self._set(runner)
