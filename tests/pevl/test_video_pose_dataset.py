"""VideoPoseDataset on a tiny generated video + pose pickle."""
import pickle

import numpy as np
import pytest
import torch

from hhir_core.errors import DataError
from hhir_pevl.video_pose import VideoPoseDataset, segment_indices


def _write_video(path, t=20, h=48, w=64):
    import cv2
    vw = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10, (w, h))
    for i in range(t):
        f = np.zeros((h, w, 3), np.uint8)
        f[:, :, 2] = i * 10          # red channel encodes the frame index (BGR)
        vw.write(f)
    vw.release()


@pytest.fixture()
def tiny_set(tmp_path):
    vids = tmp_path / "videos"
    vids.mkdir()
    anns = []
    for i in range(2):
        fd = f"clip{i}"
        _write_video(vids / f"{fd}.mp4")
        kp = np.zeros((1, 20, 17, 2), np.float32)
        kp[..., 0], kp[..., 1] = 32.0, 24.0            # every joint at the image centre
        anns.append(dict(frame_dir=fd, label=3 + i, keypoint=kp, keypoint_score=np.ones((1, 20, 17), np.float32),
                         img_shape=(48, 64), total_frames=20))
    ann = tmp_path / "poses.pkl"
    with open(ann, "wb") as f:
        pickle.dump(dict(split=dict(train=["clip0", "clip1"]), annotations=anns), f)
    return ann, vids


def test_sample_shapes_alignment_and_crops(tiny_set):
    ann, vids = tiny_set
    ds = VideoPoseDataset(str(ann), str(vids), split="train", classes=[4, 3], num_persons=2,
                          num_video_frames=4, num_pose_frames=8, image_size=32, test_mode=True)
    s = ds[0]
    assert s["label"] == 1                                # remapped: 3 -> index 1
    assert s["imgs"].shape == (4, 3, 32, 32) and s["pose"].shape == (2, 8, 17, 3)
    assert s["video_keypoint"].shape == (2, 4, 17, 3)
    # centre of a 64x48 frame scaled to short side 37 (32*256/224) then centre-cropped
    sc = round(32 * 256 / 224) / 48
    assert torch.allclose(s["video_keypoint"][0, 0, 0, :2],
                          torch.tensor([32 * sc - (round(64 * sc) - 32) // 2, 24 * sc - (37 - 32) // 2]), atol=1e-4)
    assert (s["pose"][1] == 0).all()                      # padded person: zeros, score 0
    assert torch.allclose(s["pose"][0, :, :, :2], torch.zeros(8, 17, 2))   # centre -> (0, 0)
    # frames follow the sampled indices (red channel = 10 * index)
    idx = segment_indices(20, 4, None)
    red = s["imgs"][:, 0].mean((1, 2)) * 0.26862954 + 0.48145466
    assert np.allclose(red.numpy() * 255, idx * 10, atol=6)   # mp4v shifts colours slightly
    three = VideoPoseDataset(str(ann), str(vids), num_video_frames=4, num_pose_frames=8,
                             image_size=32, num_crops=3, test_mode=True)[0]
    assert three["imgs"].shape == (3, 4, 3, 32, 32) and three["video_keypoint"].shape == (3, 1, 4, 17, 3)
    train = VideoPoseDataset(str(ann), str(vids), num_video_frames=4, num_pose_frames=8, image_size=32)[1]
    assert train["imgs"].shape == (4, 3, 32, 32)


def test_missing_data_is_a_clear_error(tmp_path, tiny_set):
    ann, vids = tiny_set
    with pytest.raises(DataError, match="run configs/x_mini.py"):
        VideoPoseDataset(str(tmp_path / "nope.pkl"), str(vids), missing_hint="run configs/x_mini.py")
    with pytest.raises(DataError, match="13"):
        VideoPoseDataset(str(ann), str(vids), layout="toyota")[0]
    with pytest.raises(DataError, match="split"):
        VideoPoseDataset(str(ann), str(vids), split="val")
