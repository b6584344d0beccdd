"""Bad data in the converter and the packed layout: reported per file, never a traceback."""
from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from helpers import PYTHON, REPO
from hhir_core.data.ntu import NTUSkeletonDataset, packed_dir_for, remove_stale_tmp_dirs
from hhir_core.errors import DataError

CONVERTER = str(REPO / "tools" / "data" / "ntu_skeleton_to_pkl.py")


def _skeleton_text(frames: int, value: str = "0.5", declared: int | None = None) -> str:
    lines = [str(frames if declared is None else declared)]
    for t in range(frames):
        lines += ["1", "72057594037931101 0 1 1 1 1 0 0.01 0.02 2", "25"]
        y, z = (0, 0) if value == "0" else (0.1 * t, 3.0)
        lines += [f"{value} {y + 0.01 * j * (value != '0')} {z} 250 200 1000 500 0 0 0 0 2"
                  for j in range(25)]
    return "\n".join(lines) + "\n"


def _convert(raw: Path, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run([PYTHON, CONVERTER, str(raw), "--out", str(out)], capture_output=True,
                          text=True, timeout=120, cwd=REPO)


def test_converter_skips_each_bad_file_and_says_why(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "S001C001P001R001A001.skeleton").write_text(_skeleton_text(5))
    (raw / "S001C001P002R001A002.skeleton").write_text(_skeleton_text(3, declared=-5))
    (raw / "S001C001P003R001A003.skeleton").write_text(_skeleton_text(4, value="nan"))
    (raw / "S001C001P004R001A004.skeleton").write_text(_skeleton_text(4, value="0"))
    (raw / "S001C001P005R001A005.skeleton").write_text("0\n")
    out = tmp_path / "ntu.pkl"
    run = _convert(raw, out)
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    lines = run.stderr.splitlines()
    assert any("P002" in line and "negative frame count -5" in line for line in lines)
    assert any("P003" in line and "NaN or infinite" in line for line in lines)
    assert any("P004" in line and "all zero" in line for line in lines)
    assert any("P005" in line and "no frames" in line for line in lines)
    assert "1 samples, 4 skipped" in run.stdout
    from hhir_core.data.safe_pickle import load_annotation_pickle

    assert [a["frame_dir"] for a in load_annotation_pickle(out)["annotations"]] == \
        ["S001C001P001R001A001"]


def test_converter_with_nothing_usable_exits_non_zero(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "S001C001P002R001A002.skeleton").write_text(_skeleton_text(3, declared=-5))
    (raw / "S001C001P003R001A003.skeleton").write_text(_skeleton_text(4, value="nan"))
    out = tmp_path / "ntu.pkl"
    run = _convert(raw, out)
    assert run.returncode == 1 and not out.exists()
    assert "no usable skeleton" in run.stderr.splitlines()[-1] and "Traceback" not in run.stderr


def _annotations(n: int, bad_train: bool) -> dict:
    rng = np.random.default_rng(0)
    annos = []
    for i in range(n):
        kp = rng.normal(size=(1, 8, 25, 3)).astype(np.float32)
        if bad_train and i < n // 2:
            kp[...] = np.nan
        annos.append(dict(frame_dir=f"s{i}", label=i % 3, keypoint=kp, total_frames=8))
    names = [a["frame_dir"] for a in annos]
    return dict(split=dict(train=names[:n // 2], val=names[n // 2:]), annotations=annos)


@pytest.mark.parametrize("packed", [True, False])
def test_all_bad_train_split_is_a_data_error(tmp_path: Path, packed: bool) -> None:
    ann = tmp_path / "ann.pkl"
    ann.write_bytes(pickle.dumps(_annotations(8, bad_train=True)))
    assert len(NTUSkeletonDataset(ann_file=str(ann), split="val", packed=packed)) == 4
    with pytest.raises(DataError, match="split 'train' has no usable sample.*NaN"):
        NTUSkeletonDataset(ann_file=str(ann), split="train", packed=packed)


def test_leftover_pack_tmp_dirs_are_removed(tmp_path: Path) -> None:
    ann = tmp_path / "ann.pkl"
    ann.write_bytes(pickle.dumps(_annotations(8, bad_train=False)))
    root = tmp_path / ".ann.pkl.packed"
    root.mkdir()
    # a killed packer (its pid no longer exists) and one still running (this process)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    stale = root / f".abc.tmp{dead}.x1"
    live = root / f".abc.tmp{os.getpid()}.x2"
    old_style = root / ".abc.tmpq8z_"  # left by earlier versions (no pid)
    for d in (stale, live, old_style):
        d.mkdir()
        (d / "keypoints.npy").write_bytes(b"0" * 1000)
    packed = packed_dir_for(ann, cache_dir=None)
    assert (packed / "meta.json").is_file()
    assert not stale.exists() and not old_style.exists() and live.exists()
    assert remove_stale_tmp_dirs(root) == []
