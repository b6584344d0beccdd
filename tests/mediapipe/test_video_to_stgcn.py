"""Real video -> MediaPipe people and poses (tools/data/extract_poses.py with
configs/_base_/mediapipe_frontend.py: segmenter + NTU 3-D layout) -> ST-GCN via tools/test.py.

The ST-GCN checkpoint is a tiny one trained here for one epoch on a small generated
pickle (its accuracy on the real clip is not the point; the path is): the extracted NTU
3-D poses must load into NTUSkeletonDataset and run through the mini config's pipeline.
"""
from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("mediapipe")
pytest.importorskip("mmaction")
ROOT = Path(__file__).resolve().parents[2]


def _train_pickle(path: Path) -> None:
    rng = np.random.default_rng(0)
    annos = []
    for i in range(16):
        label = [54, 9][i % 2]
        kp = rng.normal(size=(2, 20, 25, 3)).astype(np.float32) * 0.1
        kp[..., label % 3] += 1.0 + 0.1 * np.arange(20)[None, :, None]
        annos.append(dict(frame_dir=f"S001C001P{1 + i % 4:03d}R001A{label + 1:03d}_{i}", label=label,
                          keypoint=kp, total_frames=20))
    names = [a["frame_dir"] for a in annos]
    path.write_bytes(pickle.dumps(dict(split={"xsub_train": names, "xsub_val": names[:4]},
                                       annotations=annos)))


@pytest.mark.slow
@pytest.mark.realdata
def test_real_clip_poses_evaluate_with_stgcn(tmp_path, fixtures_dir):
    video = fixtures_dir / "video" / "ntu_two_person_hug.avi"
    if not video.is_file():
        pytest.skip(f"fixture clip absent: {video}")
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", OMP_NUM_THREADS="1")
    poses, previews = tmp_path / "hug_poses.pkl", tmp_path / "preview"
    (tmp_path / "labels.json").write_text(json.dumps({video.stem: 54}))  # A055 hugging
    (tmp_path / "split.json").write_text(json.dumps({"xsub_val": [video.stem]}))
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "data" / "extract_poses.py"), str(video),
                           "--out", str(poses), "--config", str(ROOT / "configs" / "_base_" / "mediapipe_frontend.py"),
                           "--preview-dir", str(previews),
                           "--labels", str(tmp_path / "labels.json"), "--split-file", str(tmp_path / "split.json")],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    ann = pickle.loads(poses.read_bytes())["annotations"][0]
    assert ann["keypoint"].shape == (2, 72, 25, 3) and ann["label"] == 54 and ann["layout"] == "nturgb+d"
    assert "keypoint_score" not in ann  # 3-D NTU convention: x, y, z are the channels
    assert (ann["visibility"].max(-1) > 0).mean() >= 0.9  # both people in >= 90 % of frames
    import cv2

    cap = cv2.VideoCapture(str(previews / f"{video.stem}_poses.mp4"))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 72
    cap.release()

    train = tmp_path / "train.pkl"
    _train_pickle(train)
    cfg = tmp_path / "tiny_stgcn.py"
    cfg.write_text(f"""
_base_ = ['{ROOT}/configs/stgcn_ntu120_mini.py']
prepare_data = []  # reads its own pickle
train_dataloader = dict(batch_size=8, num_workers=0, persistent_workers=False,
                        dataset=dict(ann_file='{train}', data_root=None))
val_dataloader = dict(batch_size=4, num_workers=0, persistent_workers=False,
                      dataset=dict(ann_file='{train}', data_root=None))
test_dataloader = dict(batch_size=1, num_workers=0, persistent_workers=False,
                       dataset=dict(ann_file='{train}', data_root=None))
model = dict(backbone=dict(base_channels=8, num_stages=2, inflate_stages=[], down_stages=[]))
train_cfg = dict(max_epochs=1, val_interval=1)
param_scheduler = [dict(type='CosineAnnealingLR', eta_min=0, T_max=1, by_epoch=True)]
""")
    work = tmp_path / "work"
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "train.py"), str(cfg), "--work-dir", str(work)],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=900)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    ckpt = sorted(work.glob("*.pth"))[-1]
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "test.py"), str(cfg), str(ckpt),
                           "--work-dir", str(tmp_path / "test"), "--cfg-options",
                           f"test_dataloader.dataset.ann_file={poses}", "test_dataloader.dataset.split=xsub_val"],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=900)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    out = "\n" + proc.stdout   # the printed metrics end stdout and may be all of it
    metrics = json.loads(out[out.rindex("\n{") + 1:out.rindex("}") + 1])  # the printed metrics
    top1 = [float(v) for k, v in metrics.items() if k.endswith("top1")]
    assert top1 and 0.0 <= top1[0] <= 100.0, metrics
