"""tools/data/extract_poses.py with its defaults (MediaPipe segmenter + pose source) on a
generated two-figure video: the annotation pickle and the preview video."""
from __future__ import annotations

import pickle
import sys
from pathlib import Path

import pytest

pytest.importorskip("mediapipe")
ROOT = Path(__file__).resolve().parents[2]


def test_extract_poses_defaults_write_pickle_and_preview(tmp_path):
    import cv2

    from hhir_mediapipe.pose_source import demo_clip

    sys.path.insert(0, str(ROOT / "tools" / "data"))
    import extract_poses

    clip = demo_clip(T=6, size=128)
    video = tmp_path / "videos" / "two.avi"
    video.parent.mkdir()
    h, w = clip.frames.shape[1:3]
    out = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10, (w, h))
    for f in clip.frames:
        out.write(cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    out.release()
    pkl, prev = tmp_path / "poses.pkl", tmp_path / "prev"
    assert extract_poses.main([str(video.parent), "--out", str(pkl), "--preview-dir", str(prev)]) == 0
    data = pickle.loads(pkl.read_bytes())
    ann = data["annotations"][0]
    assert data["split"] == {"all": ["two"]} and ann["layout"] == "coco"
    assert ann["keypoint"].shape == (2, 6, 17, 2) and ann["keypoint_score"].shape == (2, 6, 17)
    found = ann["keypoint_score"].max(-1) > 0.5
    # BlazePose is not made for stick figures: after video compression its detector finds
    # the left one only; it is followed through every frame, the missing one is zero-filled
    assert found[0].all(), found
    kp = ann["keypoint"]
    assert (kp[0, :, 0, 0] < w / 2).all()
    assert (kp[~found] == 0).all() and (ann["keypoint_score"][~found] == 0).all()
    cap = cv2.VideoCapture(str(prev / "two_poses.mp4"))
    ok, frame = cap.read()
    cap.release()
    assert ok and frame.std() > 0


def test_frontend_config_builds_both_components_with_its_options():
    from hhir_core.config import load_config
    from hhir_core.registry import build

    cfg = load_config(str(ROOT / "configs" / "_base_" / "mediapipe_frontend.py"))
    src = build("pose_source", dict(cfg.pose_source))
    seg = build("segmenter", dict(cfg.segmenter))
    assert type(src).__name__ == "MediaPipePoseSource" and src.layout == "nturgb+d"
    assert src._tracker_args == (960, 0.15, 0.25, 0.5, 0.5) and src.focal_px is None
    assert type(seg).__name__ == "MediaPipePersonSegmenter"
    assert (seg.max_side, seg.threshold, seg.model_selection, seg.max_reach) == (960, 0.5, 0, 0.25)
