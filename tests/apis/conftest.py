"""Tiny trained runs shared by the inference API, CLI and demo-page tests.

Each is a real ``tools/train.py`` run of a shipped mini config, shortened with
``--cfg-options`` (a small rendered synthetic set, a few iterations, no evaluation), so the
tests exercise the work-dir layout, checkpoints and configs users get from ``make demo``.
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from helpers import PYTHON, REPO

SYNTHETIC_SAMPLES = 120


def _train(config: str, work_dir: Path, synthetic_dir: Path, options: list) -> Path:
    if (work_dir / "provenance.json").is_file() and any(work_dir.rglob("last_checkpoint")):
        return work_dir
    syn = [f"prepare_data.0.out_dir={synthetic_dir}", f"prepare_data.0.num_samples={SYNTHETIC_SAMPLES}"]
    syn += [f"{split}.dataset.data_root={synthetic_dir}" for split in ("train_dataloader", "val_dataloader")]
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", OMP_NUM_THREADS="2")
    cmd = [PYTHON, str(REPO / "tools" / "train.py"), config, "--work-dir", str(work_dir),
           "--cfg-options", *syn, *options]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return work_dir


@pytest.fixture(scope="session")
def runs_dir(tmp_path_factory) -> Path:
    """``$HHIR_INFERENCE_RUNS`` keeps the runs between local test sessions; else a tmp dir."""
    keep = os.environ.get("HHIR_INFERENCE_RUNS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        return Path(keep)
    return tmp_path_factory.mktemp("inference_runs")


@pytest.fixture(scope="session")
def llm_ar_work_dir(runs_dir) -> Path:
    """LLM-AR mini, both stages: 6 tokenizer + 3 LLM iterations (minutes on 2 cores)."""
    return _train("configs/llm_ar_ntu120_mini.py", runs_dir / "llm_ar", runs_dir / "syn", [
        "train_dataloader.batch_size=8", "stages.0.cfg.train_dataloader.batch_size=8",
        "stages.0.cfg.train_cfg.max_iters=6", "stages.0.cfg.train_cfg.val_begin=100000",
        "train_cfg.max_iters=3", "train_cfg.val_begin=100000",
        "train_dataloader.num_workers=0", "train_dataloader.persistent_workers=False"])


@pytest.fixture(scope="session")
def ov_hhir_work_dir(runs_dir) -> Path:
    """OV-HHIR mini: 2 iterations, no evaluation."""
    return _train("configs/ov_hhir_synthetic_mini.py", runs_dir / "ov_hhir", runs_dir / "syn", [
        f"_data.data_root={runs_dir / 'syn'}",  # the config's shared dataset dict (checked before training)
        "train_dataloader.batch_size=2", "train_cfg.max_iters=2", "train_cfg.val_begin=100000",
        "test_dataloader=None", "test_evaluator=None", "test_cfg=None",
        "train_dataloader.num_workers=0"])
