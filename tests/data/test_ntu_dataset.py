"""NTUSkeletonDataset: pickle vs packed reading, splits, classes, 2-D, bad-data policy."""
from __future__ import annotations

import logging
import pickle
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from hhir_core.data.bad_samples import BadSampleError, sample_problem
from hhir_core.data.ntu import (
    NTUSkeleton2DDataset,
    NTUSkeletonDataset,
    PackedAnnotations,
    load_annotation_file,
    packed_dir_for,
)
from hhir_core.errors import DataError, HHIRError

torch.set_num_threads(1)


def make_anno(i: int, label: int, m: int = 1, t: int = 20, v: int = 25, c: int = 3,
              dtype=np.float32, rng=None, two_d: bool = False) -> dict:
    rng = rng or np.random.default_rng(i)
    a = dict(frame_dir=f"S001C00{1 + i % 3}P{1 + i % 4:03d}R001A{label + 1:03d}_{i}",
             label=label, keypoint=(rng.normal(size=(m, t, v, c)) + 0.5).astype(dtype),
             total_frames=t)
    if two_d:
        a["keypoint_score"] = rng.uniform(size=(m, t, v)).astype(dtype)
        a["img_shape"] = (112, 112)
        a["original_shape"] = (112, 112)
    return a


def write_pkl(path: Path, annos: list, split: dict | None = None) -> Path:
    names = [a["frame_dir"] for a in annos if isinstance(a, dict) and "frame_dir" in a]
    split = split or {"xsub_train": names[::2], "xsub_val": names[1::2]}
    with open(path, "wb") as f:
        pickle.dump({"split": split, "annotations": annos}, f)
    return path


@pytest.fixture
def small_pkl(tmp_path: Path) -> Path:
    annos = [make_anno(i, label=i % 4, m=1 + (i % 2), t=10 + i) for i in range(12)]
    return write_pkl(tmp_path / "ntu.pkl", annos)


def test_packed_equals_pickle(small_pkl: Path) -> None:
    raw = {a["frame_dir"]: a for a in load_annotation_file(small_pkl)["annotations"]}
    for split in ("xsub_train", "xsub_val", None):
        packed = NTUSkeletonDataset(str(small_pkl), split=split, packed=True)
        plain = NTUSkeletonDataset(str(small_pkl), split=split, packed=False)
        assert len(packed) == len(plain) == (6 if split else 12)
        got = {packed[i]["frame_dir"]: packed[i] for i in range(len(packed))}
        for i in range(len(plain)):
            b = plain[i]
            a = got[b["frame_dir"]]
            np.testing.assert_array_equal(a["keypoint"], b["keypoint"])
            np.testing.assert_array_equal(a["keypoint"], raw[b["frame_dir"]]["keypoint"])
            assert a["label"] == b["label"] == raw[b["frame_dir"]]["label"]
            assert a["total_frames"] == a["keypoint"].shape[1]


def test_packed_layout_and_cache_reuse(small_pkl: Path) -> None:
    d1 = packed_dir_for(small_pkl)
    assert (d1 / "keypoints.npy").is_file() and (d1 / "index.npy").is_file()
    assert d1.parent.parent == small_pkl.parent  # next to the pickle
    kp = np.load(d1 / "keypoints.npy", mmap_mode="r")
    assert isinstance(kp, np.memmap)
    assert kp.shape[0] == sum((1 + i % 2) * (10 + i) for i in range(12))  # M*T rows
    mtime = (d1 / "keypoints.npy").stat().st_mtime_ns
    assert packed_dir_for(small_pkl) == d1  # cache hit: not re-packed
    assert (d1 / "keypoints.npy").stat().st_mtime_ns == mtime
    # an edited pickle gets a new key
    annos = load_annotation_file(small_pkl)["annotations"][:5]
    time.sleep(0.01)
    write_pkl(small_pkl, annos)
    d2 = packed_dir_for(small_pkl)
    assert d2 != d1 and len(PackedAnnotations(d2)) == 5


def test_unwritable_dir_falls_back_to_cache(tmp_path: Path, small_pkl: Path, monkeypatch) -> None:
    # a plain file where the packed folder would go makes that location unwritable
    (small_pkl.parent / f".{small_pkl.name}.packed").write_text("not a folder")
    monkeypatch.setenv("HHIR_CACHE", str(tmp_path / "cache"))
    d = packed_dir_for(small_pkl)
    assert str(d).startswith(str(tmp_path / "cache"))
    assert len(NTUSkeletonDataset(str(small_pkl), split=None)) == 12


def test_sample_arrays_are_writable_copies(small_pkl: Path) -> None:
    ds = NTUSkeletonDataset(str(small_pkl), split=None)
    s = ds[0]
    s["keypoint"][:] = 0  # transforms may work in place
    assert ds[0]["keypoint"].any()


def test_float16_and_storage_dtype(tmp_path: Path) -> None:
    annos = [make_anno(i, label=i % 3, dtype=np.float16) for i in range(6)]
    pkl = write_pkl(tmp_path / "f16.pkl", annos)
    ds = NTUSkeletonDataset(str(pkl), split=None)
    assert ds._store.meta["dtype"] == "float16"
    sample = ds[0]
    assert sample["keypoint"].dtype == np.float32
    np.testing.assert_array_equal(sample["keypoint"], annos[0]["keypoint"].astype(np.float32))
    ds32 = NTUSkeletonDataset(str(pkl), split=None, dtype="float32")
    assert ds32._store.meta["dtype"] == "float32"


def test_classes_filter_and_remap(small_pkl: Path) -> None:
    ds = NTUSkeletonDataset(str(small_pkl), split=None, classes=[3, 1])
    assert len(ds) == 6
    labels = sorted({ds[i]["label"] for i in range(len(ds))})
    assert labels == [0, 1]
    for i in range(len(ds)):
        s = ds[i]
        orig = int(s["frame_dir"].split("A")[1][:3]) - 1
        assert s["label"] == {3: 0, 1: 1}[orig]
    assert ds.metainfo["label_ids"] == (3, 1)
    assert ds.metainfo["classes"][0] == "brushing hair"  # NTU label 3
    with pytest.raises(DataError, match="no sample"):
        NTUSkeletonDataset(str(small_pkl), split=None, classes=[50])


def test_zero_shot_class_spec(small_pkl: Path) -> None:
    ds = NTUSkeletonDataset(str(small_pkl), split=None, classes="seen:ntu60_55_5")
    assert len(ds) == 12 and ds.metainfo["label_ids"][:3] == (0, 1, 2)


def test_two_d_variant(tmp_path: Path) -> None:
    annos = [make_anno(i, label=i % 2, m=2, c=2, two_d=True) for i in range(4)]
    pkl = write_pkl(tmp_path / "ntu2d.pkl", annos)
    ds = NTUSkeleton2DDataset(str(pkl), split=None)
    s = ds[1]
    assert s["keypoint"].shape == (2, 20, 25, 2)
    assert s["keypoint_score"].shape == (2, 20, 25)
    np.testing.assert_allclose(s["keypoint_score"], annos[1]["keypoint_score"])
    assert s["img_shape"] == (112, 112) and s["original_shape"] == (112, 112)


def test_pipeline_from_registry(small_pkl: Path) -> None:
    pipeline = [dict(type="NormalizeSkeleton3D"), dict(type="UniformSampleFrames", clip_len=8),
                dict(type="PadPersons", num_person=2),
                dict(type="SkeletonFeatures", feats=["j", "b"]), dict(type="PackSkeletonInputs")]
    ds = NTUSkeletonDataset(str(small_pkl), split="xsub_train", pipeline=pipeline)
    s = ds[0]
    assert isinstance(s["keypoint"], torch.Tensor)
    assert tuple(s["keypoint"].shape) == (2, 8, 25, 6)
    assert isinstance(s["label"], int) and isinstance(s["frame_dir"], str)


def test_dataloader_two_workers_share_mmap(small_pkl: Path) -> None:
    from mmengine.dataset import default_collate

    pipeline = [dict(type="UniformSampleFrames", clip_len=8), dict(type="PadPersons"),
                dict(type="PackSkeletonInputs")]
    ds = NTUSkeletonDataset(str(small_pkl), split=None, pipeline=pipeline)
    state = ds.__getstate__()
    assert state["_store"]._arrays == {}  # pickling never copies the memory maps
    loader = torch.utils.data.DataLoader(ds, batch_size=4, num_workers=2,
                                         collate_fn=default_collate)
    batches = list(loader)
    assert sum(b["keypoint"].shape[0] for b in batches) == 12
    assert tuple(batches[0]["keypoint"].shape) == (4, 2, 8, 25, 3)
    assert batches[0]["label"].dtype == torch.int64


# ---------------------------------------------------------------- bad-data policy
def test_missing_file_is_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist.*mini"):
        NTUSkeletonDataset(str(tmp_path / "nope.pkl"))
    with pytest.raises(DataError, match="does not exist"):
        NTUSkeletonDataset(str(tmp_path / "nope.pkl"), packed=False)


def test_truncated_pickle_is_clear_error(small_pkl: Path, tmp_path: Path) -> None:
    bad = tmp_path / "trunc.pkl"
    bad.write_bytes(small_pkl.read_bytes()[:2000])
    for packed in (True, False):
        with pytest.raises(DataError, match="trunc.pkl.*truncated"):
            NTUSkeletonDataset(str(bad), packed=packed)


def test_not_an_annotation_file(tmp_path: Path) -> None:
    p = tmp_path / "x.pkl"
    p.write_bytes(pickle.dumps({"foo": 1}))
    with pytest.raises(DataError, match="'annotations'"):
        NTUSkeletonDataset(str(p))


def test_unknown_split(small_pkl: Path) -> None:
    with pytest.raises(DataError, match="xset_train.*available: xsub_train, xsub_val"):
        NTUSkeletonDataset(str(small_pkl), split="xset_train")


@pytest.fixture
def dirty_pkl(tmp_path: Path) -> Path:
    annos = [make_anno(i, label=i % 3) for i in range(8)]
    annos[1]["keypoint"] = annos[1]["keypoint"][:, :, :17]  # wrong joint count
    annos[2]["keypoint"][0, 3, 4, 1] = np.nan  # NaN
    annos[3]["keypoint"][0, 0, 0, 0] = np.inf  # inf
    annos[4]["keypoint"] = np.zeros((1, 0, 25, 3), np.float32)  # empty
    return write_pkl(tmp_path / "dirty.pkl", annos,
                     split={"all": [a["frame_dir"] for a in annos]})


@pytest.mark.parametrize("packed", [True, False])
def test_bad_samples_skipped_and_logged(dirty_pkl: Path, packed: bool, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="hhir.data"):
        ds = NTUSkeletonDataset(str(dirty_pkl), split="all", packed=packed)
    assert len(ds) == 4
    names = {ds[i]["frame_dir"] for i in range(len(ds))}
    assert not any(n.endswith(("_1", "_2", "_3", "_4")) for n in names)
    text = caplog.text
    for i, reason in ((1, "wrong joint count"), (2, "NaN/inf"), (3, "NaN/inf"), (4, "empty")):
        assert f"_{i}" in text, text
        assert reason in text


@pytest.mark.parametrize("packed", [True, False])
def test_bad_samples_raise_policy(dirty_pkl: Path, packed: bool) -> None:
    with pytest.raises(BadSampleError, match=r"S00\dC00\dP00\dR001A00\d_1.*wrong joint count"):
        NTUSkeletonDataset(str(dirty_pkl), split="all", packed=packed, on_bad_sample="raise")
    assert issubclass(BadSampleError, HHIRError)


def test_bad_policy_value(small_pkl: Path) -> None:
    with pytest.raises(DataError, match="on_bad_sample"):
        NTUSkeletonDataset(str(small_pkl), on_bad_sample="ignore")


def test_pipeline_failure_substitutes_next_sample(small_pkl: Path, caplog) -> None:
    """A sample that breaks in the pipeline never stops an epoch (skip policy)."""
    first = NTUSkeletonDataset(str(small_pkl), split=None)[0]["frame_dir"]

    def explode_on_first(results):
        if results["frame_dir"] == first:
            results["keypoint"] = results["keypoint"] * np.nan
        return results

    pipeline = [explode_on_first, dict(type="PackSkeletonInputs")]
    ds = NTUSkeletonDataset(str(small_pkl), split=None, pipeline=pipeline)
    with caplog.at_level(logging.WARNING, logger="hhir.data"):
        out = [ds[i]["frame_dir"] for i in range(len(ds))]
    assert first not in out and len(out) == 12
    assert first in caplog.text
    strict = NTUSkeletonDataset(str(small_pkl), split=None, pipeline=pipeline,
                                on_bad_sample="raise")
    with pytest.raises(BadSampleError, match=first):
        strict[0]


def test_all_bad_file(tmp_path: Path) -> None:
    annos = [make_anno(0, 0, v=17)]
    pkl = write_pkl(tmp_path / "allbad.pkl", annos)
    with pytest.raises(DataError, match="no usable sample.*wrong joint count"):
        NTUSkeletonDataset(str(pkl), split=None)


def test_sample_problem_checks() -> None:
    good = make_anno(0, 1)
    assert sample_problem(good) is None
    assert "label" in sample_problem(dict(good, label=None))
    assert "label" in sample_problem(dict(good, label=-1))
    assert "[M,T,V,C]" in sample_problem(dict(good, keypoint=np.zeros((3, 25, 3))))
    assert "all keypoints are zero" in sample_problem(dict(good, keypoint=np.zeros((1, 4, 25, 3),
                                                                                   np.float32)))
    assert sample_problem(dict(good, keypoint=good["keypoint"][:, :, :17]), num_joints=None) is None


def test_reads_the_synthetic_benchmark_through_data_root(tmp_path: Path) -> None:
    from hhir_synthetic.generator import ensure_synthetic

    syn = dict(data_root=str(ensure_synthetic(tmp_path / "syn", num_samples=60, seed=0)), ann_file="ntu3d.pkl")
    ds = NTUSkeletonDataset(split="xsub_train", **syn)
    assert (tmp_path / "syn" / "ntu3d.pkl").is_file() and len(ds) > 0
    s = ds[0]
    assert s["keypoint"].shape[2:] == (25, 3) and s["keypoint"].shape[0] in (1, 2)
    ds2 = NTUSkeleton2DDataset(split="xsub_val", **dict(syn, ann_file="ntu2d.pkl"))
    s2 = ds2[0]
    assert s2["keypoint"].shape[-1] == 2 and s2["keypoint_score"].shape == s2["keypoint"].shape[:3]
    assert "img_shape" in s2
    import json
    ids = [c["label"] for c in json.loads((tmp_path / "syn" / "classes.json").read_text())]
    sub = NTUSkeletonDataset(split=None, classes=ids[:2], **syn)
    assert set(sub.labels.tolist()) <= {0, 1}
