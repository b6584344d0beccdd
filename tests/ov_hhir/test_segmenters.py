"""Offline segmenter: masks with stable identities on synthetic clips; two tracks on the real clip."""
import itertools
import json
from pathlib import Path

import numpy as np
import pytest

from helpers import FIXTURES

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _cv2_one_thread():
    import cv2
    cv2.setNumThreads(1)
    yield


def _iou(a, b):
    inter = (a & b).sum((1, 2))
    union = (a | b).sum((1, 2))
    return float(np.where(union > 0, inter / np.maximum(union, 1), 1.0).mean())


def _clip_permutation(pred, gt):
    P = len(gt)
    return max(itertools.permutations(range(P)), key=lambda pm: sum(_iou(pred[pm[p]], gt[p]) for p in range(P)))


def _best_fixed_assignment(pred, gt):
    """Per-person IoU under the best *clip-level* permutation (identity swaps mid-clip are penalised)."""
    best = _clip_permutation(pred, gt)
    return [_iou(pred[best[p]], gt[p]) for p in range(len(gt))]


def _identity_kept(pred, gt):
    """Fraction of frames (both people visible and found) whose own best permutation is the clip's."""
    clip_pm = _clip_permutation(pred, gt)
    agree = []
    for t in range(gt.shape[1]):
        if not (gt[:, t].any((1, 2)).all() and pred[:, t].any((1, 2)).all()):
            continue
        pm = _clip_permutation(pred[:, t:t + 1], gt[:, t:t + 1])
        scores = [sum(_iou(pred[q[p], t:t + 1], gt[p, t:t + 1]) for p in range(len(gt)))
                  for q in (pm, clip_pm)]
        agree.append(scores[1] >= scores[0] - 1e-9)   # ties (e.g. both IoU 0) count as kept
    return float(np.mean(agree)) if agree else 1.0


def test_tracker_keeps_identities_through_contact():
    from hhir_ov_hhir.tracking import track_boxes
    left, right = np.array([[10, 10, 30, 60]], np.float32), np.array([[50, 10, 70, 60]], np.float32)
    dets = [np.concatenate([right, left]),                 # unordered: identities are left-to-right
            np.concatenate([left + [4, 0, 4, 0], right - [4, 0, 4, 0]]),
            np.array([[14, 10, 66, 60]], np.float32),      # one merged box during contact
            np.concatenate([right - [4, 0, 4, 0], left + [4, 0, 4, 0]])]
    tr = track_boxes(dets, 2)
    assert tr.shape == (2, 4, 4)
    assert (tr[0, :, 0] < tr[1, :, 0]).all(), "person 1 stays the left one"
    np.testing.assert_allclose(tr[:, 2], tr[:, 1])     # merged box given to nobody


def test_split_by_colour_in_overlap():
    from hhir_ov_hhir.tracking import assign_identity_pixels
    frame = np.zeros((10, 10, 3), np.uint8)
    frame[:, :5] = (255, 0, 0)
    frame[:, 5:] = (0, 0, 255)
    boxes = np.array([[0, 0, 8, 10], [2, 0, 10, 10]], np.float32)
    m = assign_identity_pixels(np.ones((10, 10), bool), boxes, frame,
                               [np.array([[255, 0, 0]], np.float32), np.array([[0, 0, 255]], np.float32)])
    assert not (m[0] & m[1]).any()
    assert m[0][:, :5].all() and m[1][:, 5:].all()


def test_blob_mode_on_generated_clip():
    from hhir_ov_hhir.segmenters import OpenCVPersonSegmenter, synthetic_two_person_clip
    clip, gt = synthetic_two_person_clip(T=12, size=96)
    seg = OpenCVPersonSegmenter.tiny()
    out = seg.segment(clip, 2)
    seg.check_output(out, (clip,), {})
    ious = _best_fixed_assignment(out.masks, gt)
    assert min(ious) >= 0.5, ious


@pytest.mark.slow
def test_synthetic_rendered_two_person_iou():
    """Issue target: mean mask IoU >= 0.5 per person on rendered two-person clips, identities kept.

    First 24 two-person clips of the synthetic validation split; figures in docs/ov_hhir.md.
    """
    import cv2

    from hhir_core.structures import VideoClip
    from hhir_ov_hhir.segmenters import OpenCVPersonSegmenter
    root = ROOT / "data" / "synthetic_mini"
    if not (root / "hhirchat_val.json").is_file():
        pytest.skip("synthetic_mini not generated (run any *_mini config or tools/data/make_synthetic.py)")
    val = json.loads((root / "hhirchat_val.json").read_text())
    ious, kept = [], []
    for e in val:
        gt = np.load(root / e["mask"])["masks"]
        if gt.shape[0] != 2:
            continue
        cap = cv2.VideoCapture(str(root / e["video"]))
        fr = []
        while True:
            ok, f = cap.read()
            if not ok:
                break
            fr.append(f[..., ::-1])
        out = OpenCVPersonSegmenter().segment(VideoClip(np.stack(fr), 30.0, e["video"]), 2)
        ious.append(_best_fixed_assignment(out.masks, gt))
        kept.append(_identity_kept(out.masks, gt))
        if len(ious) == 24:
            break
    assert len(ious) == 24, f"only {len(ious)} two-person clips in {root}"
    mean = np.mean(ious, 0)
    print("synthetic two-person mean IoU per person:", mean.round(3), "identity kept:", np.round(np.mean(kept), 3))
    assert mean.min() >= 0.5, mean                      # measured 0.75 / 0.67 (docs/ov_hhir.md)
    assert min(kept) >= 0.9, kept                       # no mid-clip identity swaps


@pytest.mark.slow
@pytest.mark.realdata
def test_real_clip_two_person_tracks(tmp_path):
    video = FIXTURES / "video" / "ntu_two_person_hug.avi"
    if not video.is_file():
        pytest.skip(f"fixture {video} absent")
    from hhir_ov_hhir.branches import branch_frames, read_video
    from hhir_ov_hhir.segmenters import OpenCVPersonSegmenter
    clip = read_video(video)
    tracks = OpenCVPersonSegmenter().segment(clip, 2)
    m = tracks.masks
    assert m.shape[:2] == (2, len(clip.frames))
    area = m.sum((2, 3))
    nonempty = (area > 0.005 * m.shape[2] * m.shape[3]).all(0)
    overlap = (m[0] & m[1]).sum((1, 2)) / np.maximum(np.minimum(area[0], area[1]), 1)
    assert nonempty.mean() >= 0.8, "two non-empty person masks on most frames"
    assert (overlap[nonempty] < 0.1).mean() >= 0.8, "person masks mostly disjoint"
    # person 1 is the left person throughout (identities stable)
    cx = np.nanmean(tracks.boxes[:, :, [0, 2]], -1)
    assert (cx[0] < cx[1]).mean() >= 0.9
    br = branch_frames(clip, tracks)
    assert br["bg"][~m.any(0)].any() and not br["bg"][m.any(0)].any()
