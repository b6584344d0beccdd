#!/usr/bin/env python
"""`make demo`: train LLM-AR end to end on the offline mini config and show the results.

Runs ``tools/train.py configs/llm_ar_ntu120_mini.py`` (its prepare_data step generates the
synthetic data once; SmolLM2 is de-quantised once and cached), then prints the metrics and
where the plots and checkpoints are. Extra arguments go to tools/train.py
(e.g. ``--seed 1``, ``-v``, ``--cfg-options ...``).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CONFIG = "configs/llm_ar_ntu120_mini.py"
WORK_DIR = REPO / "work_dirs" / "demo_llm_ar_ntu120_mini"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description="Train LLM-AR on the offline mini benchmark (about 15 min on 2 CPU cores) "
                    "and print its metrics. Re-running resumes where it stopped.",
        epilog="Any other arguments are passed to tools/train.py (see its --help).")
    parser.add_argument("--work-dir", default=str(WORK_DIR), help=f"default: {WORK_DIR}")
    args, train_args = parser.parse_known_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    start = time.time()
    work_dir = Path(args.work_dir)
    cmd = [sys.executable, str(REPO / "tools" / "train.py"), CONFIG, "--work-dir", str(work_dir),
           "--resume", "auto", *train_args]
    print("[demo] " + " ".join(cmd), flush=True)
    code = subprocess.call(cmd, cwd=REPO)
    if code != 0:
        print(f"[demo] training failed (exit {code}); re-run `make demo` to resume", file=sys.stderr)
        return code
    sys.path.insert(0, str(REPO))
    from hhir_core.engine.console import summary_line

    metrics_file = work_dir / "metrics.json"
    metrics = json.loads(metrics_file.read_text()) if metrics_file.exists() else {}
    stages = sorted({k.split("/")[0] for k in metrics if "/" in k})
    print(f"\n[demo] finished in {(time.time() - start) / 60:.1f} min")
    print(f"[demo] LLM-AR mini, synthetic xsub val: {summary_line(metrics, stages)}")
    print(f"[demo] metrics: {metrics_file}")
    for png in sorted(work_dir.rglob("*.png")):
        print(f"[demo] plot:    {png}")
    print(f"[demo] ask the model about a clip: hhir infer {work_dir} FILE.skeleton")
    return 0


if __name__ == "__main__":
    sys.exit(main())
