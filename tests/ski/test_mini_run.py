"""End-to-end (slow): the mini SKI config's two stages through the engine on a small rendered set."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import synthetic_child_config

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_two_stage_mini_run_reports_video_only_zero_shot(tmp_path):
    mini = ROOT / "configs" / "ski_vificlip_ntu120_110_10_mini.py"
    cfg = tmp_path / "ski_tiny_run.py"
    syn = dict(out_dir=str(tmp_path / "syn"), num_samples=120, seed=0, render=True)
    cfg.write_text(
        synthetic_child_config(mini, syn) +
        "train_cfg = dict(max_epochs=1, val_interval=1)\n"
        "stages = [dict(name='skeleton_clip', cfg=dict(model=dict(phase='skeleton_clip'),\n"
        "    train_dataloader=dict(dataset=dict(with_video=False)),\n"
        "    val_dataloader=dict(dataset=dict(with_video=False, with_skeleton=True,\n"
        "                                     pipeline={{_base_.skeleton_test_pipeline}})),\n"
        "    test_dataloader=None, test_evaluator=None, test_cfg=None)),\n"
        "    dict(name='scd', cfg=dict(test_dataloader=None, test_evaluator=None, test_cfg=None))]\n")
    env = dict(os.environ, HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1")
    work = tmp_path / "work"
    cmd = [sys.executable, str(ROOT / "tools" / "train.py"),
           str(cfg), "--work-dir", str(work)]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1500)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    metrics = json.loads((work / "metrics.json").read_text())
    assert "skeleton_clip/top1" in metrics and "scd/top1" in metrics and "top1" in metrics
    assert (work / "skeleton_clip" / "stage_done.json").is_file()
    assert (work / "scd" / "stage_done.json").is_file()
