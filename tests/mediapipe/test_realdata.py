"""MediaPipe segmenter + pose source on the real NTU hug clip (fixtures; skips without them).

Checks what a user needs from a front end on real footage: both people found in nearly
every frame, each skeleton inside its own mask, and identities that do not swap while
the two people hug (checked by the colours of their clothes, which the method never sees).
"""
from __future__ import annotations

import os

import numpy as np
import pytest

pytest.importorskip("mediapipe")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
pytestmark = pytest.mark.realdata

#: body joints checked against the masks (BlazePose indices: shoulders, elbows, hips, knees, ankles)
BODY = [11, 12, 13, 14, 23, 24, 25, 26, 27, 28]


@pytest.fixture(scope="module")
def hug(fixtures_dir):
    from hhir_mediapipe.pose_source import MediaPipePoseSource, read_clip
    from hhir_mediapipe.segmenter import MediaPipePersonSegmenter

    video = fixtures_dir / "video" / "ntu_two_person_hug.avi"
    if not video.is_file():
        pytest.skip(f"fixture clip absent: {video}")
    clip = read_clip(dict(filename=str(video)))
    seg = MediaPipePersonSegmenter()
    tracks = seg.segment(clip, num_persons=2)
    sample = dict(clip=clip, boxes=tracks.boxes, masks=tracks.masks, pose_tracks=seg.last_poses)
    poses = {layout: MediaPipePoseSource(layout=layout).poses(sample)
             for layout in ("mediapipe33", "coco", "nturgb+d")}
    return clip, tracks, poses


def test_two_tracks_in_nearly_every_frame(hug):
    clip, tracks, _ = hug
    T = len(clip.frames)
    assert tracks.masks.shape[:2] == (2, T)
    both = tracks.masks.reshape(2, T, -1).any(-1).all(0)
    assert both.mean() >= 0.9, both.mean()
    # the masks are people-sized, and one person's mask is never the whole foreground
    area = tracks.masks.reshape(2, T, -1).mean(-1)[:, both]
    assert (area > 0.01).mean() > 0.9 and (area < 0.2).all()
    assert not (tracks.masks[0] & tracks.masks[1]).any()


def test_skeletons_fall_inside_their_own_masks(hug):
    clip, tracks, poses = hug
    seq = poses["mediapipe33"]
    T, H, W = np.asarray(clip.frames).shape[:3]
    own, other = [], []
    for t in range(T):
        for p in range(2):
            ok = seq.score[p, t, BODY] >= 0.5
            if ok.sum() < 4:
                continue
            xy = seq.keypoint[p, t, BODY][ok].round().astype(int)
            x, y = np.clip(xy[:, 0], 0, W - 1), np.clip(xy[:, 1], 0, H - 1)
            own.append(tracks.masks[p, t, y, x].mean())
            other.append(tracks.masks[1 - p, t, y, x].mean())
    assert len(own) >= 0.9 * 2 * T
    assert np.median(own) >= 0.8 and np.mean(own) > 2 * np.mean(other), (np.median(own), np.mean(other))


def test_identities_do_not_swap_during_the_hug(hug):
    clip, tracks, _ = hug
    frames = np.asarray(clip.frames).astype(np.float32)
    T = len(frames)
    colour = np.full((2, T, 3), np.nan)
    for p in range(2):
        for t in range(T):
            if tracks.masks[p, t].sum() > 500:
                colour[p, t] = frames[t][tracks.masks[p, t]].mean(0)
    ref = np.nanmedian(colour, axis=1)  # each person's typical clothing colour
    assert np.linalg.norm(ref[0] - ref[1]) > 20  # grey shirt vs dark jacket: separable
    both = np.isfinite(colour).all(-1).all(0)
    d_own = np.linalg.norm(colour - ref[:, None], axis=-1)
    d_swap = np.linalg.norm(colour - ref[::-1][:, None], axis=-1)
    kept = (d_own < d_swap).all(0)[both]
    assert kept.mean() >= 0.95, kept.mean()


def test_layouts_on_real_poses(hug):
    clip, _, poses = hug
    T = len(clip.frames)
    assert poses["coco"].keypoint.shape == (2, T, 17, 2)
    assert np.allclose(poses["coco"].keypoint[:, :, 5], poses["mediapipe33"].keypoint[:, :, 11])
    ntu = poses["nturgb+d"]
    assert ntu.keypoint.shape == (2, T, 25, 3) and ntu.layout == "nturgb+d"
    present = ntu.score.max(-1) > 0
    kp = ntu.keypoint[present]
    height = kp[:, 3, 1] - np.minimum(kp[:, 14, 1], kp[:, 18, 1])  # head above the ankles (y up)
    assert 1.0 < np.median(height) < 2.1, np.median(height)
    depth = kp[:, 0, 2]
    assert 1.0 < np.median(depth) < 8.0, np.median(depth)
    # the two people stand side by side: their spine bases are apart but close (< 1.5 m)
    both = present.all(0)
    gap = np.linalg.norm(ntu.keypoint[0, both, 0] - ntu.keypoint[1, both, 0], axis=-1)
    assert 0.1 < np.median(gap) < 1.5, np.median(gap)
