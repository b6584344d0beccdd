"""End to end through tools/train.py: NTU dataset + SkeletonRecognizer + ClassificationMetric."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("mmaction")
ROOT = Path(__file__).resolve().parents[2]


def _write_pickle(path: Path) -> None:
    import pickle

    rng = np.random.default_rng(0)
    annos = []
    for i in range(32):
        label = [0, 9, 49][i % 3]
        kp = rng.normal(size=(1 + (label == 49), 20, 25, 3)).astype(np.float32) * 0.1
        kp[..., label % 3] += 1.0 + 0.1 * np.arange(20)[None, :, None]  # class-dependent drift
        annos.append(dict(frame_dir=f"S001C001P{1 + i % 4:03d}R001A{label + 1:03d}_{i}",
                          label=label, keypoint=kp, total_frames=20))
    names = [a["frame_dir"] for a in annos]
    split = {"xsub_train": [n for n in names if "P003" not in n],
             "xsub_val": [n for n in names if "P003" in n]}
    path.write_bytes(pickle.dumps(dict(split=split, annotations=annos)))


@pytest.mark.slow
def test_train_tiny_config(tmp_path: Path) -> None:
    ann = tmp_path / "tiny.pkl"
    _write_pickle(ann)
    cfg = tmp_path / "tiny_stgcn.py"
    cfg.write_text(f"""
_base_ = ['{ROOT}/configs/stgcn_ntu120_mini.py']
prepare_data = []  # reads its own tiny pickle
train_dataloader = dict(batch_size=8, num_workers=1,
                        dataset=dict(ann_file='{ann}', data_root=None))
val_dataloader = dict(batch_size=8, num_workers=1, dataset=dict(ann_file='{ann}', data_root=None))
test_dataloader = dict(batch_size=8, num_workers=1, dataset=dict(ann_file='{ann}', data_root=None))
model = dict(backbone=dict(base_channels=8, num_stages=2, inflate_stages=[], down_stages=[]))
train_cfg = dict(max_epochs=2, val_interval=2)
param_scheduler = [dict(type='CosineAnnealingLR', eta_min=0, T_max=2, by_epoch=True)]
""")
    work = tmp_path / "work"
    env = dict(os.environ, HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "train.py"), str(cfg),
                           "--work-dir", str(work)], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    metrics = json.loads((work / "metrics.json").read_text())
    for key in ("top1", "top5", "mean_class_acc", "macro_f1"):
        assert any(k.endswith(key) for k in metrics), metrics
    assert (work / "confusion_matrix.png").is_file()
