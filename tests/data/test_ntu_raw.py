"""Raw .skeleton reader and the converter tool (real fixture + generated files)."""
from __future__ import annotations

import importlib.util
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest

from helpers import FIXTURES
from hhir_core.data.ntu import NTUSkeletonDataset
from hhir_core.data.ntu_raw import body_activity, read_skeleton_file, skeleton_to_annotation
from hhir_core.errors import DataError

ROOT = Path(__file__).resolve().parents[2]
REAL = FIXTURES / "ntu" / "S001C001P001R001A001.skeleton"


def load_tool():
    spec = importlib.util.spec_from_file_location("ntu_skeleton_to_pkl",
                                                  ROOT / "tools" / "data" / "ntu_skeleton_to_pkl.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def write_skeleton(path: Path, bodies_per_frame: list) -> Path:
    """bodies_per_frame: list over frames of list of (body_id, xyz[25,3])."""
    lines = [str(len(bodies_per_frame))]
    for bodies in bodies_per_frame:
        lines.append(str(len(bodies)))
        for bid, xyz in bodies:
            lines.append(f"{bid} 0 1 1 1 1 0 0.01 0.02 2")
            lines.append("25")
            for j in range(25):
                x, y, z = xyz[j]
                lines.append(f"{x} {y} {z} 1 2 {100 + j} {200 + j} 0 0 0 0 2")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_selects_most_active_bodies(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    base = rng.normal(size=(25, 3))
    frames = []
    for t in range(12):
        frames.append([
            ("111", base + 0.001 * t),            # almost static (spurious body)
            ("222", base + np.sin(t) * 0.5),      # active
            ("333", base + np.cos(t) * 0.3),      # active
        ])
    p = write_skeleton(tmp_path / "S002C002P003R001A051.skeleton", frames)
    raw = read_skeleton_file(p)
    assert list(raw.bodies) == ["111", "222", "333"] and raw.num_frames == 12
    anno = skeleton_to_annotation(raw)
    assert anno["keypoint"].shape == (2, 12, 25, 3)
    assert anno["label"] == 50
    np.testing.assert_allclose(anno["keypoint"][0], raw.xyz("222"))  # most active first
    np.testing.assert_allclose(anno["keypoint"][1], raw.xyz("333"))
    assert body_activity(raw.xyz("111")) < body_activity(raw.xyz("333"))
    a2d = skeleton_to_annotation(raw, kind="2d")
    assert a2d["keypoint"].shape == (2, 12, 25, 2)
    np.testing.assert_allclose(a2d["keypoint"][0, 0, 3], [103, 203])
    np.testing.assert_allclose(a2d["keypoint_score"], 1.0)
    assert a2d["img_shape"] == (1080, 1920)


def test_body_appearing_late_is_zero_before(tmp_path: Path) -> None:
    base = np.ones((25, 3))
    frames = [[("1", base * t)] + ([("2", base * -t)] if t >= 3 else []) for t in range(1, 6)]
    raw = read_skeleton_file(write_skeleton(tmp_path / "S001C001P001R001A050.skeleton", frames))
    assert not raw.xyz("2")[:2].any() and raw.xyz("2")[2:].all()


def test_malformed_files(tmp_path: Path) -> None:
    p = write_skeleton(tmp_path / "S001C001P001R001A001.skeleton",
                       [[("1", np.ones((25, 3)))]] * 3)
    text = p.read_text().splitlines()
    (tmp_path / "trunc.skeleton").write_text("\n".join(text[:40]))
    with pytest.raises(DataError, match="trunc.skeleton.*truncated"):
        read_skeleton_file(tmp_path / "trunc.skeleton")
    text[5] = "1.0 abc 2.0 1 2 3 4 0 0 0 0 2"
    (tmp_path / "bad.skeleton").write_text("\n".join(text))
    with pytest.raises(DataError, match="bad.skeleton.*malformed near line 6"):
        read_skeleton_file(tmp_path / "bad.skeleton")
    with pytest.raises(DataError, match="does not exist"):
        read_skeleton_file(tmp_path / "nope.skeleton")


def test_converter_end_to_end(tmp_path: Path) -> None:
    raw_dir = tmp_path / "raw"
    raw_dir.mkdir()
    rng = np.random.default_rng(1)
    names = ["S001C001P001R001A001", "S001C002P002R001A002", "S002C003P003R001A003",
             "S018C001P045R001A061", "S001C001P001R001A009"]
    for n in names:
        frames = [[("7", rng.normal(size=(25, 3)))] for _ in range(8)]
        write_skeleton(raw_dir / f"{n}.skeleton", frames)
    (raw_dir / "S003C001P001R001A004.skeleton").write_text("5\n1\n")  # truncated -> skipped
    missing = tmp_path / "missing.txt"
    missing.write_text("# official list\nS001C001P001R001A009\n")
    out = tmp_path / "out" / "ntu.pkl"
    tool = load_tool()
    assert tool.main([str(raw_dir), "--out", str(out), "--missing", str(missing)]) == 0
    data = pickle.loads(out.read_bytes())
    got = sorted(a["frame_dir"] for a in data["annotations"])
    assert got == sorted(names[:4])
    assert data["split"]["xsub_train"] == ["S001C001P001R001A001", "S001C002P002R001A002",
                                           "S018C001P045R001A061"]
    assert data["split"]["xsub_val"] == ["S002C003P003R001A003"]
    assert set(data["split"]["xset_train"]) == {"S002C003P003R001A003", "S018C001P045R001A061"}
    assert set(data["split"]["xview_train"]) == {"S001C002P002R001A002", "S002C003P003R001A003"}
    ds = NTUSkeletonDataset(str(out), split="xsub_train")
    assert len(ds) == 3
    assert tool.main([str(raw_dir), "--out", str(out), "--strict"]) == 1
    assert tool.main([str(tmp_path / "none"), "--out", str(out)]) == 1
    n60 = tmp_path / "n60.pkl"
    assert tool.main([str(raw_dir), "--out", str(n60), "--version", "ntu60",
                      "--missing", str(missing)]) == 0
    d60 = pickle.loads(n60.read_bytes())
    assert len(d60["annotations"]) == 3 and "xset_train" not in d60["split"]


@pytest.mark.realdata
@pytest.mark.skipif(not REAL.is_file(), reason=f"fixture absent: {REAL}")
def test_real_fixture(tmp_path: Path) -> None:
    raw = read_skeleton_file(REAL)
    anno = skeleton_to_annotation(raw)
    assert anno["frame_dir"] == "S001C001P001R001A001" and anno["label"] == 0
    assert anno["keypoint"].shape == (1, 103, 25, 3) and anno["total_frames"] == 103
    # independent parse of the file's x y z
    lines = REAL.read_text().split("\n")
    assert int(lines[0]) == 103
    xyz, i = [], 1
    for _ in range(103):
        nb = int(lines[i]); i += 1
        assert nb == 1
        i += 1  # body info
        nj = int(lines[i]); i += 1
        assert nj == 25
        xyz.append([[float(v) for v in lines[i + j].split()[:3]] for j in range(25)])
        i += 25
    np.testing.assert_array_equal(anno["keypoint"][0], np.array(xyz, dtype=np.float32))
    np.testing.assert_allclose(anno["keypoint"][0, 0, 0], [0.2181153, 0.1725972, 3.785547],
                               rtol=1e-6)
    # and through the converter
    raw_dir = tmp_path / "raw"
    raw_dir.mkdir()
    shutil.copy(REAL, raw_dir / REAL.name)
    out = tmp_path / "real.pkl"
    assert load_tool().main([str(raw_dir), "--out", str(out)]) == 0
    data = pickle.loads(out.read_bytes())
    np.testing.assert_array_equal(data["annotations"][0]["keypoint"], anno["keypoint"])
    assert data["split"]["xsub_train"] == ["S001C001P001R001A001"]
