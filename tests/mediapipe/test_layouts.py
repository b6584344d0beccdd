"""BlazePose -> COCO / NTU joint mapping and the tracker's geometry (no mediapipe needed)."""
from __future__ import annotations

import sys

import numpy as np
import pytest

from hhir_mediapipe import layouts
from hhir_mediapipe.tracking import _dedupe, crop_window, pose_box, pose_distance

COCO_NAMES = ("nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder",
              "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
              "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle")


def _pose(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(33, 3)).astype(np.float32)


def test_coco_mapping_takes_the_same_named_landmarks():
    names = [layouts.BLAZEPOSE33[i] for i in layouts.COCO17_FROM_BLAZEPOSE]
    assert tuple(names) == COCO_NAMES
    kp, sc = layouts.to_coco(_pose()[None], np.linspace(0, 1, 33)[None])
    assert kp.shape == (1, 17, 3) and sc[0, 5] == pytest.approx(11 / 32)


def test_ntu_mapping_direct_and_derived_joints():
    bp, score = _pose(), np.linspace(0.1, 1.0, 33).astype(np.float32)
    ntu, s = layouts.to_ntu(bp, score)
    w = layouts.ntu_weights()
    assert np.allclose(w.sum(1), 1.0)
    named = {5: 11, 6: 13, 7: 15, 9: 12, 10: 14, 11: 16, 13: 23, 14: 25, 15: 27, 17: 24, 18: 26, 19: 28}
    for ntu_joint, bp_joint in named.items():  # 1-based NTU numbering as in the dataset docs
        assert np.allclose(ntu[ntu_joint - 1], bp[bp_joint])
    hips, shoulders, head = bp[[23, 24]].mean(0), bp[[11, 12]].mean(0), bp[[7, 8]].mean(0)
    assert np.allclose(ntu[0], hips) and np.allclose(ntu[20], shoulders)
    assert np.allclose(ntu[1], (hips + shoulders) / 2)                    # spine mid
    assert np.allclose(ntu[2], shoulders + (head - shoulders) / 3, atol=1e-6)  # neck
    assert np.allclose(ntu[3], head)
    assert np.allclose(ntu[21], bp[19]) and np.allclose(ntu[22], bp[21])  # left tip, thumb
    assert np.allclose(ntu[23], bp[20]) and np.allclose(ntu[24], bp[22])
    assert np.allclose(ntu[7], bp[[15, 17, 19]].mean(0), atol=1e-6)      # left hand
    assert s[0] == pytest.approx(min(score[23], score[24]))               # weakest source
    assert s[7] == pytest.approx(score[15])


def test_world_to_camera_recovers_a_projected_person():
    rng = np.random.default_rng(1)
    world = rng.uniform(-0.4, 0.4, (33, 3)).astype(np.float32)
    world[:, 1] *= 2
    world[[23, 24]] = [[-0.1, 0, 0], [0.1, 0, 0]]  # hips centred on the origin
    world[:, 2] *= 0.05  # a flat person facing the camera
    h, w, f = 1080, 1920, 1000.0
    root = np.array([0.5, -0.2, 3.0])
    cam_true = np.stack([world[:, 0], -world[:, 1], world[:, 2]], -1) + root
    u = f * cam_true[:, 0] / cam_true[:, 2] + w / 2
    v = -f * cam_true[:, 1] / cam_true[:, 2] + h / 2
    cam = layouts.world_to_camera(world, np.stack([u, v], -1), np.ones(33), (h, w), focal_px=f)
    assert np.abs(cam[[23, 24]].mean(0) - root).max() < 0.08
    assert cam[0, 1] - cam[23, 1] == pytest.approx(-world[0, 1] + world[23, 1], abs=1e-5)  # y up


def test_tracker_geometry_helpers():
    xy = np.stack([np.linspace(100, 200, 33), np.linspace(50, 450, 33)], -1).astype(np.float32)
    sc = np.ones(33, np.float32)
    box = pose_box(xy, sc)
    assert box[0] < 100 and box[2] > 200 and box[1] < 50 and box[3] > 450
    assert pose_distance(xy, sc, xy + 40, sc, 400.0) == pytest.approx(np.hypot(40, 40) / 400, rel=1e-5)
    x1, y1, x2, y2 = crop_window(np.array([100, 100, 200, 300.]), 0.1, (320, 640))
    assert (x1, y1, x2, y2) == (30, 80, 270, 320)  # square, larger side + 2 x 10 %, clipped
    same = [np.concatenate([xy, np.zeros((33, 1), np.float32)], 1), sc * 0.9, np.zeros((33, 3))]
    near = [same[0] + 1.0, sc, np.zeros((33, 3))]
    other = [same[0] + 300.0, sc, np.zeros((33, 3))]
    kept = _dedupe([same, near, other])
    assert len(kept) == 2 and kept[0] is near  # the more visible duplicate wins


def test_missing_mediapipe_is_one_clear_error(monkeypatch):
    from hhir_core.errors import PluginError
    from hhir_mediapipe import runtime

    monkeypatch.setitem(sys.modules, "mediapipe", None)  # import mediapipe -> ImportError
    with pytest.raises(PluginError, match=r"pip install 'hhir\[mediapipe\]'"):
        runtime.require_mediapipe()
