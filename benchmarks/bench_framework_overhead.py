#!/usr/bin/env python
"""Framework overhead: one LLM-AR stage-2 training step through hhir vs a bare PyTorch + peft loop.

    python benchmarks/bench_framework_overhead.py            # the mini config's stage 2
    python benchmarks/bench_framework_overhead.py --quick    # tiny random LLM, few steps

Same model (the ``llm_ar_ntu120_mini.py`` recognizer: SmolLM2, 8 blocks, LoRA r=64 via
peft, vocabulary action tokens), same batch size, same data (a synthetic NTU set read by
the project's ``NTUSkeletonDataset`` and the config's training pipeline), same optimizer
(AdamW, the config's lr), one thread:

* subject — ``hhir``: mmengine's Runner built from the config's ``llm`` stage as
  ``tools/train.py`` builds it (its dataloader and sampler, optimizer wrapper, LR
  schedule, the config's hooks: logger, checkpoint, provenance, codebook usage, ...);
* peer — a hand-written loop: ``torch.utils.data.DataLoader`` over the same dataset,
  ``loss = model(keypoint, label, mode='loss')``, ``backward``, ``step``.

The two alternate step by step (A B A B ...: a lowest-priority hook of the runner runs
one bare step after each runner step, outside the runner's timer), so background load
hits both alike. A runner step is timed from the end of the previous bare step to the
end of its own hooks (data fetch, ``train_step``, every hook of the iteration); a bare
step from its data fetch to ``opt.step()``. Median over the measured steps after the
warm-up.
"""
from __future__ import annotations

import argparse
import copy
import statistics
import sys
import time
from pathlib import Path
from typing import List

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, WORK, Record, failed, ratio_record, write_records  # noqa: E402

BENCH = "framework_overhead"


def _stage_cfg(quick: bool, batch_size: int, data_dir: Path):
    from hhir_core.config import load_config
    from hhir_synthetic.generator import ensure_synthetic

    cfg = load_config(str(ROOT / "configs" / "llm_ar_ntu120_mini.py"))
    stage = next(s for s in cfg.stages if s["name"] == "llm")
    scfg = copy.deepcopy(cfg)
    scfg.merge_from_dict(dict(stage.get("cfg") or {}))
    out = ensure_synthetic(out_dir=data_dir, num_samples=200 if quick else 600, seed=0,
                           render=False)
    ds = scfg.train_dataloader.dataset
    ds.ann_file, ds.data_root = str(Path(out) / "ntu3d.pkl"), None
    scfg.train_dataloader.batch_size = batch_size
    if quick:
        scfg.model = dict(scfg.model, llm=dict(model=dict(tiny=True, hidden_size=64,
                                                          num_layers=2, num_heads=4),
                                               lora=dict(r=4, alpha=8, dropout=0.0,
                                                         target_modules=["q_proj", "v_proj"])),
                          llm_layers=None,
                          tokenizer=dict(scfg.model.tokenizer, hidden=16, num_codes=32))
    for key in ("val_dataloader", "val_cfg", "val_evaluator", "test_dataloader", "test_cfg",
                "test_evaluator", "load_from"):
        scfg.pop(key, None)
    return scfg


def _optimizer(model, cfg):
    import torch

    opt = dict(cfg.optim_wrapper.optimizer)
    lr = float(opt.get("lr", 1e-3))
    wd = float(opt.get("weight_decay", 0.0))
    return torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr,
                             weight_decay=wd)


class BareLoop:
    """The hand-written loop: same model config, dataset, batch size and optimizer."""

    def __init__(self, cfg) -> None:
        import torch
        from mmengine.dataset import default_collate

        from hhir_core.registry import DATASETS, MODELS

        torch.manual_seed(0)
        self.model = MODELS.build(copy.deepcopy(cfg.model))
        self.model.on_stage_start()
        self.model.train()
        dl = cfg.train_dataloader
        workers = dl.get("num_workers", 0)
        self.loader = torch.utils.data.DataLoader(
            DATASETS.build(copy.deepcopy(dl.dataset)), batch_size=dl.batch_size, shuffle=True,
            num_workers=workers, collate_fn=default_collate, drop_last=True,
            persistent_workers=bool(workers))
        self.it = iter(self.loader)
        self.opt = _optimizer(self.model, cfg)

    def step(self) -> float:
        """One step (data loading included); returns its wall time."""
        t = time.perf_counter()
        try:
            batch = next(self.it)
        except StopIteration:
            self.it = iter(self.loader)
            batch = next(self.it)
        losses = self.model(batch["keypoint"], batch["label"], mode="loss")
        loss = sum(losses.values())
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        return time.perf_counter() - t


def interleaved(cfg, steps: int, warmup: int, work_dir: Path):
    """Runner steps and bare steps alternating (A B A B ...); returns (hhir, bare) step times.

    A hook of the lowest priority ends each runner step's timer (after every other hook
    of the iteration), runs one bare step, and restarts the timer; so the runner's time
    covers its data fetch, hooks and train step, and none of the bare step.
    """
    from mmengine.hooks import Hook

    from hhir_core.engine.runner import _build_runner, _ensure_default_hooks

    bare = BareLoop(cfg)
    hhir_times: List[float] = []
    bare_times: List[float] = []

    class Alternate(Hook):
        priority = "LOWEST"

        def before_train(self, runner) -> None:
            self.last = time.perf_counter()

        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
            hhir_times.append(time.perf_counter() - self.last)
            bare_times.append(bare.step())
            self.last = time.perf_counter()

    scfg = copy.deepcopy(cfg)
    scfg.work_dir = str(work_dir)
    scfg.train_cfg = dict(type="IterBasedTrainLoop", max_iters=warmup + steps,
                          val_interval=10 ** 9)
    _ensure_default_hooks(scfg)
    runner = _build_runner(scfg)
    runner.register_hook(Alternate())
    runner.train()
    return hhir_times[warmup:], bare_times[warmup:]


def run(quick: bool, steps: int, warmup: int, batch_size: int, data_dir: Path) -> List[Record]:
    import torch

    torch.set_num_threads(1)

    cfg = _stage_cfg(quick, batch_size, data_dir)
    hhir, bare = interleaved(cfg, steps, warmup, WORK / "framework_overhead")
    b, h = statistics.median(bare), statistics.median(hhir)
    size = (f"batch {batch_size}, {'tiny random LLM' if quick else 'SmolLM2 (8 blocks) + LoRA r=64'}"
            f", {steps} measured steps after {warmup} warm-up, 1 thread")
    print(f"[{BENCH}] bare {['%.3f' % t for t in bare]} hhir {['%.3f' % t for t in hhir]}",
          flush=True)
    return [ratio_record(
        BENCH, "LLM-AR stage-2 training step time (median)",
        "hhir: mmengine Runner from llm_ar_ntu120_mini.py stage 'llm' (dataloader, optim "
        "wrapper, LR schedule, the config's hooks)",
        "bare PyTorch + peft loop (DataLoader, same model, AdamW)", h, b, size, steps, "s",
        lower_is_better=True,
        notes=f"hhir / bare step time = {h / b:.3f}× (goal ≤ 1.10); spread: bare "
              f"{min(bare):.2f}-{max(bare):.2f} s, hhir {min(hhir):.2f}-{max(hhir):.2f} s",
        overhead=h / b)]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="tiny random LLM, few steps")
    p.add_argument("--steps", type=int, default=None)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--json", type=Path, default=None)
    a = p.parse_args(argv)
    steps = a.steps or (4 if a.quick else 8)
    batch = a.batch_size or (4 if a.quick else 32)
    try:
        records = run(a.quick, steps, a.warmup, batch, WORK / "overhead_synthetic")
    except Exception as exc:  # the suite goes on
        import traceback

        traceback.print_exc()
        records = [failed(BENCH, f"{type(exc).__name__}: {exc}")]
    write_records(a.json, records)
    return 0


if __name__ == "__main__":
    sys.exit(main())
