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
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Dict, List

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, WORK, Record, bench_env, failed, ratio_record, run_measured, write_records  # noqa: E402

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


# ------------------------------------------------------------------ class decisions
def _realistic_model(quick: bool, checkpoint: str, finetune_steps: int, data_dir: Path):
    """The mini config's recognizer with stage-2 LLM weights that name the classes.

    Realistic prefixes: the config's prompt with action tokens of synthetic clips
    (``token_mode='vocab'``, tokens initialised from the codes as at stage-2 start).
    Without ``--checkpoint`` the LoRA is first fine-tuned for ``finetune_steps`` steps
    on the synthetic training split, so the LLM answers with class names as a trained
    LLM-AR does (an untrained LoRA makes SmolLM2 ramble, which no recogniser does).
    """
    import torch
    from mmengine.dataset import default_collate

    from hhir_core.config import load_config
    from hhir_core.data.ntu import NTUSkeletonDataset
    from hhir_core.registry import MODELS
    from hhir_llm_ar.recognizer import LLMARRecognizer
    from hhir_synthetic.generator import ensure_synthetic

    cfg = load_config(str(ROOT / "configs" / "llm_ar_ntu120_mini.py"))
    torch.manual_seed(0)
    if quick:
        model = LLMARRecognizer.tiny(train_stage="llm", classes=cfg.model.classes)
    else:
        model = MODELS.build(dict(cfg.model, train_stage="llm"))
    model.on_stage_start()
    out = ensure_synthetic(out_dir=data_dir, num_samples=120 if quick else 600, seed=0,
                           render=False)
    clip_len = 16 if quick else cfg.clip_len
    pipe = [dict(t, clip_len=clip_len) if t["type"] == "UniformSampleFrames" else t
            for t in cfg.val_dataloader.dataset.pipeline]

    def load(split: str):
        ds = NTUSkeletonDataset(str(out / "ntu3d.pkl"), split=split, classes=cfg.classes,
                                pipeline=pipe, test_mode=True)
        batch = default_collate([ds[i] for i in range(len(ds))])
        return torch.as_tensor(batch["keypoint"]).float(), torch.as_tensor(batch["label"]).long()

    trained = "untrained LoRA"
    if checkpoint:
        from hhir_core.engine.checkpoint import safe_load

        state = safe_load(checkpoint)
        model.load_state_dict(state.get("state_dict", state), strict=False)
        trained = "stage-2 checkpoint"
    elif finetune_steps:
        x, y = load("xsub_train")
        opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=3e-3)
        model.train()
        g = torch.Generator().manual_seed(0)
        for _ in range(finetune_steps):
            idx = torch.randint(len(x), (16,), generator=g)
            loss = model(x[idx], y[idx], mode="loss")["loss_lm"]
            opt.zero_grad()
            loss.backward()
            opt.step()
        trained = f"LoRA fine-tuned {finetune_steps} steps (batch 16, final loss {loss.item():.2f})"
    model.eval()
    x, y = load("xsub_val")
    return model, x, y, trained


def _decide(model, x, names, mode: str, top_k=5) -> Dict[str, Any]:
    """One batch: (seconds, [B, K] scores or predicted labels)."""
    tok = model.tokenizer(x, compute_losses=False)
    prompts = model._prompts(len(x), None, names, False, tok.ids)
    soft = model._soft_tokens(tok)
    t = time.perf_counter()
    if mode == "generate":
        from hhir_llm_ar.recognizer import match_class

        texts = model.head.generate(prompts, soft, max_new_tokens=model.max_new_tokens)
        took = time.perf_counter() - t
        return dict(s=took, labels=[match_class(s, names) for s in texts])
    if mode == "trie":
        scores = model.head.score_classes(prompts, soft, names, method="trie", top_k=top_k)
    else:
        scores = model.head.score_classes(prompts, soft, names, method="exhaustive")
    return dict(s=time.perf_counter() - t, scores=scores.float().cpu())


def bench_decisions(quick: bool, num_samples: int, checkpoint: str, batch_size: int,
                    finetune_steps: int, data_dir: Path) -> List[Record]:
    """Class decisions at 22 and 120 classes: trie top-5 search vs generate and vs exhaustive."""
    import torch

    torch.set_num_threads(1)
    from hhir_core.data.ntu_classes import ntu120_classes

    model, x, _, trained = _realistic_model(quick, checkpoint, finetune_steps, data_dir)
    x = x[:num_samples]
    model.max_new_tokens = 12
    records: List[Record] = []
    for names in (list(model.class_names), ntu120_classes()):
        C = len(names)
        res = {m: dict(s=0.0, out=[]) for m in ("trie", "generate", "exhaustive")}
        _decide(model, x[:2], names, "trie")  # warm-up
        for i in range(0, len(x), batch_size):  # interleaved per batch: load hits all alike
            for mode in res:
                r = _decide(model, x[i:i + batch_size], names, mode)
                res[mode]["s"] += r["s"]
                res[mode]["out"].append(r.get("scores", r.get("labels")))
        trie = torch.cat(res["trie"]["out"])
        ref = torch.cat(res["exhaustive"]["out"])
        gen = torch.tensor(sum(res["generate"]["out"], []))
        top1 = float((trie.argmax(1) == ref.argmax(1)).float().mean())
        k = min(5, C)
        same5 = [set(a) == set(b) for a, b in zip(trie.topk(k, 1).indices.tolist(),
                                                   ref.topk(k, 1).indices.tolist())]
        top5 = sum(same5) / len(same5)
        gen_top1 = float((gen == ref.argmax(1)).float().mean())
        rate = {m: len(x) / v["s"] for m, v in res.items()}
        size = (f"{len(x)} clips, {C} classes, batch {batch_size}, "
                f"{'tiny random LLM' if quick else 'SmolLM2 (8 blocks, mini config)'}, {trained}")
        agree = (f"{C} classes: trie vs exhaustive top-1 agreement {top1:.3f}, top-5 set "
                 f"agreement {top5:.3f}; generate + match vs exhaustive top-1 {gen_top1:.3f}")
        subject = "trie search, exact top-5 (predict_mode='trie')"
        records += [
            ratio_record(BENCH, f"class decision at {C} classes: samples/s", subject,
                         "generate + match to class list", rate["trie"], rate["generate"],
                         size, 1, "samples/s", lower_is_better=False, notes=agree,
                         top1_agreement=top1, top5_agreement=top5,
                         generate_top1_agreement=gen_top1),
            ratio_record(BENCH, f"class decision at {C} classes: samples/s", subject,
                         "exhaustive class-name scoring (predict_mode='score' reference)",
                         rate["trie"], rate["exhaustive"], size, 1, "samples/s",
                         lower_is_better=False, notes=agree, top1_agreement=top1,
                         top5_agreement=top5)]
        print(f"[{BENCH}] {C} classes: samples/s {rate}; {agree}", flush=True)
    return records


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
    p.add_argument("--finetune-steps", type=int, default=None,
                   help="LoRA steps before measuring when no --checkpoint (default 60; quick 3)")
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
            steps = a.finetune_steps if a.finetune_steps is not None else (3 if a.quick else 60)
            records += bench_decisions(a.quick, a.num_samples or (8 if a.quick else 48),
                                       a.checkpoint, a.batch_size, steps,
                                       WORK / "llm_ar_synthetic")
        except Exception as exc:
            records.append(failed(BENCH, f"class prediction: {type(exc).__name__}: {exc}"))
    write_records(a.json, records)
    return 0


if __name__ == "__main__":
    sys.exit(main())
