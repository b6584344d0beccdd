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
    from hhir_ski.video_skeleton import VideoSkeletonDataset, frame_normalisation

    ann = _write_set(tmp_path)
    pipe = [dict(type="UniformSampleFrames", clip_len=8, test_mode=True),
            dict(type="PackSkeletonInputs")]
    ds = VideoSkeletonDataset(ann_file=str(ann), split="xsub_train", classes=[2, 0],
                              pipeline=pipe, packed=False, num_frames=4, frame_size=16,
                              test_mode=True)
    assert sorted(ds.labels.tolist()) == [0, 1, 1]  # class 2 -> 0, class 0 -> 1, class 1 dropped
    s = ds[0]
    assert s["imgs"].shape == (4, 3, 16, 16) and s["imgs"].dtype == torch.float32
    assert s["keypoint"].shape[1:] == (8, 25, 3)
    red = s["imgs"][:, 0].mean(dim=(1, 2))  # RGB order: red is channel 0
    assert torch.all(red[1:] > red[:-1]), "frames are sampled in temporal order"
    mean, std = frame_normalisation("rgb")
    torch.testing.assert_close(s["imgs"][:, 2], torch.full_like(s["imgs"][:, 2], -mean[2] / std[2]),
                               atol=0.05 / std[2], rtol=0)   # blue is (almost) 0: CLIP's normalisation
    video_only = VideoSkeletonDataset(ann_file=str(ann), split="xsub_val", packed=False,
                                      pipeline=pipe, num_frames=3, with_skeleton=False)
    v = video_only[0]
    assert "keypoint" not in v and v["imgs"].shape == (3, 3, 24, 24)


def test_missing_video_folder_is_a_clear_error(tmp_path):
    from hhir_ski.video_skeleton import VideoSkeletonDataset

    ann = _write_set(tmp_path)
    with pytest.raises(DataError, match="render=True"):
        VideoSkeletonDataset(ann_file=str(ann), packed=False, video_dir="nope")


def test_cached_dataset_gives_the_same_samples_and_decodes_once(tmp_path, monkeypatch):
    """The in-memory frame cache changes nothing but the decode count."""
    from hhir_ski import cached_video_dataset as cvd
    from hhir_ski.video_skeleton import VideoSkeletonDataset

    ann = _write_set(tmp_path)
    pipe = [dict(type="UniformSampleFrames", clip_len=8, test_mode=True),
            dict(type="PackSkeletonInputs")]
    kw = dict(ann_file=str(ann), split="xsub_train", pipeline=pipe, packed=False, num_frames=4,
              frame_size=16, test_mode=True)
    cvd.clear_frame_cache()
    calls = []
    real_read = cvd.read_video
    monkeypatch.setattr(cvd, "read_video", lambda p: calls.append(p) or real_read(p))
    plain, cached = VideoSkeletonDataset(**kw), cvd.CachedVideoSkeletonDataset(**kw)
    for _ in range(2):
        for i in range(len(plain)):
            assert torch.allclose(plain[i]["imgs"], cached[i]["imgs"], atol=1e-6)
    assert len(calls) == len(plain), "each clip is decoded exactly once"
    cvd.clear_frame_cache()
    with pytest.raises(DataError, match="frame_size"):
        cvd.CachedVideoSkeletonDataset(**dict(kw, frame_size=None))


def test_motion_maps_keep_what_moves_and_drop_the_static_scene():
    """A moving bright square on a coloured static background: only the square's
    pixels differ from the temporal median, whatever the background colour."""
    from hhir_ski.video_skeleton import motion_maps

    t, size = 9, 16
    video = np.empty((t, size, size, 3), np.uint8)
    video[:] = (30, 140, 200)                      # static, non-grey background
    for f in range(t):
        video[f, 4:8, f:f + 4] = 255               # a square moving right
    maps = motion_maps(video, np.array([0, 4, 8]))
    assert maps.shape == (3, size, size, 3) and maps.dtype == np.uint8
    assert (maps == maps[..., :1]).all(), "the map is replicated over the 3 channels"
    assert (maps[1][:4] == 0).all() and (maps[1][8:] == 0).all(), "static rows vanish"
    expected = np.rint(np.abs(255 - np.array([30, 140, 200])).sum() / 3)
    assert (maps[1, 4:8, 4:8, 0] == expected).all(), "the square at frame 4 is motion"
    recoloured = video.copy()
    recoloured[(video == (30, 140, 200)).all(-1)] = (90, 20, 60)
    assert (motion_maps(recoloured, np.array([4]))[0][:4] == 0).all(), \
        "a different background colour changes nothing off the mover"


def test_frame_mode_motion_in_both_datasets_and_bad_mode_is_named(tmp_path):
    from hhir_ski import cached_video_dataset as cvd
    from hhir_ski.video_skeleton import MOTION_MEAN, VideoSkeletonDataset

    ann = _write_set(tmp_path)
    pipe = [dict(type="UniformSampleFrames", clip_len=8, test_mode=True),
            dict(type="PackSkeletonInputs")]
    kw = dict(ann_file=str(ann), split="xsub_train", pipeline=pipe, packed=False, num_frames=4,
              frame_size=16, test_mode=True, frame_mode="motion")
    cvd.clear_frame_cache()
    plain, cached = VideoSkeletonDataset(**kw), cvd.CachedVideoSkeletonDataset(**kw)
    assert np.allclose(plain.mean, MOTION_MEAN), "motion maps get their own normalisation"
    a, b = plain[0]["imgs"], cached[0]["imgs"]
    assert a.shape == (4, 3, 16, 16)
    assert torch.allclose(a, b, atol=1e-6), "cached and plain motion maps agree"
    rgb = VideoSkeletonDataset(**dict(kw, frame_mode="rgb"))[0]["imgs"]
    assert not torch.allclose(a, rgb), "motion maps differ from RGB frames"
    # the test clips brighten uniformly over time: the motion is the distance to the median
    # frame, so it grows towards both ends of the clip
    energy = a[:, 0].mean(dim=(1, 2))
    assert energy[0] > energy[1] and energy[-1] > energy[-2]
    cvd.clear_frame_cache()
    with pytest.raises(DataError, match="frame_mode='depth'"):
        VideoSkeletonDataset(**dict(kw, frame_mode="depth"))
