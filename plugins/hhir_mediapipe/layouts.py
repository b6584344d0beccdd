"""BlazePose's 33 landmarks and their mapping to the COCO-17 and NTU RGB+D-25 layouts.

Pure numpy, so the mapping is testable without mediapipe. Left/right are the subject's
own (BlazePose convention); NTU's are Kinect's, also the subject's.

NTU joints BlazePose has no landmark for are derived (weights over BlazePose indices):

==========================  ================================================
NTU joint (1-based)         derived from BlazePose (0-based)
==========================  ================================================
1  base of spine            mean of hips 23, 24
2  middle of spine          mean of hips 23, 24 and shoulders 11, 12
3  neck                     2/3 shoulder centre (11, 12) + 1/3 head (7, 8)
4  head                     mean of ears 7, 8
8 / 12  left / right hand   mean of wrist, pinky, index (15,17,19 / 16,18,20)
16 / 20 left / right foot   foot index 31 / 32
21 spine at the shoulders   mean of shoulders 11, 12
22 / 24 left / right tip    index finger 19 / 20
23 / 25 left / right thumb  thumb 21 / 22
==========================  ================================================

The other NTU joints (shoulders, elbows, wrists, hips, knees, ankles) are the BlazePose
landmark of the same name. A derived joint's score is the lowest score of its sources.
"""
from __future__ import annotations

from typing import Dict, Optional, Tuple

import numpy as np

BLAZEPOSE33 = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
    "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_pinky",
    "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb", "left_hip",
    "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel",
    "right_heel", "left_foot_index", "right_foot_index")

#: BlazePose's skeleton edges (mediapipe ``POSE_CONNECTIONS``), for drawing and mask splitting
BLAZEPOSE_EDGES = (
    (0, 1), (1, 2), (2, 3), (3, 7), (0, 4), (4, 5), (5, 6), (6, 8), (9, 10), (11, 12),
    (11, 13), (13, 15), (15, 17), (15, 19), (15, 21), (17, 19), (12, 14), (14, 16), (16, 18),
    (16, 20), (16, 22), (18, 20), (11, 23), (12, 24), (23, 24), (23, 25), (24, 26), (25, 27),
    (26, 28), (27, 29), (28, 30), (29, 31), (30, 32), (27, 31), (28, 32))

#: COCO-17 skeleton edges (for drawing)
COCO_EDGES = ((0, 1), (0, 2), (1, 3), (2, 4), (5, 6), (5, 7), (7, 9), (6, 8), (8, 10), (5, 11),
              (6, 12), (11, 12), (11, 13), (13, 15), (12, 14), (14, 16))

#: COCO-17 keypoint order -> BlazePose index (every COCO keypoint exists in BlazePose)
COCO17_FROM_BLAZEPOSE = (0, 2, 5, 7, 8, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28)

_H, _S = (23, 24), (11, 12)
#: NTU-25 joint (0-based) -> {BlazePose index: weight}; see the module docstring
NTU25_FROM_BLAZEPOSE: Tuple[Dict[int, float], ...] = (
    {23: .5, 24: .5},                                  # 1 base of spine
    {23: .25, 24: .25, 11: .25, 12: .25},              # 2 middle of spine
    {11: 1 / 3, 12: 1 / 3, 7: 1 / 6, 8: 1 / 6},        # 3 neck
    {7: .5, 8: .5},                                    # 4 head
    {11: 1.}, {13: 1.}, {15: 1.}, {15: 1 / 3, 17: 1 / 3, 19: 1 / 3},   # 5-8 left arm, hand
    {12: 1.}, {14: 1.}, {16: 1.}, {16: 1 / 3, 18: 1 / 3, 20: 1 / 3},   # 9-12 right arm, hand
    {23: 1.}, {25: 1.}, {27: 1.}, {31: 1.},            # 13-16 left leg, foot
    {24: 1.}, {26: 1.}, {28: 1.}, {32: 1.},            # 17-20 right leg, foot
    {11: .5, 12: .5},                                  # 21 spine at the shoulders
    {19: 1.}, {21: 1.}, {20: 1.}, {22: 1.},            # 22-25 hand tips, thumbs
)

LAYOUTS = ("mediapipe33", "coco", "nturgb+d")


def ntu_weights() -> np.ndarray:
    """``[25, 33]`` matrix ``W`` with ``ntu = W @ blazepose`` (rows sum to 1)."""
    w = np.zeros((25, 33), np.float32)
    for j, src in enumerate(NTU25_FROM_BLAZEPOSE):
        for i, v in src.items():
            w[j, i] = v
    return w


def to_coco(kp: np.ndarray, score: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """BlazePose ``[..., 33, C]`` / ``[..., 33]`` -> COCO-17."""
    idx = list(COCO17_FROM_BLAZEPOSE)
    return kp[..., idx, :], score[..., idx]


def to_ntu(kp: np.ndarray, score: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """BlazePose ``[..., 33, C]`` / ``[..., 33]`` -> NTU-25 (derived joints as documented)."""
    w = ntu_weights()
    out = np.einsum("jk,...kc->...jc", w, kp).astype(np.float32)
    mins = np.stack([score[..., list(src)].min(-1) for src in NTU25_FROM_BLAZEPOSE], -1)
    return out, mins.astype(np.float32)


def world_to_camera(world: np.ndarray, image_xy: np.ndarray, score: np.ndarray,
                    img_hw: Tuple[int, int], focal_px: Optional[float] = None,
                    min_score: float = 0.5) -> np.ndarray:
    """BlazePose world landmarks ``[33,3]`` (metres, hip-centred, y down) -> NTU camera space.

    NTU stores metres in the Kinect's camera space: x to the image right, y up, z away
    from the camera. BlazePose world landmarks are centred on the hips of *each* person,
    so two people would overlap; the hip centre is placed in camera space by a pinhole
    model instead: depth ``Z = f * (metric size / pixel size)`` over the visible joints,
    ``X, Y`` from the hips' pixel position. ``focal_px`` defaults to a Kinect v2 colour
    camera's (84.1 deg horizontal field of view).
    """
    h, w = img_hw
    f = float(focal_px) if focal_px else w / (2 * np.tan(np.radians(84.1) / 2))
    cam = np.stack([world[:, 0], -world[:, 1], world[:, 2]], -1).astype(np.float32)
    ok = score >= min_score
    if ok.sum() < 4:
        ok = np.ones_like(ok)
    span_m = np.linalg.norm(world[ok, :2] - world[ok, :2].mean(0), axis=1).mean()
    span_px = np.linalg.norm(image_xy[ok] - image_xy[ok].mean(0), axis=1).mean()
    if span_px < 1e-6 or span_m < 1e-6:
        return cam
    depth = f * span_m / span_px
    hip_px = image_xy[list(_H)].mean(0)
    root = np.array([(hip_px[0] - w / 2) * depth / f, -(hip_px[1] - h / 2) * depth / f, depth],
                    np.float32)
    return cam + root
