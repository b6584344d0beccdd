"""Tests of the synthetic benchmark generator (the hhir_synthetic plugin)."""
from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import numpy as np
import pytest

from hhir_core.errors import ConfigError, HHIRError
from hhir_synthetic import generator as syn

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(os.environ.get("HHIR_FIXTURES", REPO / ".." / "shared" / "fixtures"))


def _load(d: Path, name: str) -> dict:
    with open(d / name, "rb") as f:
        return pickle.load(f)


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    return syn.ensure_synthetic(tmp_path_factory.mktemp("syn") / "a", num_samples=88, seed=3, workers=1)


def test_contract_shapes_and_dtypes(small):
    a3, a2 = _load(small, "ntu3d.pkl"), _load(small, "ntu2d.pkl")
    assert set(a3["split"]) >= {"xsub_train", "xsub_val", "xview_train", "xview_val"}
    assert len(a3["annotations"]) == len(a2["annotations"]) == 88
    table = syn.CLASS_TABLE
    for x, y in zip(a3["annotations"], a2["annotations"]):
        assert x["frame_dir"] == y["frame_dir"] and x["label"] == y["label"]
        M, T = x["keypoint"].shape[:2]
        assert M == (2 if table[x["label"]].two_person else 1)
        assert x["keypoint"].shape == (M, T, 25, 3) and x["keypoint"].dtype == np.float32
        assert x["total_frames"] == T == y["total_frames"] and 40 <= T <= 72
        assert y["keypoint"].shape == (M, T, 25, 2) and y["keypoint"].dtype == np.float32
        assert y["keypoint_score"].shape == (M, T, 25) and y["keypoint_score"].dtype == np.float32
        assert tuple(y["img_shape"]) == tuple(y["original_shape"]) == (112, 112)
        assert np.isfinite(x["keypoint"]).all()
        # camera space like Kinect: people 1..5 m in front of the sensor (dropped frames are zeros)
        z = x["keypoint"][..., 2]
        live = np.abs(x["keypoint"]).sum(-1) > 0
        assert (z[live] > 0.8).all() and (z[live] < 5.5).all()
        # 2-D projections inside the image, scores in [0, 1]
        assert (y["keypoint"] >= 0).all() and (y["keypoint"] <= 111).all()
        assert (y["keypoint_score"] >= 0).all() and (y["keypoint_score"] <= 1).all()
        # frame_dir in NTU form; A is label + 1
        fd = x["frame_dir"]
        assert len(fd) == 20 and fd[0] == "S" and fd[4] == "C" and fd[8] == "P" and fd[12] == "R" and fd[16] == "A"
        assert int(fd[17:]) == x["label"] + 1


def test_upright_and_plausible_bones(small):
    """Skeleton sanity: head above pelvis above feet (y up) in the standing classes, bone lengths stable."""
    a3 = _load(small, "ntu3d.pkl")
    for x in a3["annotations"]:
        if x["label"] not in (0, 9, 22, 30, 39, 43):
            continue
        k = x["keypoint"][0]
        live = np.abs(k).sum((1, 2)) > 0
        k = k[live]
        assert np.median(k[:, 3, 1] - k[:, 0, 1]) > 0.4          # head above base of spine
        assert np.median(k[:, 0, 1] - k[:, 15, 1]) > 0.5          # spine base above left foot
        thigh = np.linalg.norm(k[:, 12] - k[:, 13], axis=-1)
        assert 0.25 < np.median(thigh) < 0.55


def test_splits_disjoint_and_follow_protocols(small):
    a3 = _load(small, "ntu3d.pkl")
    sp = a3["split"]
    names = {x["frame_dir"] for x in a3["annotations"]}
    assert len(names) == 88  # unique frame_dirs
    for proto in ("xsub", "xview", "xset"):
        tr, va = set(sp[f"{proto}_train"]), set(sp[f"{proto}_val"])
        assert not tr & va and tr | va == names and tr and va
    subj = lambda fd: int(fd[9:12])  # noqa: E731
    cam = lambda fd: int(fd[5:8])  # noqa: E731
    assert all(subj(f) in syn.XSUB_TRAIN_SUBJECTS for f in sp["xsub_train"])
    assert all(subj(f) not in syn.XSUB_TRAIN_SUBJECTS for f in sp["xsub_val"])
    assert {cam(f) for f in sp["xview_train"]} <= {2, 3} and {cam(f) for f in sp["xview_val"]} == {1}
    # the second person of a two-person sample comes from the same xsub side
    for s in range(1, syn.NUM_SUBJECTS + 1):
        p = syn.partner_subject(s, 5)
        assert p != s and (p in syn.XSUB_TRAIN_SUBJECTS) == (s in syn.XSUB_TRAIN_SUBJECTS)


def test_classes_json_and_balance(small):
    classes = json.loads((small / "classes.json").read_text())
    assert [c["label"] for c in classes] == list(syn.DEFAULT_CLASSES)
    assert sum(c["two_person"] for c in classes) >= 8 and sum(not c["two_person"] for c in classes) >= 8
    labels = [x["label"] for x in _load(small, "ntu3d.pkl")["annotations"]]
    counts = np.bincount(labels, minlength=60)[list(syn.DEFAULT_CLASSES)]
    assert counts.min() == counts.max() == 4


def test_descriptions_cover_every_sample(small):
    desc = json.loads((small / "descriptions.json").read_text())
    a3 = _load(small, "ntu3d.pkl")
    assert set(desc) == {x["frame_dir"] for x in a3["annotations"]}
    assert all(1 <= len(v) <= 3 and all(len(t) > 15 for t in v) for v in desc.values())
    assert len({t for v in desc.values() for t in v}) > 150  # varied wording
    for x in a3["annotations"]:
        if syn.CLASS_TABLE[x["label"]].two_person:
            assert any(("other" in t) or ("left" in t) or ("right" in t) or ("in " in t) for t in desc[x["frame_dir"]])


def test_deterministic_and_worker_independent(tmp_path):
    a = syn.ensure_synthetic(tmp_path / "a", num_samples=30, seed=7, workers=1)
    b = syn.ensure_synthetic(tmp_path / "b", num_samples=30, seed=7, workers=2)
    c = syn.ensure_synthetic(tmp_path / "c", num_samples=30, seed=8, workers=1)
    for name in ("ntu3d.pkl", "ntu2d.pkl", "descriptions.json", "classes.json"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert (a / "ntu3d.pkl").read_bytes() != (c / "ntu3d.pkl").read_bytes()
    # a smaller set with the same seed is a prefix of a larger one
    d = syn.ensure_synthetic(tmp_path / "d", num_samples=12, seed=7, workers=1)
    big, small_ = _load(a, "ntu3d.pkl")["annotations"], _load(d, "ntu3d.pkl")["annotations"]
    for x, y in zip(small_, big):
        assert x["frame_dir"] == y["frame_dir"] and np.array_equal(x["keypoint"], y["keypoint"])


def test_idempotent_and_regenerates_on_change(tmp_path):
    out = syn.ensure_synthetic(tmp_path / "s", num_samples=12, seed=0)
    mtime = (out / "ntu3d.pkl").stat().st_mtime_ns
    syn.ensure_synthetic(tmp_path / "s", num_samples=12, seed=0)
    assert (out / "ntu3d.pkl").stat().st_mtime_ns == mtime
    syn.ensure_synthetic(tmp_path / "s", num_samples=12, seed=0, classes=[49, "hugging other person", "A058"])
    man = json.loads((out / "manifest.json").read_text())
    assert man["params"]["classes"] == [49, 54, 57]
    assert {x["label"] for x in _load(out, "ntu3d.pkl")["annotations"]} == {49, 54, 57}
    assert not list(out.glob(".tmp-synthetic-*"))


def _call(args):
    out, n = args
    from hhir_synthetic.generator import ensure_synthetic
    p = ensure_synthetic(out, num_samples=n, seed=1, workers=1)
    return json.loads((p / "manifest.json").read_text())["seconds"]


def test_concurrent_callers_generate_once(tmp_path):
    import multiprocessing as mp
    with mp.get_context("spawn").Pool(2) as pool:
        res = pool.map(_call, [(str(tmp_path / "x"), 40)] * 2)
    assert res[0] == res[1]  # the second caller reused the first caller's manifest
    assert len(_load(tmp_path / "x", "ntu3d.pkl")["annotations"]) == 40


def test_bad_parameters_raise_named_errors(tmp_path):
    with pytest.raises(ConfigError, match="classes"):
        syn.ensure_synthetic(tmp_path, num_samples=4, classes=["reading"])
    with pytest.raises(ConfigError, match="difficulty"):
        syn.ensure_synthetic(tmp_path, num_samples=4, difficulty=2.0)
    with pytest.raises(HHIRError, match="num_samples"):
        syn.ensure_synthetic(tmp_path, num_samples=0)


def _features(ann: list[dict]) -> np.ndarray:
    """Simple hand-made features: per-joint mean/std/range of pelvis-centred coordinates (+ #people)."""
    feats = []
    for x in ann:
        k = x["keypoint"]
        k = k - k[0, :, :1, :]                  # centre on person 1's pelvis per frame
        pad = np.zeros((2,) + k.shape[1:], np.float32)
        pad[: k.shape[0]] = k
        f = [pad.mean(1).ravel(), pad.std(1).ravel(), (pad.max(1) - pad.min(1)).ravel(), [k.shape[0]]]
        feats.append(np.concatenate(f))
    return np.asarray(feats, np.float64)


def _ridge_accuracy(d: Path) -> float:
    a3 = _load(d, "ntu3d.pkl")
    by = {x["frame_dir"]: x for x in a3["annotations"]}
    tr = [by[f] for f in a3["split"]["xsub_train"]]
    va = [by[f] for f in a3["split"]["xsub_val"]]
    Xtr, Xva = _features(tr), _features(va)
    mu, sd = Xtr.mean(0), Xtr.std(0) + 1e-6
    Xtr, Xva = (Xtr - mu) / sd, (Xva - mu) / sd
    labels = sorted({x["label"] for x in tr})
    Y = np.array([[x["label"] == c for c in labels] for x in tr], np.float64)
    W = np.linalg.solve(Xtr.T @ Xtr + 30.0 * np.eye(Xtr.shape[1]), Xtr.T @ Y)
    pred = np.array(labels)[(Xva @ W).argmax(1)]
    return float((pred == np.array([x["label"] for x in va])).mean())


def test_learnable_but_not_trivial(tmp_path):
    """A linear model on summary features beats chance (1/22) clearly but is far from perfect."""
    acc = _ridge_accuracy(syn.ensure_synthetic(tmp_path / "l", num_samples=880, seed=0))
    assert 0.25 < acc < 0.97, acc


@pytest.mark.realdata
def test_class_names_match_ntu120_label_map():
    f = FIXTURES / "ntu" / "label_map_ntu120.txt"
    if not f.is_file():
        pytest.skip(f"NTU label map fixture absent: {f}")
    names = f.read_text(encoding="utf-8").splitlines()
    for c in syn.CLASS_TABLE.values():
        assert names[c.label] == c.name
    proto = json.loads((FIXTURES / "ntu" / "protocols.json").read_text())
    assert set(proto["cross_subject_train_subjects"]["ntu120"]) == set(syn.XSUB_TRAIN_SUBJECTS)
    assert list(proto["other_protocols"]["ntu60_xview_train_cameras"]) == list(syn.XVIEW_TRAIN_CAMERAS)
    mutual = set(proto["mutual_two_person"]["ntu120_mutual_26"])
    for c in syn.CLASS_TABLE.values():
        assert c.two_person == (c.label in mutual)


# ----------------------------------------------------------------------------- rendering
@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Path:
    pytest.importorskip("cv2")
    return syn.ensure_synthetic(tmp_path_factory.mktemp("synr") / "r", num_samples=24, seed=5, render=True,
                                workers=1)


def _read_video(path: Path) -> np.ndarray:
    import cv2
    cap = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, fr = cap.read()
        if not ok:
            break
        frames.append(fr)
    cap.release()
    return np.asarray(frames)


def test_render_files_and_shapes(rendered):
    a3 = _load(rendered, "ntu3d.pkl")
    for x in a3["annotations"][:8]:
        fd, (M, T) = x["frame_dir"], x["keypoint"].shape[:2]
        v = _read_video(rendered / "videos" / f"{fd}.mp4")
        assert v.shape == (T, 112, 112, 3)
        m = np.load(rendered / "masks" / f"{fd}.npz")["masks"]
        assert m.dtype == bool and m.shape == (M, T, 112, 112)
        assert not (m.sum(0) > 1).any()                      # visible-pixel masks are disjoint
        assert (m.reshape(M, T, -1).any(-1).mean(1) > 0.8).all()  # each person visible most of the time
        for b in ("p1", "p2", "bg"):
            clip = _read_video(rendered / "branches" / f"{fd}_{b}.mp4")
            assert clip.shape == v.shape
        p2 = _read_video(rendered / "branches" / f"{fd}_p2.mp4")
        if M == 1:
            assert p2.max() <= 8                              # single person: all-black p2 branch
        bg = _read_video(rendered / "branches" / f"{fd}_bg.mp4").astype(float)
        inner = m.any(0)
        assert bg[inner].mean() < 25 and bg[~inner].mean() > 40


def test_masks_align_with_drawn_pixels_and_2d_keypoints(rendered):
    import cv2

    from hhir_synthetic.render import person_shades, render_frames
    cfg = syn.SynthConfig(num_samples=24, seed=5, render=True).validate()
    a2 = {x["frame_dir"]: x for x in _load(rendered, "ntu2d.pkl")["annotations"]}
    for i in (0, 11, 12, 17):  # single- and two-person classes
        smp = syn.generate_sample(cfg, i, keep_render_data=True)
        frames, masks = render_frames(smp["render"], 112)
        for m, colour in enumerate(smp["render"]["colours"]):
            shades = np.array(list(set(person_shades(colour).values())))
            px = frames[masks[m]]                              # every masked pixel has the person's colour
            assert (np.abs(px[:, None, :].astype(int) - shades[None]).sum(-1).min(1) == 0).all()
        # the pickled 2-D keypoints (noisy sensor) fall on or next to their person's drawn pixels
        ann = a2[smp["meta"]["frame_dir"]]
        kp, sc = ann["keypoint"], ann["keypoint_score"]
        for m in range(masks.shape[0]):
            near = np.stack([cv2.dilate(masks[m, t].astype(np.uint8), np.ones((7, 7), np.uint8))
                             for t in range(masks.shape[1])]).astype(bool)
            near |= np.stack([cv2.dilate(masks.any(0)[t].astype(np.uint8), np.ones((7, 7), np.uint8))
                              for t in range(masks.shape[1])]).astype(bool)  # occluded by the other person
            good = sc[m] > 0.7
            t_idx, j_idx = np.nonzero(good)
            u = np.clip(np.round(kp[m][good][:, 0]).astype(int), 0, 111)
            v = np.clip(np.round(kp[m][good][:, 1]).astype(int), 0, 111)
            assert near[t_idx, v, u].mean() > 0.85
        # the decoded video agrees with the uncompressed frames
        vid = _read_video(rendered / "videos" / f"{smp['meta']['frame_dir']}.mp4").astype(float)
        assert np.abs(vid - frames).mean() < 12


def test_hhirchat_entries(rendered):
    sp = _load(rendered, "ntu3d.pkl")["split"]
    names = {c["label"]: c["name"] for c in json.loads((rendered / "classes.json").read_text())}
    desc = json.loads((rendered / "descriptions.json").read_text())
    for part in ("train", "val"):
        entries = json.loads((rendered / f"hhirchat_{part}.json").read_text())
        assert [e["id"] for e in entries] == sp[f"xsub_{part}"]
        for e in entries:
            conv = e["conversations"]
            assert [c["from"] for c in conv] == ["human", "gpt", "human", "gpt"]
            assert all(tok in conv[0]["value"] for tok in ("<p1>", "<p2>", "<bg>"))
            assert conv[1]["value"] in desc[e["id"]]
            assert conv[2]["value"] == "Describe the activity in one word."
            assert len(conv[3]["value"].split()) <= 3 and conv[3]["value"].endswith(".")
            assert e["label_name"] == names[e["label"]]
            for k in ("p1", "p2", "bg", "video"):
                assert (rendered / e[k]).is_file() and not Path(e[k]).is_absolute()


def test_prepare_data_step_generates_then_the_dataset_reads_it(tmp_path):
    """A config's ``prepare_data`` runs the plugin's step by registry name; datasets only read."""
    from mmengine.config import Config

    from hhir_core.data.ntu import NTUSkeletonDataset
    from hhir_core.engine.runner import prepare_data

    cfg = Config(dict(prepare_data=[dict(type="SyntheticBenchmark", out_dir=str(tmp_path / "p"),
                                         num_samples=12, seed=0)]))
    (step,) = prepare_data(cfg)
    assert step.root == tmp_path / "p" and (step.root / "manifest.json").is_file()
    ds = NTUSkeletonDataset(ann_file="ntu3d.pkl", data_root=str(step.root), split=None)
    assert len(ds) == 12



def test_config_validation_checks_the_prepare_data_step():
    from mmengine.config import Config

    from hhir_core.config import validate

    with pytest.raises(ConfigError, match="prepare_data.*out_dir"):
        validate(Config(dict(prepare_data=[dict(type="SyntheticBenchmark", num_samples=4)])))
    with pytest.raises(ConfigError, match="prepare_data.*SyntheticBenchmak"):
        validate(Config(dict(prepare_data=[dict(type="SyntheticBenchmak", out_dir="x")])))
