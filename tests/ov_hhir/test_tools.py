"""tools/data/build_hhirchat.py and split_branches.py on generated clips (no fixtures)."""
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _tool(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / "data" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _videos(tmp_path):
    from hhir_ov_hhir.branches import write_clip
    from hhir_ov_hhir.segmenters import synthetic_two_person_clip
    vids = tmp_path / "videos"
    for i in range(3):
        clip, _ = synthetic_two_person_clip(T=10, size=96, seed=i)
        write_clip(vids / f"clip{i}.mp4", clip.frames, 10.0)
    return vids


def test_build_hhirchat_roundtrip(tmp_path):
    from hhir_ov_hhir.hhirchat import HHIRChatDataset
    vids = _videos(tmp_path)
    (tmp_path / "labels.csv").write_text("video,label\nclip0.mp4,hugging\nclip1.mp4,handshaking\nclip2.mp4,hugging\n")
    out = tmp_path / "hc"
    rc = _tool("build_hhirchat").main([str(vids), "--labels", str(tmp_path / "labels.csv"), "--out", str(out),
                                       "--template", "Two people are {label}.", "--val-fraction", "0"])
    assert rc == 0
    recs = json.loads((out / "hhirchat_train.json").read_text())
    assert [r["label_name"] for r in recs] == ["hugging", "handshaking", "hugging"]
    assert recs[0]["conversations"][1]["value"] == "Two people are hugging."
    ds = HHIRChatDataset(str(out / "hhirchat_train.json"), num_frames=4, frame_size=(32, 32))
    item = ds[1]
    assert item["p1"].shape == (4, 3, 32, 32) and item["label"] == 1
    # the whole clip too, for the single-branch (whole-video) configs
    assert recs[1]["video"] == "branches/clip1_video.mp4" and (out / recs[1]["video"]).stat().st_size > 0
    whole = HHIRChatDataset(str(out / "hhirchat_train.json"), branches=("video",), num_frames=4, frame_size=(32, 32))
    assert whole[1]["video"].shape == (4, 3, 32, 32) and "p1" not in whole[1]
    assert json.loads((out / "classes.json").read_text())[1]["name"] == "handshaking"


def test_build_hhirchat_bad_labels(tmp_path, capsys):
    (tmp_path / "labels.csv").write_text("clip0.mp4,\n")
    rc = _tool("build_hhirchat").main([str(tmp_path), "--labels", str(tmp_path / "labels.csv"), "--out", str(tmp_path / "o")])
    assert rc == 2 and "labels.csv:1" in capsys.readouterr().err


def test_split_branches(tmp_path):
    vids = _videos(tmp_path)
    out = tmp_path / "br"
    # the synthetic renders are what the OpenCV segmenter's blobs mode is for
    assert _tool("split_branches").main([str(vids / "clip0.mp4"), "--out", str(out),
                                         "--segmenter", "OpenCVPersonSegmenter"]) == 0
    for b in ("p1", "p2", "bg"):
        assert (out / f"clip0_{b}.mp4").stat().st_size > 0
    import cv2
    png = cv2.imread(str(out / "clip0_preview.png"))
    assert png is not None and png.shape[1] == 4 * 320
    assert np.asarray(png).std() > 0


@pytest.mark.realdata
def test_infer_on_real_clip(tmp_path):
    """tools/infer.py segments the real two-person fixture clip and prints a description and a label."""
    import os
    import subprocess
    import sys

    import torch

    from helpers import FIXTURES

    video = FIXTURES / "video" / "ntu_two_person_hug.avi"
    if not video.is_file():
        pytest.skip(f"real fixture clip absent: {video}")
    from mmengine.config import Config

    from hhir_core.registry import build
    cfg = ROOT / "configs" / "ov_hhir_synthetic_mini.py"
    model = build("model", Config.fromfile(str(cfg)).model)
    ckpt = tmp_path / "trainable.pth"
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    torch.save({"state_dict": {k: v for k, v in model.state_dict().items() if k in trainable}}, ckpt)
    env = dict(os.environ, HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "infer.py"), str(cfg), str(ckpt),
                           str(video)], capture_output=True, text=True, env=env, timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = dict(l.split(": ", 1) for l in proc.stdout.splitlines() if ": " in l)
    assert lines["description"].strip(), proc.stdout
    assert lines["label"] in Config.fromfile(str(cfg)).class_names, proc.stdout
    # a checkpoint without the trainable weights is refused with the file named
    torch.save({"state_dict": {}}, tmp_path / "empty.pth")
    bad = subprocess.run([sys.executable, str(ROOT / "tools" / "infer.py"), str(cfg),
                          str(tmp_path / "empty.pth"), str(video)], capture_output=True,
                         text=True, env=env, timeout=900)
    assert bad.returncode == 2 and "empty.pth" in bad.stderr
