"""Skeleton transforms: maths checked against hand computations and mmaction2."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from hhir_core.data.transforms import (
    BONES,
    NormalizeSkeleton2D,
    NormalizeSkeleton3D,
    PackSkeletonInputs,
    PadPersons,
    RandomFlip,
    RandomRotation,
    SkeletonFeatures,
    UniformSampleFrames,
)
from hhir_core.errors import DataError
from hhir_core.registry import resolve

torch.set_num_threads(1)


def body(t: int = 30, m: int = 1, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(m, t, 25, 3)) * 0.3 + np.array([0.5, 1.0, 3.0])).astype(np.float32)


def test_registered() -> None:
    for name in ("NormalizeSkeleton3D", "NormalizeSkeleton2D", "UniformSampleFrames",
                 "RandomRotation", "PadPersons", "SkeletonFeatures",
                 "PackSkeletonInputs"):
        assert callable(resolve("transform", name))


def test_normalize3d_centre_align_scale() -> None:
    kp = body()
    out = NormalizeSkeleton3D()(dict(keypoint=kp.copy(), total_frames=30))["keypoint"]
    np.testing.assert_allclose(out[0, 0, 0], 0, atol=1e-6)  # spine base at the origin
    shoulders = out[0, 0, 8] - out[0, 0, 4]
    np.testing.assert_allclose(shoulders[1:], 0, atol=1e-5)  # shoulders along +X
    assert shoulders[0] > 0
    np.testing.assert_allclose(np.linalg.norm(out[0, 0, 20] - out[0, 0, 0]), 1.0, rtol=1e-5)
    # distances inside a frame are preserved up to the global scale
    s = np.linalg.norm(kp[0, 0, 20] - kp[0, 0, 0])
    np.testing.assert_allclose(np.linalg.norm(out[0, 5, 3] - out[0, 5, 7]),
                               np.linalg.norm(kp[0, 5, 3] - kp[0, 5, 7]) / s, rtol=1e-4)


def test_normalize3d_matches_mmaction_prenormalize() -> None:
    pytest.importorskip("mmaction")
    from hhir_core.compat import import_mmaction_models

    import_mmaction_models()
    from mmaction.datasets.transforms import PreNormalize3D

    kp = body(m=2, seed=3)
    kp[1, :4] = 0  # second person absent in the first frames
    ref = PreNormalize3D()(dict(keypoint=kp.copy(), total_frames=30))["keypoint"]
    ours = NormalizeSkeleton3D(center_joint=1, scale=False)(
        dict(keypoint=kp.copy(), total_frames=30))["keypoint"]
    np.testing.assert_allclose(ours, ref, atol=1e-4)


def test_normalize3d_drops_empty_frames_and_rejects_2d() -> None:
    kp = body(t=10)
    kp[:, 7:] = 0
    out = NormalizeSkeleton3D()(dict(keypoint=kp, total_frames=10))
    assert out["keypoint"].shape[1] == 7 and out["total_frames"] == 7
    with pytest.raises(DataError, match="3-D"):
        NormalizeSkeleton3D()(dict(keypoint=np.ones((1, 5, 25, 2), np.float32)))


def test_normalize2d() -> None:
    kp = np.array([[[[0, 0], [112, 56]]]], np.float32)
    out = NormalizeSkeleton2D()(dict(keypoint=kp, img_shape=(56, 112)))["keypoint"]
    np.testing.assert_allclose(out[0, 0], [[-1, -1], [1, 1]])


@pytest.mark.parametrize("n", [5, 100, 150, 400])
def test_uniform_sample_train_and_test(n: int) -> None:
    kp = np.arange(n, dtype=np.float32)[None, :, None, None] * np.ones((1, n, 25, 3), np.float32)
    train = UniformSampleFrames(clip_len=100)
    out = train(dict(keypoint=kp.copy(), total_frames=n))
    assert out["keypoint"].shape == (1, 100, 25, 3)
    inds = out["frame_inds"]
    assert inds.min() >= 0 and inds.max() < n
    np.testing.assert_array_equal(out["keypoint"][0, :, 0, 0], inds)
    if n >= 100:  # one frame per segment, increasing
        assert np.all(np.diff(inds) > 0)
    test = UniformSampleFrames(clip_len=100, num_clips=2, test_mode=True)
    a = test(dict(keypoint=kp.copy(), total_frames=n))["frame_inds"]
    b = test(dict(keypoint=kp.copy(), total_frames=n))["frame_inds"]
    np.testing.assert_array_equal(a, b)  # test mode is deterministic
    assert len(a) == 200


def test_uniform_sample_train_is_random() -> None:
    s = UniformSampleFrames(clip_len=10)
    draws = {tuple(s.sample_indices(200)) for _ in range(5)}
    assert len(draws) > 1


def test_random_rotation_preserves_lengths_and_zeros() -> None:
    kp = body(m=2)
    kp[1] = 0
    np.random.seed(0)
    out = RandomRotation(max_angle=30)(dict(keypoint=kp.copy()))["keypoint"]
    assert not np.allclose(out, kp)
    np.testing.assert_allclose(np.linalg.norm(out[0], axis=-1), np.linalg.norm(kp[0], axis=-1),
                               rtol=1e-5)
    assert not out[1].any()
    same = RandomRotation(max_angle=30, prob=0.0)(dict(keypoint=kp.copy()))["keypoint"]
    np.testing.assert_array_equal(same, kp)
    kp2 = np.random.rand(1, 4, 17, 2).astype(np.float32)
    out2 = RandomRotation(max_angle=45)(dict(keypoint=kp2.copy()))["keypoint"]
    np.testing.assert_allclose(np.linalg.norm(out2, axis=-1), np.linalg.norm(kp2, axis=-1),
                               rtol=1e-5)


def test_random_flip_mirrors_and_swaps_sides() -> None:
    """A raised right hand becomes a raised left hand on the other side of the body."""
    kp = body(m=2)
    kp[1] = 0                                           # absent second person
    kp[0, :, 11] = (0.3, 0.0, 1.5)                      # right hand up, on the right (+X)
    kp[0, :, 7] = (-0.3, 0.0, 0.2)                      # left hand down, on the left
    out = RandomFlip(prob=1.0)(dict(keypoint=kp.copy()))["keypoint"]
    np.testing.assert_allclose(out[0, :, 7], np.broadcast_to((-0.3, 0.0, 1.5), (30, 3)))
    np.testing.assert_allclose(out[0, :, 11], np.broadcast_to((0.3, 0.0, 0.2), (30, 3)))
    np.testing.assert_allclose(out[0, :, 0, 0], -kp[0, :, 0, 0])   # spine joints: X negated
    assert not out[1].any(), "absent persons stay zero"
    twice = RandomFlip(prob=1.0)(dict(keypoint=out.copy()))["keypoint"]
    np.testing.assert_allclose(twice, kp, atol=1e-6)
    never = RandomFlip(prob=0.0)(dict(keypoint=kp.copy()))["keypoint"]
    np.testing.assert_array_equal(never, kp)
    kp2 = np.random.rand(1, 4, 17, 2).astype(np.float32) * 2 - 1   # normalised 2-D
    scores = np.arange(17, dtype=np.float32)[None, None].repeat(4, 1)
    r = RandomFlip(prob=1.0, layout="coco")(dict(keypoint=kp2.copy(), keypoint_score=scores))
    np.testing.assert_allclose(r["keypoint"][0, :, 5, 0], -kp2[0, :, 6, 0], rtol=1e-5)
    assert r["keypoint_score"][0, 0, 5] == 6, "scores follow their joints"
    with pytest.raises(DataError, match="expects 25 joints"):
        RandomFlip(prob=1.0)(dict(keypoint=kp2, frame_dir="x"))
    with pytest.raises(DataError, match="unknown layout"):
        RandomFlip(layout="smpl")


def test_pad_persons() -> None:
    kp = body(m=1)
    out = PadPersons(2)(dict(keypoint=kp, keypoint_score=np.ones((1, 30, 25), np.float32)))
    assert out["keypoint"].shape[0] == 2 and not out["keypoint"][1].any()
    assert out["keypoint_score"].shape == (2, 30, 25)
    loop = PadPersons(2, mode="loop")(dict(keypoint=kp))["keypoint"]
    np.testing.assert_array_equal(loop[1], kp[0])
    assert PadPersons(1)(dict(keypoint=body(m=2)))["keypoint"].shape[0] == 1


def test_skeleton_features_match_definitions() -> None:
    kp = body(t=6)
    out = SkeletonFeatures(feats=["j", "b", "jm", "bm"])(dict(keypoint=kp.copy()))["keypoint"]
    assert out.shape == (1, 6, 25, 12)
    j, b, jm, bm = out[..., :3], out[..., 3:6], out[..., 6:9], out[..., 9:]
    np.testing.assert_allclose(j, kp)
    np.testing.assert_allclose(b[0, 2, 5], kp[0, 2, 5] - kp[0, 2, 4])  # elbow - shoulder
    np.testing.assert_allclose(b[0, :, 20], 0)  # root bone
    np.testing.assert_allclose(jm[0, 2], kp[0, 3] - kp[0, 2], atol=1e-6)
    np.testing.assert_allclose(jm[0, -1], 0)
    np.testing.assert_allclose(bm[0, 1], b[0, 2] - b[0, 1], atol=1e-6)
    with pytest.raises(DataError):
        SkeletonFeatures(feats=["x"])


def test_skeleton_features_match_mmaction() -> None:
    pytest.importorskip("mmaction")
    from hhir_core.compat import import_mmaction_models

    import_mmaction_models()
    from mmaction.datasets.transforms import GenSkeFeat

    kp = body(t=6, m=2)
    ref = GenSkeFeat(dataset="nturgb+d", feats=["j", "b", "jm", "bm"])(
        dict(keypoint=kp.copy()))["keypoint"]
    ours = SkeletonFeatures(feats=["j", "b", "jm", "bm"])(dict(keypoint=kp.copy()))["keypoint"]
    np.testing.assert_allclose(ours, ref, atol=1e-6)


def test_skeleton_features_2d_score_channel() -> None:
    kp = np.random.rand(1, 4, 17, 2).astype(np.float32)
    sc = np.random.rand(1, 4, 17).astype(np.float32)
    out = SkeletonFeatures(feats=["j"], layout="coco")(dict(keypoint=kp, keypoint_score=sc))
    assert out["keypoint"].shape == (1, 4, 17, 3)
    np.testing.assert_allclose(out["keypoint"][..., 2], sc)
    assert len(BONES["coco"]) == 17


def test_pack() -> None:
    kp = body(t=20, m=2)
    res = dict(keypoint=kp, label=7, frame_dir="S001C001P001R001A008", img_shape=(1, 1))
    out = PackSkeletonInputs()(dict(res))
    assert set(out) == {"keypoint", "label", "frame_dir"}
    assert out["keypoint"].dtype == torch.float32 and tuple(out["keypoint"].shape) == (2, 20, 25, 3)
    multi = PackSkeletonInputs()(dict(res, num_clips=2))
    assert tuple(multi["keypoint"].shape) == (2, 2, 10, 25, 3)
    torch.testing.assert_close(multi["keypoint"][1, 0], torch.from_numpy(kp[0, 10:]))
    with pytest.raises(DataError, match="non-finite"):
        PackSkeletonInputs()(dict(res, keypoint=kp * np.nan))
