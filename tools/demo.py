#!/usr/bin/env python
"""`make demo`: train LLM-AR end to end on the offline mini config and show the results.

Runs ``tools/train.py configs/llm_ar_ntu120_mini.py`` (synthetic data is generated on
first use; SmolLM2 is de-quantised once and cached), then prints the metrics and
where the plots and checkpoints are.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CONFIG = "configs/llm_ar_ntu120_mini.py"
WORK_DIR = REPO / "work_dirs" / "demo_llm_ar_ntu120_mini"


def main() -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    start = time.time()
    cmd = [sys.executable, str(REPO / "tools" / "train.py"), CONFIG, "--work-dir", str(WORK_DIR),
           "--resume", "auto", *sys.argv[1:]]
    print("[demo] " + " ".join(cmd), flush=True)
    code = subprocess.call(cmd, cwd=REPO)
    if code != 0:
        print(f"[demo] training failed (exit {code}); re-run `make demo` to resume", file=sys.stderr)
        return code
    metrics_file = WORK_DIR / "metrics.json"
    metrics = json.loads(metrics_file.read_text()) if metrics_file.exists() else {}
    print(f"\n[demo] finished in {(time.time() - start) / 60:.1f} min")
    for key in sorted(metrics):
        print(f"  {key:<40} {metrics[key]:.4g}")
    print(f"[demo] metrics:    {metrics_file}")
    for png in sorted(WORK_DIR.rglob("*.png")):
        print(f"[demo] plot:       {png}")
    print(f"[demo] provenance: {WORK_DIR / 'provenance.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
