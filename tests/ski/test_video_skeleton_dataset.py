"""VideoSkeletonDataset on a small NTU-format pickle with real encoded mp4 clips."""
import pickle

import numpy as np
import pytest
import torch

from hhir_core.errors import DataError


def _write_set(root, n=6, t=20, size=24):
    import cv2

    (root / "videos").mkdir()
    annos, names = [], []
    for i in range(n):
        fd = f"S001C001P00{i % 3 + 1}R001A{(i % 3) + 1:03d}"
        fd = fd + f"_{i}"
        label = i % 3
        kp = np.random.default_rng(i).normal(size=(1, t, 25, 3)).astype(np.float32)
        annos.append(dict(frame_dir=fd, label=label, keypoint=kp, total_frames=t))
        names.append(fd)
        vw = cv2.VideoWriter(str(root / "videos" / f"{fd}.mp4"), cv2.VideoWriter_fourcc(*"mp4v"),
                             30, (size, size))
        for f in range(t):  # brightness encodes the frame index (red channel)
            img = np.zeros((size, size, 3), np.uint8)
            img[..., 2] = 10 * f
            vw.write(img)
        vw.release()
    data = dict(split=dict(xsub_train=names[:4], xsub_val=names[4:]), annotations=annos)
    with open(root / "ntu3d.pkl", "wb") as f:
        pickle.dump(data, f)
    return root / "ntu3d.pkl"


def test_pairs_video_and_skeleton(tmp_path):
    from hhir_core.data.video_skeleton import VideoSkeletonDataset

    ann = _write_set(tmp_path)
    pipe = [dict(type="UniformSampleFrames", clip_len=8, test_mode=True),
            dict(type="PackSkeletonInputs")]
    ds = VideoSkeletonDataset(ann_file=str(ann), split="xsub_train", classes=[2, 0],
                              pipeline=pipe, packed=False, num_frames=4, frame_size=16,
                              mean=(0, 0, 0), std=(1, 1, 1), test_mode=True)
    assert sorted(ds.labels.tolist()) == [0, 1, 1]  # class 2 -> 0, class 0 -> 1, class 1 dropped
    s = ds[0]
    assert s["imgs"].shape == (4, 3, 16, 16) and s["imgs"].dtype == torch.float32
    assert s["keypoint"].shape[1:] == (8, 25, 3)
    red = s["imgs"][:, 0].mean(dim=(1, 2))  # RGB order: red is channel 0
    assert torch.all(red[1:] > red[:-1]), "frames are sampled in temporal order"
    assert s["imgs"][:, 2].abs().max() < 0.05
    video_only = VideoSkeletonDataset(ann_file=str(ann), split="xsub_val", packed=False,
                                      pipeline=pipe, num_frames=3, with_skeleton=False)
    v = video_only[0]
    assert "keypoint" not in v and v["imgs"].shape == (3, 3, 24, 24)


def test_missing_video_folder_is_a_clear_error(tmp_path):
    from hhir_core.data.video_skeleton import VideoSkeletonDataset

    ann = _write_set(tmp_path)
    with pytest.raises(DataError, match="render=True"):
        VideoSkeletonDataset(ann_file=str(ann), packed=False, video_dir="nope")
