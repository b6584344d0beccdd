#!/usr/bin/env python
"""Packed NTUSkeletonDataset vs mmaction2's PoseDataset on the same annotation pickle.

    python benchmarks/bench_ntu_dataset.py                     # 100k synthetic samples
    python benchmarks/bench_ntu_dataset.py --num-samples 5000  # quick run

Both read the same synthetic NTU pickle (made with ``ensure_synthetic``), both use the
same sampling (uniform 100 frames, 2 persons) and a DataLoader with ``--workers``
workers (fork). Each side runs in its own fresh process and reports:

* ``open_s``: building the dataset (packed: with the packed copy already made; the
  one-time packing is reported separately as ``pack_once_s``),
* ``first_batch_s``: from the start of building the dataset to the first batch
  (imports excluded on both sides),
* ``samples_per_s``: throughput over the next ``--batches`` batches,
* ``peak_rss_mb`` / ``peak_pss_mb``: peak summed memory of the main process and its
  workers (PSS counts pages shared between processes once, so it is the fair number
  for memory-mapped data; RSS counts them in every process).

Ratios are printed and written to ``--json`` (default ``benchmarks/_work/ntu_dataset.json``).
On a shared machine absolute numbers are inflated; compare the ratios.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _memory_sampler(stop: threading.Event, peak: dict) -> None:
    import psutil

    me = psutil.Process()
    while not stop.is_set():
        rss = pss = 0
        for p in [me] + me.children(recursive=True):
            try:
                info = p.memory_full_info()
                rss += info.rss
                pss += getattr(info, "pss", info.rss)
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                pass
        peak["rss"] = max(peak.get("rss", 0), rss)
        peak["pss"] = max(peak.get("pss", 0), pss)
        stop.wait(0.05)


def run_side(side: str, ann_file: str, workers: int, batch_size: int, batches: int) -> dict:
    """Measure one side in this (fresh) process."""
    import torch

    torch.set_num_threads(1)
    peak: dict = {}
    stop = threading.Event()
    sampler = threading.Thread(target=_memory_sampler, args=(stop, peak), daemon=True)
    sampler.start()
    if side == "packed":  # imports happen before the clock starts (both sides)
        from mmengine.dataset import default_collate

        from hhir_core.data.ntu import NTUSkeletonDataset

        t0 = time.perf_counter()
        ds = NTUSkeletonDataset(ann_file, split="xsub_train", pipeline=[
            dict(type="UniformSampleFrames", clip_len=100), dict(type="PadPersons", num_person=2),
            dict(type="PackSkeletonInputs")])
        collate = default_collate
    else:
        from mmengine.dataset import pseudo_collate

        from hhir_core.compat import import_mmaction_models

        import_mmaction_models()
        from mmaction.datasets import PoseDataset
        from mmaction.utils import register_all_modules

        register_all_modules(init_default_scope=True)
        t0 = time.perf_counter()
        ds = PoseDataset(ann_file, split="xsub_train", pipeline=[
            dict(type="UniformSampleFrames", clip_len=100), dict(type="PoseDecode"),
            dict(type="FormatGCNInput", num_person=2), dict(type="PackActionInputs")])
        collate = pseudo_collate
    open_s = time.perf_counter() - t0
    loader = torch.utils.data.DataLoader(ds, batch_size=batch_size, shuffle=True,
                                         num_workers=workers, collate_fn=collate,
                                         persistent_workers=False)
    it = iter(loader)
    next(it)
    first = time.perf_counter() - t0
    t1 = time.perf_counter()
    n = 0
    for _ in range(batches):
        try:
            b = next(it)
        except StopIteration:
            break
        n += len(b["keypoint"]) if side == "packed" else len(b["inputs"])
    rate = n / max(time.perf_counter() - t1, 1e-9)
    del it, loader
    stop.set()
    sampler.join()
    return dict(side=side, num_train=len(ds), open_s=open_s, first_batch_s=first,
                samples_per_s=rate, peak_rss_mb=peak.get("rss", 0) / 2**20,
                peak_pss_mb=peak.get("pss", 0) / 2**20)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--num-samples", type=int, default=100_000)
    ap.add_argument("--data-dir", type=Path, default=ROOT / "benchmarks" / "_work" / "ntu_data")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--batches", type=int, default=30)
    ap.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "_work" / "ntu_dataset.json")
    ap.add_argument("--_side", help=argparse.SUPPRESS)
    ap.add_argument("--_ann", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args._side:
        print(json.dumps(run_side(args._side, args._ann, args.workers, args.batch_size,
                                  args.batches)))
        return 0

    from hhir_core.data.ntu import packed_dir_for
    from hhir_synthetic.generator import ensure_synthetic

    out = args.data_dir / f"n{args.num_samples}"
    t = time.perf_counter()
    ensure_synthetic(out_dir=out, num_samples=args.num_samples, seed=0, render=False)
    gen_s = time.perf_counter() - t
    ann = out / "ntu3d.pkl"
    t = time.perf_counter()
    packed_dir_for(ann)  # one-time conversion (a no-op if already cached)
    pack_s = time.perf_counter() - t
    results = {}
    for side in ("packed", "mmaction"):
        cmd = [sys.executable, __file__, "--_side", side, "--_ann", str(ann),
               "--workers", str(args.workers), "--batch-size", str(args.batch_size),
               "--batches", str(args.batches)]
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT,
                              env=dict(os.environ, PYTHONWARNINGS="ignore"))
        if proc.returncode != 0:
            print(proc.stderr[-3000:], file=sys.stderr)
            return 1
        results[side] = json.loads(proc.stdout.strip().splitlines()[-1])
    p, m = results["packed"], results["mmaction"]
    ratios = dict(
        first_batch_speedup=m["first_batch_s"] / p["first_batch_s"],
        open_speedup=m["open_s"] / max(p["open_s"], 1e-9),
        throughput_ratio=p["samples_per_s"] / m["samples_per_s"],
        peak_pss_ratio_mmaction_over_packed=m["peak_pss_mb"] / p["peak_pss_mb"],
        peak_rss_ratio_mmaction_over_packed=m["peak_rss_mb"] / p["peak_rss_mb"],
    )
    report = dict(num_samples=args.num_samples, pickle_mb=ann.stat().st_size / 2**20,
                  generate_s=gen_s, pack_once_s=pack_s, workers=args.workers,
                  batch_size=args.batch_size, results=results, ratios=ratios,
                  note="shared machine: absolute times are inflated; compare ratios")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=1))
    print(f"pickle: {report['pickle_mb']:.0f} MB, {args.num_samples} samples; "
          f"packing once: {pack_s:.1f} s")
    for side, r in results.items():
        print(f"{side:9s} open {r['open_s']:7.2f} s  first batch {r['first_batch_s']:7.2f} s  "
              f"{r['samples_per_s']:8.0f} samples/s  peak PSS {r['peak_pss_mb']:7.0f} MB  "
              f"peak RSS {r['peak_rss_mb']:7.0f} MB")
    for k, v in ratios.items():
        print(f"{k:40s} {v:6.2f}x")
    print(f"written: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
