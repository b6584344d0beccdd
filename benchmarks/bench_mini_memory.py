#!/usr/bin/env python
"""Peak memory of a few training iterations of every ``configs/*_mini.py``, vs ST-GCN mini.

    python benchmarks/bench_mini_memory.py                    # all _mini configs, 3 iters/stage
    python benchmarks/bench_mini_memory.py --iters 2 --small-data 200   # quick
    python benchmarks/bench_mini_memory.py --configs configs/llm_ar_ntu120_mini.py

Each stage of each config runs through the project's own engine
(``hhir_core.engine.runner.train``, what ``tools/train.py`` calls) in a fresh process,
shortened generically: ``IterBasedTrainLoop(max_iters=--iters)``, no validation, no
test, no LR schedule, a checkpoint at the last iteration (the next stage starts from
it, as in a real run). Everything else — data, models, batch sizes, dataloader
workers — is the config's own.

Inside that process a sampler thread measures the trainer's RSS plus the private memory
(USS) of its dataloader workers (see :class:`TreeSampler` for why not summed RSS or
PSS), starting after the synthetic data is ready (its one-time generation is not the
run's memory). The figure per config is the peak over
its stages (per-stage peaks are in the JSON), median over ``--repeats`` runs, as a
ratio against the ``stgcn_ntu120_mini`` run (mmaction2's ST-GCN through hhir), the
named peer, measured in the same invocation.

``--small-data N`` points every config at an N-sample copy of the synthetic mini set
in ``benchmarks/_work`` (same generator settings) instead of the shared
``data/synthetic_mini`` (2000 samples, rendered): much faster to generate the first
time, slightly smaller datasets in memory.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, WORK, Record, bench_env, failed, run_measured, skipped, write_records  # noqa: E402

BENCH = "mini_memory"
PEER = "stgcn_ntu120_mini"
_MARK = "HHIR_BENCH_RESULT "


# ----------------------------------------------------------------------------- child side
def shorten(cfg: Any, iters: int) -> None:
    """Make every stage of ``cfg`` a ``iters``-iteration training run without val/test."""
    loop = dict(type="IterBasedTrainLoop", max_iters=iters, val_begin=10**9, val_interval=10**9)
    ckpt = dict(type="CheckpointHook", interval=iters, by_epoch=False, save_last=True,
                max_keep_ckpts=1)
    targets = [cfg] + [s.setdefault("cfg", {}) for s in (cfg.get("stages") or [])]
    for t in targets:
        t["train_cfg"] = dict(loop)
        t["param_scheduler"] = None
        t["test_dataloader"] = t["test_evaluator"] = t["test_cfg"] = None
        hooks = dict(t.get("default_hooks") or {})
        hooks["checkpoint"] = {**dict(hooks.get("checkpoint") or {}), **ckpt}
        t["default_hooks"] = hooks
    cfg["log_processor"] = {**dict(cfg.get("log_processor") or {}), "by_epoch": False}


def _walk(obj: Any, fn) -> Any:
    """Rebuild ``obj`` (dicts/lists) with ``fn(key, value)`` applied to every dict item."""
    if isinstance(obj, dict):
        return {k: fn(k, _walk(v, fn)) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_walk(v, fn) for v in obj)
    return obj


def synthetic_specs(cfg_dict: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The ``SyntheticBenchmark`` steps of a config's ``prepare_data`` (ensure_synthetic kwargs)."""
    return [{k: v for k, v in step.items() if k != "type"} for step in cfg_dict.get("prepare_data") or []
            if step.get("type") == "SyntheticBenchmark"]


def redirect_data(cfg: Any, num_samples: int, root: Path) -> None:
    """Point every synthetic set of ``cfg`` (and paths inside it) at an N-sample copy."""
    plain = cfg.to_dict() if hasattr(cfg, "to_dict") else dict(cfg)
    moves: Dict[str, str] = {}
    for spec in synthetic_specs(plain):
        old = os.path.normpath(str(spec["out_dir"]))
        moves[old] = str(root / f"{Path(old).name}_n{num_samples}")

    def fix(key, value):
        if key == "prepare_data" and isinstance(value, list):
            value = [dict(step, num_samples=num_samples) if step.get("type") == "SyntheticBenchmark" else step
                     for step in value]
        elif isinstance(value, str) and ("/" in value):
            norm = os.path.normpath(value)
            for old, new in moves.items():
                if norm == old or norm.startswith(old + os.sep):
                    value = new + norm[len(old):]
        return value

    new = _walk(plain, fix)
    for key in list(new):
        cfg[key] = new[key]


class TreeSampler:
    """Peak memory of this process and its children (dataloader workers), two ways.

    * ``peak_fair``: the trainer's RSS + the workers' USS (their private pages). A forked
      worker shares the trainer's pages copy-on-write, so summed RSS counts the model twice;
      PSS would split shared pages with *every* process mapping them — on a shared machine
      that includes other people's jobs using the same libraries and cached model files, so
      it moves with their load. RSS + USS counts each page of this run once and nothing of
      anybody else. USS walks the page tables (slow), so it is read every ``uss_interval``
      seconds and added to the trainer's largest RSS since the last read.
    * ``peak_rss``: summed RSS of the tree every ``interval`` seconds (an upper bound).
    """

    def __init__(self, interval: float = 0.05, uss_interval: float = 0.5) -> None:
        import psutil

        self.proc = psutil.Process()
        self.interval, self.uss_interval = interval, uss_interval
        self.peak_rss = self.peak_fair = 0
        self._window_main = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _children_uss(self) -> int:
        import psutil

        total = 0
        try:
            children = self.proc.children(recursive=True)
        except psutil.Error:
            return 0
        for p in children:
            try:
                info = p.memory_full_info()
                total += getattr(info, "uss", info.rss)
            except psutil.Error:
                pass
        return total

    def _fair_sample(self) -> None:
        self._window_main = max(self._window_main, self.proc.memory_info().rss)
        self.peak_fair = max(self.peak_fair, self._window_main + self._children_uss())
        self._window_main = 0

    def _run(self) -> None:
        from common import _tree_rss

        next_uss = 0.0
        while not self._stop.is_set():
            self.peak_rss = max(self.peak_rss, _tree_rss(self.proc))
            self._window_main = max(self._window_main, self.proc.memory_info().rss)
            if time.monotonic() >= next_uss:
                self._fair_sample()
                next_uss = time.monotonic() + self.uss_interval
            self._stop.wait(self.interval)

    def __enter__(self) -> "TreeSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._fair_sample()


def child(config: str, stage_index: int, work_dir: str, iters: int,
          small_data: Optional[int], data_root: Path) -> int:
    """Run stage ``stage_index`` of ``config`` shortened; print the result JSON line."""
    import resource

    import torch

    torch.set_num_threads(1)
    from hhir_core.config import load_config
    from hhir_core.engine.runner import RunOptions, prepare_config, train
    from hhir_synthetic.generator import ensure_synthetic

    probe = load_config(config)
    names = [s["name"] for s in (probe.get("stages") or [])] or [None]
    name = names[stage_index]
    opts = RunOptions(work_dir=work_dir, stage=name)
    cfg = prepare_config(config, opts, for_training=True)
    if small_data:
        redirect_data(cfg, small_data, data_root)
    shorten(cfg, iters)
    if name is not None:  # stages after this one are not run (and need no checkpoint)
        cfg["stages"] = list(cfg["stages"])[: stage_index + 1]
    for spec in synthetic_specs(cfg.to_dict()):  # one-time generation: not the run's memory
        ensure_synthetic(**spec)
    t0 = time.perf_counter()
    with TreeSampler() as sampler:
        train(cfg, opts)
    result = dict(stages=names, stage=name, peak_fair_mb=sampler.peak_fair / 2**20,
                  peak_tree_rss_mb=sampler.peak_rss / 2**20,
                  maxrss_self_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  maxrss_children_mb=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                  train_s=time.perf_counter() - t0)
    print(_MARK + json.dumps(result), flush=True)
    return 0


# ----------------------------------------------------------------------------- parent side
def run_config(config: Path, iters: int, small_data: Optional[int], timeout: float,
               work: Path) -> Dict[str, Any]:
    """All stages of one config, each in a fresh process; returns per-stage results."""
    if work.exists():
        shutil.rmtree(work)
    stages: List[Dict[str, Any]] = []
    index, total = 0, 1
    t0 = time.perf_counter()
    while index < total:
        cmd = [sys.executable, __file__, "--_child", str(config), "--_stage-index", str(index),
               "--_work-dir", str(work), "--iters", str(iters)]
        if small_data:
            cmd += ["--small-data", str(small_data)]
        res = run_measured(cmd, cwd=ROOT, env=bench_env(), timeout=timeout)
        line = next((ln for ln in reversed(res.stdout.splitlines()) if ln.startswith(_MARK)), None)
        if res.returncode != 0 or line is None:
            tail = (res.stderr.strip() or res.stdout.strip())[-1500:]
            return dict(error=f"stage {index} exited with {res.returncode}: {tail}")
        out = json.loads(line[len(_MARK):])
        out["process_maxrss_mb"] = res.maxrss_mb
        out["process_peak_tree_rss_mb"] = res.peak_tree_rss_mb
        stages.append(out)
        total = len(out["stages"])
        index += 1
    shutil.rmtree(work, ignore_errors=True)
    return dict(stages=stages, peak_mb=max(s["peak_fair_mb"] for s in stages),
                peak_rss_mb=max(s["peak_tree_rss_mb"] for s in stages),
                wall_s=time.perf_counter() - t0)


def _skip_reason(error: str) -> Optional[str]:
    """A missing dependency (plugin not landed, package absent) is a skip, not a failure."""
    for needle in ("RequirementError", "No module named", "not installed", "is not registered",
                   "RegistryMiss"):
        if needle in error:
            return error.strip().splitlines()[-1][:300]
    return None


def run(configs: List[Path], iters: int, repeats: int, small_data: Optional[int],
        timeout: float) -> List[Record]:
    """Measure every config (peer first) and build one record per non-peer config."""
    peer_cfg = next((c for c in configs if c.stem == PEER), None)
    if peer_cfg is None:
        return [skipped(BENCH, f"the peer config {PEER}.py is not among the configs")]
    order = [peer_cfg] + [c for c in configs if c != peer_cfg]
    results: Dict[str, List[Dict[str, Any]]] = {c.stem: [] for c in order}
    errors: Dict[str, str] = {}
    for _ in range(repeats):  # interleaved: peer, a, b, ..., peer, a, b, ...
        for cfg in order:
            if cfg.stem in errors:
                continue
            print(f"[{BENCH}] {cfg.stem} ...", flush=True)
            out = run_config(cfg, iters, small_data, timeout, WORK / "mini_memory" / cfg.stem)
            if "error" in out:
                errors[cfg.stem] = out["error"]
                print(f"[{BENCH}] {cfg.stem}: {out['error'][-400:]}", flush=True)
            else:
                results[cfg.stem].append(out)
    data = ("synthetic mini set" if not small_data else
            f"synthetic mini set cut to {small_data} samples")
    if PEER in errors:
        return [failed(BENCH, f"peer {PEER} failed: {errors[PEER]}")]
    peer_runs = results[PEER]
    peer_peak = statistics.median(r["peak_mb"] for r in peer_runs)
    records: List[Record] = []
    for cfg in order[1:]:
        stem = cfg.stem
        if stem in errors:
            reason = _skip_reason(errors[stem])
            records.append(skipped(BENCH, f"{stem}: {reason}", "peak RSS") if reason else
                           failed(BENCH, f"{stem}: {errors[stem][-600:]}"))
            continue
        runs = results[stem]
        peak = statistics.median(r["peak_mb"] for r in runs)
        stage_peaks = {}
        for r in runs:
            for s in r["stages"]:
                stage_peaks.setdefault(str(s["stage"]), []).append(s["peak_fair_mb"])
        per_stage = ", ".join(f"{k} {statistics.median(v):.0f} MB" for k, v in stage_peaks.items())
        records.append(Record(
            bench=BENCH, measure="peak memory of a short training run (trainer RSS + workers' USS)",
            subject=f"{stem} ({per_stage})" if len(stage_peaks) > 1 else stem,
            peer=f"{PEER} (mmaction2 ST-GCN via hhir)", ratio=peak / peer_peak,
            reads_as="hhir config / peer peak memory; < 1: less memory",
            input_size=f"{iters} iterations per stage, the config's batch size, {data}",
            subject_value=peak, peer_value=peer_peak, unit="MB", runs=len(runs),
            notes="the trainer's RSS plus its dataloader workers' private memory (USS), so pages "
                  "a forked worker shares with the trainer count once and other jobs on the "
                  "machine not at all; peak over all stages, each stage in a fresh process; "
                  "summed-RSS peaks (an upper bound) are in the JSON",
            extra=dict(stages=stage_peaks, wall_s=[r["wall_s"] for r in runs],
                       peak_rss_mb=[r["peak_rss_mb"] for r in runs],
                       peer_peak_rss_mb=[r["peak_rss_mb"] for r in peer_runs],
                       peer_wall_s=[r["wall_s"] for r in peer_runs])))
    return records


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--configs", nargs="+", type=Path,
                    help="configs to measure (default: configs/*_mini.py); the peer "
                         f"{PEER}.py is always added")
    ap.add_argument("--iters", type=int, default=3, help="training iterations per stage")
    ap.add_argument("--repeats", type=int, default=1, help="runs per config (median)")
    ap.add_argument("--small-data", type=int, default=None,
                    help="use an N-sample copy of the synthetic mini set")
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per stage process")
    ap.add_argument("--json", type=Path, default=WORK / "mini_memory.json")
    ap.add_argument("--_child", help=argparse.SUPPRESS)
    ap.add_argument("--_stage-index", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--_work-dir", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    data_root = WORK / "mini_data"
    if args._child:
        return child(args._child, args._stage_index, args._work_dir, args.iters,
                     args.small_data, data_root)
    configs = sorted((ROOT / "configs").glob("*_mini.py"))
    if args.configs:
        configs = [c.resolve() for c in args.configs]
        if not any(c.stem == PEER for c in configs):
            configs.append(ROOT / "configs" / f"{PEER}.py")
    if not configs:
        write_records(args.json, [skipped(BENCH, "no configs/*_mini.py found")])
        return 0
    write_records(args.json, run(configs, args.iters, args.repeats, args.small_data,
                                 args.timeout))
    return 0


if __name__ == "__main__":
    sys.exit(main())
