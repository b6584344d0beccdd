#!/usr/bin/env python
"""LLM-AR: nearest-code search and class prediction, each against its naive peer.

    python benchmarks/bench_llm_ar.py                      # B·L=4096, K=512, D=576; SmolLM2
    python benchmarks/bench_llm_ar.py --quick              # small sizes, tiny random LLM
    python benchmarks/bench_llm_ar.py --checkpoint work_dirs/llm_ar_ntu120_mini/llm/iter_250.pth

1. Nearest code on the Poincaré ball: ``poincare.nearest_code`` (one matrix product, the
   monotone surrogate of the geodesic distance) vs the naive broadcast
   ``distance(x[:, None], codes[None])`` that materialises ``[N, K, D]``. Each runs in a
   fresh subprocess (peak RSS of that process) and reports its median time. The two
   must pick the same codes (checked, reported as agreement).
2. Class prediction on the same model and inputs: class-name log-likelihood scoring
   (shared prompt KV cache; gives top-5) vs generation + matching to the class list (the
   paper's protocol): samples/s and the share of samples where both predict the same class.
   The model is the mini config's recognizer (SmolLM2, stage-2 weights from
   ``--checkpoint`` when given; without one the LoRA is at its zero init, so agreement
   reflects the untuned LLM); inputs are synthetic validation clips (or random skeletons
   with ``--quick``).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import List

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (ROOT, Record, bench_env, failed, ratio_record,  # noqa: E402
                    run_measured, write_records)

BENCH = "llm_ar"


def _reference():
    """tests/reference.py: the slow reference implementations the fast paths are timed against."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("hhir_reference", ROOT / "tests" / "reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ------------------------------------------------------------------ nearest code (child)
def _nearest_child(method: str, n: int, k: int, d: int, repeats: int) -> None:
    import torch

    torch.set_num_threads(1)
    from hhir_llm_ar import poincare as pm

    g = torch.Generator().manual_seed(0)
    x = pm.exp0(torch.randn(n, d, generator=g) * 0.05)
    codes = pm.exp0(torch.randn(k, d, generator=g) * 0.05)
    fn = pm.nearest_code if method == "fast" else _reference().naive_nearest_code
    times = []
    with torch.no_grad():
        for _ in range(repeats):
            t = time.perf_counter()
            idx, _ = fn(x, codes)
            times.append(time.perf_counter() - t)
    print(json.dumps(dict(median=statistics.median(times), times=times,
                          checksum=int(idx.sum()), idx=idx[:256].tolist())))


def bench_nearest(n: int, k: int, d: int, repeats: int) -> List[Record]:
    res = {}
    for method in ("fast", "naive"):
        cmd = [sys.executable, __file__, "--_nearest-child", method, "--n", str(n), "--k", str(k),
               "--d", str(d), "--repeats", str(repeats)]
        out = run_measured(cmd, cwd=ROOT, env=bench_env(), timeout=1800)
        if out.returncode != 0:
            return [failed(BENCH, f"nearest_code {method}: exit {out.returncode}: "
                                  f"{out.stderr.strip().splitlines()[-1:]}")]
        res[method] = dict(json.loads(out.stdout.strip().splitlines()[-1]), rss=out.maxrss_mb)
    agree = float(sum(a == b for a, b in zip(res["fast"]["idx"], res["naive"]["idx"]))
                  / len(res["fast"]["idx"]))
    size = f"B·L={n}, K={k}, D={d}"
    return [
        ratio_record(BENCH, "nearest code: time", "poincare.nearest_code (matmul surrogate)",
                     "naive [N,K,D] broadcast distance", res["fast"]["median"],
                     res["naive"]["median"], size, repeats, "s", lower_is_better=True,
                     agreement=agree),
        ratio_record(BENCH, "nearest code: peak RSS", "poincare.nearest_code (matmul surrogate)",
                     "naive [N,K,D] broadcast distance", res["fast"]["rss"], res["naive"]["rss"],
                     size, 1, "MB", lower_is_better=True,
                     notes="whole-process peak RSS incl. the Python/torch baseline"),
    ]


# ------------------------------------------------------------------ scoring vs generation
def bench_predict(quick: bool, num_samples: int, checkpoint: str, batch_size: int) -> List[Record]:
    import torch

    torch.set_num_threads(1)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from mmengine.config import Config

    from hhir_core.plugins.manager import load_plugins
    from hhir_core.registry import MODELS
    from hhir_llm_ar.recognizer import LLMARRecognizer

    load_plugins()
    cfg = Config.fromfile(str(ROOT / "configs" / "llm_ar_ntu120_mini.py"))
    if quick:
        model = LLMARRecognizer.tiny(train_stage="llm", classes=cfg.model.classes)
    else:
        model = MODELS.build(dict(cfg.model, train_stage="llm"))
    if checkpoint:
        from hhir_core.engine.checkpoint import safe_load

        state = safe_load(checkpoint)
        model.load_state_dict(state.get("state_dict", state), strict=False)
    model.eval()
    x = _inputs(cfg, num_samples, quick)
    labels = torch.zeros(len(x), dtype=torch.long)
    out = {}
    # "score_naive": the same log-likelihoods with one full forward per (clip, class name),
    # i.e. without sharing the prompt's KV cache (tests/reference.py)
    for mode in ("score", "generate", "score_naive"):
        model.predict_mode = "generate" if mode == "generate" else "score"
        model.max_new_tokens = 12
        if mode == "score_naive":
            head = model.head
            model.head.score_classes = lambda *a, **k: _reference().score_classes_naive(head, *a, **k)
        preds, t0 = [], time.perf_counter()
        for i in range(0, len(x), batch_size):
            preds += [p["pred_label"] for p in model.predict(x[i:i + batch_size],
                                                             labels[i:i + batch_size])]
        out[mode] = dict(rate=len(x) / (time.perf_counter() - t0), preds=preds)
    del model.head.score_classes  # back to the class method
    agree = sum(a == b for a, b in zip(out["score"]["preds"], out["generate"]["preds"])) / len(x)
    agree_naive = sum(a == b for a, b in zip(out["score"]["preds"],
                                             out["score_naive"]["preds"])) / len(x)
    size = (f"{len(x)} clips, {len(model.eval_class_names)} classes, batch {batch_size}, "
            f"{'tiny random LLM' if quick else 'SmolLM2'}"
            + (", trained" if checkpoint else ", untrained LoRA"))
    return [ratio_record(BENCH, "class prediction: samples/s",
                         "class-name log-likelihood scoring (KV cache shared)",
                         "generate + match to class list", out["score"]["rate"],
                         out["generate"]["rate"], size, 1, "samples/s", lower_is_better=False,
                         agreement=agree, notes=f"agreement of predicted classes: {agree:.3f}"),
            ratio_record(BENCH, "class scoring: samples/s",
                         "class-name log-likelihood scoring (KV cache shared)",
                         "the same scores, one full forward per class name", out["score"]["rate"],
                         out["score_naive"]["rate"], size, 1, "samples/s", lower_is_better=False,
                         agreement=agree_naive,
                         notes=f"agreement of predicted classes with the naive scores: "
                               f"{agree_naive:.3f}")]


def _inputs(cfg, n: int, quick: bool):
    import torch

    if quick:
        return torch.randn(n, 2, 32, 25, 3)
    from mmengine.dataset import default_collate

    from hhir_core.registry import DATASETS

    ds = DATASETS.build(cfg.val_dataloader.dataset)
    return default_collate([ds[i] for i in range(min(n, len(ds)))])["keypoint"]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small sizes, tiny random LLM")
    p.add_argument("--n", type=int, default=None, help="latents B·L (default 4096)")
    p.add_argument("--k", type=int, default=512)
    p.add_argument("--d", type=int, default=576)
    p.add_argument("--repeats", type=int, default=None)
    p.add_argument("--num-samples", type=int, default=None, help="clips for the prediction bench")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--checkpoint", default="", help="stage-2 checkpoint of the mini config")
    p.add_argument("--skip", choices=["nearest", "predict"], action="append", default=[])
    p.add_argument("--json", type=Path, default=None)
    p.add_argument("--_nearest-child", dest="child", default=None, help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.child:
        _nearest_child(a.child, a.n, a.k, a.d, a.repeats)
        return 0
    n = a.n or (512 if a.quick else 4096)
    repeats = a.repeats or (2 if a.quick else 3)
    records: List[Record] = []
    if "nearest" not in a.skip:
        try:
            records += bench_nearest(n, a.k, a.d, repeats)
        except Exception as exc:  # the suite goes on
            records.append(failed(BENCH, f"nearest code: {type(exc).__name__}: {exc}"))
    if "predict" not in a.skip:
        try:
            records += bench_predict(a.quick, a.num_samples or (8 if a.quick else 64),
                                     a.checkpoint, a.batch_size)
        except Exception as exc:
            records.append(failed(BENCH, f"class prediction: {type(exc).__name__}: {exc}"))
    write_records(a.json, records)
    return 0


if __name__ == "__main__":
    sys.exit(main())
