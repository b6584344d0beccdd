"""ClassificationMetric: values against hand computations, PNG location."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from hhir_core.evaluation.metrics import (
    ClassificationMetric,
    MetricWorkDirHook,
    confusion_matrix,
    macro_f1,
    mean_class_accuracy,
    topk_accuracy,
)
from hhir_core.registry import resolve


def preds(scores, gts):
    return [dict(pred_scores=torch.tensor(s, dtype=torch.float32), pred_label=int(np.argmax(s)),
                 gt_label=g) for s, g in zip(scores, gts)]


def test_registered() -> None:
    assert resolve("metric", "ClassificationMetric") is ClassificationMetric
    assert resolve("hook", "MetricWorkDirHook") is MetricWorkDirHook


def test_values_by_hand(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # 6 classes; 4 samples
    scores = np.array([[.9, .05, .02, .01, .01, .01],   # gt 0 -> pred 0
                       [.1, .2, .3, .15, .14, .11],     # gt 1 -> pred 2 (gt 2nd)
                       [.05, .05, .6, .1, .1, .1],      # gt 2 -> pred 2
                       [.3, .2, .15, .14, .11, .1]])    # gt 5 -> pred 0 (gt last)
    gts = [0, 1, 2, 5]
    monkeypatch.setenv("HHIR_METRIC_WORK_DIR", str(tmp_path))
    m = ClassificationMetric(topk=(1, 2, 5))
    m.dataset_meta = dict(classes=tuple(f"c{i}" for i in range(6)))
    m.process({}, preds(scores, gts))
    out = m.evaluate(4)
    assert out["top1"] == pytest.approx(0.5)
    assert out["top2"] == pytest.approx(0.75)
    assert out["top5"] == pytest.approx(0.75)  # class 5 has the lowest score
    # recalls: c0 1, c1 0, c2 1, c5 0 -> 0.5
    assert out["mean_class_acc"] == pytest.approx(0.5)
    # F1: c0 P=1/2 R=1 -> 2/3; c1 0; c2 P=1/2 R=1 -> 2/3; c5 0 -> mean 1/3
    assert out["macro_f1"] == pytest.approx(1 / 3)
    assert set(out) == {"top1", "top2", "top5", "mean_class_acc", "macro_f1"}  # no prefix
    png = tmp_path / "confusion_matrix.png"
    assert png.is_file() and png.read_bytes()[:4] == b"\x89PNG"
    cm = np.load(tmp_path / "confusion_matrix.npy")
    assert cm.shape == (6, 6) and cm[1, 2] == 1 and cm[5, 0] == 1 and cm.sum() == 4


def test_helpers_match_sklearn_definitions() -> None:
    rng = np.random.default_rng(0)
    gt = rng.integers(0, 5, 200)
    pred = np.where(rng.random(200) < 0.6, gt, rng.integers(0, 5, 200))
    cm = confusion_matrix(pred, gt, 5)
    recalls = [np.mean(pred[gt == c] == c) for c in range(5)]
    assert mean_class_accuracy(cm) == pytest.approx(np.mean(recalls))
    f1s = []
    for c in range(5):
        tp = np.sum((pred == c) & (gt == c))
        p = tp / max(np.sum(pred == c), 1)
        r = tp / max(np.sum(gt == c), 1)
        f1s.append(0 if p + r == 0 else 2 * p * r / (p + r))
    assert macro_f1(cm) == pytest.approx(np.mean(f1s))
    scores = rng.random((200, 5))
    assert topk_accuracy(scores, gt, 5) == 1.0
    assert topk_accuracy(scores, gt, 1) == pytest.approx(np.mean(scores.argmax(1) == gt))


def test_work_dir_from_logger(tmp_path: Path) -> None:
    from mmengine.logging import MMLogger

    log_dir = tmp_path / "20250101_000000"
    log_dir.mkdir()
    MMLogger.get_instance("hhir_metric_test", log_file=str(log_dir / "20250101_000000.log"))
    m = ClassificationMetric()
    m.process({}, preds(np.eye(3), [0, 1, 2]))
    assert m.evaluate(3)["top1"] == 1.0
    assert (tmp_path / "confusion_matrix.png").is_file()


def test_work_dir_hook_sets_metric(tmp_path: Path) -> None:
    metric = ClassificationMetric()

    class Loop:
        evaluator = type("E", (), {"metrics": [metric]})()

    runner = type("R", (), {"work_dir": str(tmp_path), "_val_loop": Loop(), "_test_loop": None})()
    MetricWorkDirHook().before_val(runner)
    assert metric.work_dir == str(tmp_path)
