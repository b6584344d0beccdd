"""SIGKILL during packing and during an epoch-based ST-GCN run, then ``--resume auto``.

The smallest real config that exercises the path: the ST-GCN mini (mmaction2 backbone,
random frame sampling, dropout) with tiny widths on a small NTU-format pickle. Long on 2
shared cores, so marked slow.
"""
from __future__ import annotations

import os
import pickle
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from helpers import PYTHON, REPO
from hhir_core.engine.checkpoint import safe_load

pytest.importorskip("mmaction")
TRAIN = str(REPO / "tools" / "train.py")
ENV = dict(os.environ, OMP_NUM_THREADS="1", HF_HUB_OFFLINE="1")


def _write_pickle(path: Path, n: int, frames: int) -> None:
    rng = np.random.default_rng(0)
    annos = []
    for i in range(n):
        label = [0, 9, 49][i % 3]
        kp = rng.normal(size=(1 + (label == 49), frames, 25, 3)).astype(np.float32) * 0.1
        kp[..., label % 3] += 1.0 + 0.05 * np.arange(frames)[None, :, None]
        annos.append(dict(frame_dir=f"S001C001P{1 + i % 4:03d}R001A{label + 1:03d}_{i}",
                          label=label, keypoint=kp, total_frames=frames))
    names = [a["frame_dir"] for a in annos]
    split = {"xsub_train": [x for x in names if "P003" not in x],
             "xsub_val": [x for x in names if "P003" in x]}
    path.write_bytes(pickle.dumps(dict(split=split, annotations=annos), protocol=4))


def _options(ann: Path, workers: int = 0) -> list:
    opts = ["model.backbone.base_channels=8", "model.backbone.num_stages=2",
            "model.backbone.inflate_stages=[]", "model.backbone.down_stages=[]",
            "train_cfg.max_epochs=4", "train_cfg.val_interval=4",
            "default_hooks.checkpoint.interval=1", "default_hooks.checkpoint.max_keep_ckpts=1",
            "param_scheduler.1.T_max=4"]
    for loader in ("train_dataloader", "val_dataloader", "test_dataloader"):
        opts += [f"{loader}.dataset.ann_file={ann}", f"{loader}.dataset.synthetic=None",
                 f"{loader}.batch_size=8", f"{loader}.num_workers={workers}",
                 f"{loader}.persistent_workers={workers > 0}"]
    return opts


def _cmd(work: Path, ann: Path, *extra: str, workers: int = 0) -> list:
    return [PYTHON, TRAIN, str(REPO / "configs" / "stgcn_ntu120_mini.py"), "--work-dir",
            str(work), *extra, "--cfg-options", *_options(ann, workers)]


@pytest.mark.slow
def test_kill_during_packing_then_rerun(tmp_path: Path) -> None:
    ann = tmp_path / "big.pkl"
    _write_pickle(ann, 600, 300)  # packing takes long enough to be caught
    proc = subprocess.Popen(_cmd(tmp_path / "w", ann), env=ENV, cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    packed_root = tmp_path / ".big.pkl.packed"
    deadline = time.time() + 300
    while time.time() < deadline and not list(packed_root.glob(".*.tmp*")):
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert list(packed_root.glob(".*.tmp*")), "packing was never caught in progress"
    out = subprocess.run(_cmd(tmp_path / "w", ann, "--resume", "auto"), env=ENV, cwd=REPO,
                         capture_output=True, text=True, timeout=1200)
    assert out.returncode == 0, out.stderr[-3000:]
    assert not list(packed_root.glob(".*.tmp*"))  # the leftover folder was removed
    assert len([d for d in packed_root.iterdir() if (d / "meta.json").is_file()]) == 1


@pytest.mark.slow
@pytest.mark.parametrize("workers", [0, 1])  # 1: a persistent DataLoader worker
def test_stgcn_killed_after_a_checkpoint_resumes_exactly(tmp_path: Path, workers: int) -> None:
    ann = tmp_path / "tiny.pkl"
    _write_pickle(ann, 48, 40)
    ref = subprocess.run(_cmd(tmp_path / "ref", ann, workers=workers), env=ENV, cwd=REPO, capture_output=True,
                         text=True, timeout=1200)
    assert ref.returncode == 0, ref.stderr[-3000:]
    work = tmp_path / "w"
    proc = subprocess.Popen(_cmd(work, ann, workers=workers), env=ENV, cwd=REPO, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.time() + 600
    while time.time() < deadline and not (work / "epoch_2.pth").exists():
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (work / "epoch_4.pth").exists()
    out = subprocess.run(_cmd(work, ann, "--resume", "auto", workers=workers), env=ENV, cwd=REPO,
                         capture_output=True, text=True, timeout=1200)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "resumed from" in out.stdout + out.stderr
    a = safe_load(str(work / "epoch_4.pth"))["state_dict"]
    b = safe_load(str(tmp_path / "ref" / "epoch_4.pth"))["state_dict"]
    assert set(a) == set(b) and all(torch.equal(a[k], b[k]) for k in a)
