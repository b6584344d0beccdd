#!/usr/bin/env python
"""Training-step throughput: LLM-AR tokenizer (stage 1) vs mmaction2 ST-GCN, same batches.

    python benchmarks/bench_train_step.py                       # preset 'full'
    python benchmarks/bench_train_step.py --preset mini         # the _mini configs' sizes
    python benchmarks/bench_train_step.py --batch-size 4 --clip-len 32 --steps 2 --repeats 2

One step = forward, loss, backward, optimizer step, on the same pre-built batches
``[B, 2, T, 25, 3]`` of synthetic NTU skeletons (``ensure_synthetic`` -> the project's
``NTUSkeletonDataset`` pipeline, as the configs use it):

* subject — ``HyperbolicVQTokenizer`` (plugins/hhir_llm_ar) with all stage-1 losses
  (reconstruction, embedding, commitment, Zipf, context, MMD against a 1024-row
  reference of word-embedding-sized vectors), AdamW as in configs/llm_ar_ntu120.py;
* peer — mmaction2's ``STGCN`` backbone (via ``hhir_core.compat.import_mmaction_models``)
  + global average pool + linear head + cross-entropy, SGD-Nesterov as in
  configs/stgcn_ntu120.py.

Presets: ``full`` = ST-GCN as the paper/mmaction2 (64 base channels, 10 stages) and the
tokenizer at the project's default LLM width D = 576 (SmolLM2), K = 512, hidden 256,
depth 2 (the paper's D = 5120 belongs to LLaMA-13B, not runnable on a CPU);
``mini`` = the sizes of the ``_mini`` configs. The two models alternate (A B A B ...)
so background load hits both alike; the figure is the median samples/s over
``--repeats`` rounds of ``--steps`` steps. One thread (``torch.set_num_threads(1)``).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import WORK, Record, failed, ratio_record, skipped, write_records  # noqa: E402

BENCH = "train_step"

PRESETS: Dict[str, Dict[str, Any]] = {
    "full": dict(batch_size=8, clip_len=100, steps=2, repeats=3,
                 tokenizer=dict(llm_dim=576, num_codes=512, hidden=256, depth=2),
                 stgcn=dict(base_channels=64, num_stages=10, inflate_stages=[5, 8],
                            down_stages=[5, 8])),
    "mini": dict(batch_size=32, clip_len=32, steps=3, repeats=3,
                 tokenizer=dict(llm_dim=576, num_codes=512, hidden=128, depth=1),
                 stgcn=dict(base_channels=16, num_stages=4, inflate_stages=[3],
                            down_stages=[3])),
}


def make_batches(batch_size: int, clip_len: int, num_batches: int, data_dir: Path):
    """``num_batches`` batches ``[B, 2, T, 25, 3]`` + labels from the synthetic NTU set."""
    import torch
    from mmengine.dataset import default_collate

    from hhir_core.data.ntu import NTUSkeletonDataset
    from hhir_synthetic.generator import ensure_synthetic

    n = batch_size * num_batches
    out = ensure_synthetic(out_dir=data_dir, num_samples=max(2 * n + 16, 64), seed=0,
                           render=False)
    ds = NTUSkeletonDataset(str(out / "ntu3d.pkl"), split="xsub_train", pipeline=[
        dict(type="NormalizeSkeleton3D"),
        dict(type="PadPersons", num_person=2),
        dict(type="UniformSampleFrames", clip_len=clip_len),
        dict(type="PackSkeletonInputs")])
    if len(ds) < n:
        raise RuntimeError(f"synthetic set has {len(ds)} training samples, need {n}")
    batches = []
    for b in range(num_batches):
        items = [ds[i] for i in range(b * batch_size, (b + 1) * batch_size)]
        batch = default_collate(items)
        x = torch.as_tensor(batch["keypoint"]).float().contiguous()
        y = torch.as_tensor(batch["label"]).long()
        batches.append((x, y))
    return batches


def build_tokenizer_step(cfg: Dict[str, Any]) -> Tuple[Callable, int]:
    """Stage-1 step of the LLM-AR tokenizer; returns (step(x, y), parameter count)."""
    import torch

    from hhir_llm_ar.tokenizers import HyperbolicVQTokenizer

    torch.manual_seed(0)
    tok = HyperbolicVQTokenizer(in_channels=2 * 25 * 3, **cfg)
    # MMD reference: a random sample the size the recognizer draws from the LLM's word
    # embeddings (values do not change the cost; loading the LLM would only add time)
    tok.set_reference_embeddings(torch.randn(4096, tok.llm_dim) * 0.02, num_samples=1024)
    tok.train()
    opt = torch.optim.AdamW([p for p in tok.parameters() if p.requires_grad], lr=1e-3,
                            weight_decay=0.0)

    def step(x, y) -> float:
        out = tok(x)
        loss = sum(out.losses.values())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.detach().item()

    return step, sum(p.numel() for p in tok.parameters())


def build_stgcn_step(cfg: Dict[str, Any], num_classes: int = 120) -> Tuple[Callable, int]:
    """mmaction2 ST-GCN backbone + pool + linear + CE; returns (step(x, y), parameter count)."""
    import torch
    from torch import nn

    from hhir_core.compat import import_mmaction_models

    import_mmaction_models()
    from mmaction.models.backbones import STGCN

    torch.manual_seed(0)
    backbone = STGCN(graph_cfg=dict(layout="nturgb+d", mode="stgcn_spatial"), in_channels=3,
                     **cfg)
    with torch.no_grad():
        width = backbone(torch.zeros(1, 1, 8, 25, 3)).shape[2]
    model = nn.ModuleDict(dict(backbone=backbone, fc=nn.Linear(width, num_classes)))
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4,
                          nesterov=True)
    ce = nn.CrossEntropyLoss()

    def step(x, y) -> float:
        feats = model["backbone"](x)  # [B, M, C, T', V]
        logits = model["fc"](feats.mean(dim=(1, 3, 4)))
        loss = ce(logits, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.detach().item()

    return step, sum(p.numel() for p in model.parameters())


def run(preset: str, batch_size: int, clip_len: int, steps: int, repeats: int,
        data_dir: Path) -> List[Record]:
    """Measure both models on the same batches; one record (samples/s ratio)."""
    import importlib.util

    for mod, what in (("hhir_llm_ar", "the hhir_llm_ar plugin"), ("mmaction", "mmaction2")):
        if importlib.util.find_spec(mod) is None:
            return [skipped(BENCH, f"{what} is not installed", "training-step throughput")]
    import torch

    torch.set_num_threads(1)
    p = PRESETS[preset]
    try:
        batches = make_batches(batch_size, clip_len, max(steps, 1), data_dir)
        tok_step, tok_params = build_tokenizer_step(p["tokenizer"])
        gcn_step, gcn_params = build_stgcn_step(p["stgcn"])
    except ImportError as exc:
        return [skipped(BENCH, f"dependency missing: {exc}", "training-step throughput")]
    steps_fns = {"tok": tok_step, "gcn": gcn_step}
    for fn in steps_fns.values():  # warm-up: allocator, autograd graph caches
        fn(*batches[0])
    rates: Dict[str, List[float]] = {k: [] for k in steps_fns}
    for _ in range(repeats):
        for name, fn in steps_fns.items():
            t = time.perf_counter()
            for i in range(steps):
                fn(*batches[i % len(batches)])
            rates[name].append(steps * batch_size / (time.perf_counter() - t))
    tok_med, gcn_med = statistics.median(rates["tok"]), statistics.median(rates["gcn"])
    size = (f"batch {batch_size} × [2 persons, {clip_len} frames, 25 joints, 3]; "
            f"preset {preset}; {steps} steps/round, 1 thread")
    t = p["tokenizer"]
    g = p["stgcn"]
    return [ratio_record(
        BENCH, "training throughput (samples/s, median)",
        f"LLM-AR HyperbolicVQTokenizer stage 1 (D={t['llm_dim']}, K={t['num_codes']}, "
        f"hidden {t['hidden']}, depth {t['depth']}; {tok_params / 1e6:.2f} M params; AdamW)",
        f"mmaction2 ST-GCN + linear + CE ({g['base_channels']} ch, {g['num_stages']} stages; "
        f"{gcn_params / 1e6:.2f} M params; SGD)",
        tok_med, gcn_med, size, repeats, "samples/s", lower_is_better=False,
        notes="stage 1 of LLM-AR only (stage 2 adds the LLM forward/backward); "
              "the two models alternate in one process on identical batches",
        tokenizer_rates=rates["tok"], stgcn_rates=rates["gcn"])]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--preset", choices=sorted(PRESETS), default="full")
    ap.add_argument("--batch-size", type=int)
    ap.add_argument("--clip-len", type=int)
    ap.add_argument("--steps", type=int, help="steps per timed round")
    ap.add_argument("--repeats", type=int, help="timed rounds per model (median)")
    ap.add_argument("--data-dir", type=Path, default=WORK / "train_step_data")
    ap.add_argument("--json", type=Path, default=WORK / "train_step.json")
    args = ap.parse_args(argv)
    p = PRESETS[args.preset]
    try:
        records = run(args.preset, args.batch_size or p["batch_size"],
                      args.clip_len or p["clip_len"], args.steps or p["steps"],
                      args.repeats or p["repeats"], args.data_dir)
    except Exception as exc:  # report, do not hide: the suite shows it as failed
        records = [failed(BENCH, f"{type(exc).__name__}: {exc}")]
        write_records(args.json, records)
        raise
    write_records(args.json, records)
    return 0


if __name__ == "__main__":
    sys.exit(main())
