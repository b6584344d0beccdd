"""Annotation pickles are data only: code in them never runs; damage is one DataError."""
from __future__ import annotations

import os
import pickle
import subprocess
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest

from helpers import PYTHON, REPO
from hhir_core.data.ntu import NTUSkeletonDataset, load_annotation_file, pack_annotations
from hhir_core.data.safe_pickle import UnsafePickleError, load_annotation_pickle
from hhir_core.errors import DataError


class _Payload:
    """Pickles to a call of ``func(*args)`` — what a malicious file would contain."""

    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def _ntu_data(dtype=np.float16, n=6, two_d=False):
    rng = np.random.default_rng(0)
    annos = []
    for i in range(n):
        m = 1 + i % 2  # 1- and 2-body samples
        c = 2 if two_d else 3
        anno = dict(frame_dir=f"S001C001P00{1 + i % 3}R001A00{1 + i % 4}", label=i % 4,
                    keypoint=rng.normal(size=(m, 10, 25, c)).astype(dtype),
                    total_frames=np.int64(10))  # numpy scalars occur in mmaction2 files
        if two_d:
            anno.update(keypoint_score=np.ones((m, 10, 25), dtype),
                        img_shape=(1080, 1920), original_shape=(1080, 1920))
        annos.append(anno)
    names = [a["frame_dir"] for a in annos]
    return dict(split=dict(xsub_train=names[:4], xsub_val=names[4:]), annotations=annos)


@pytest.mark.parametrize("payload", [
    lambda marker: _Payload(os.system, f"touch {marker}"),
    lambda marker: _Payload(eval, f"open({str(marker)!r}, 'w').close()"),
    lambda marker: _Payload(subprocess.call, ["touch", str(marker)]),
])
@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_malicious_pickle_runs_nothing(tmp_path: Path, payload, protocol: int) -> None:
    marker = tmp_path / "PWNED"
    data = _ntu_data()
    data["annotations"][2]["label"] = payload(marker)  # hidden deep inside real data
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps(data, protocol=protocol))
    with pytest.raises(UnsafePickleError) as info:
        load_annotation_file(path)
    message = str(info.value)
    assert "\n" not in message and str(path) in message and "not allowed" in message
    with pytest.raises(DataError):
        NTUSkeletonDataset(ann_file=str(path), split="xsub_train", cache_dir=str(tmp_path / "c"))
    assert not marker.exists()


def test_hand_written_import_chain_runs_nothing(tmp_path: Path) -> None:
    """``getattr(__import__('os'), 'system')('touch ...')`` in protocol-0 opcodes."""
    marker = tmp_path / "PWNED"
    blob = (b"cbuiltins\ngetattr\n(cbuiltins\n__import__\n(Vos\ntRVsystem\ntR(V"
            + f"touch {marker}".encode() + b"\ntR.")
    path = tmp_path / "chain.pkl"
    path.write_bytes(blob)
    with pytest.raises(DataError, match="refers to builtins.getattr"):
        load_annotation_file(path)
    assert not marker.exists()


def test_malicious_pickle_via_train_tool_is_one_line(tmp_path: Path) -> None:
    """The same refusal through tools/train.py: exit 2, one line, no file created."""
    pytest.importorskip("mmaction")
    marker = tmp_path / "PWNED"
    data = _ntu_data(n=8)
    data["annotations"][0]["frame_dir"] = _Payload(os.system, f"touch {marker}")
    ann = tmp_path / "evil.pkl"
    ann.write_bytes(pickle.dumps(data))
    opts = [f"{k}.dataset.ann_file={ann}" for k in ("train_dataloader", "val_dataloader",
                                                      "test_dataloader")]
    opts += ["prepare_data=[]"]  # no synthetic set: the run reads only the evil file
    out = subprocess.run([PYTHON, str(REPO / "tools" / "train.py"),
                          str(REPO / "configs" / "stgcn_ntu120_mini.py"), "--work-dir",
                          str(tmp_path / "w"), "--cfg-options", *opts],
                         capture_output=True, text=True, timeout=300, cwd=REPO)
    assert out.returncode == 2, out.stderr[-2000:]
    assert "refers to posix.system" in out.stderr and "Traceback" not in out.stderr
    assert not marker.exists()


@pytest.mark.parametrize("protocol", [2, 4, 5])
@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_real_formats_still_load(tmp_path: Path, protocol: int, dtype) -> None:
    data = _ntu_data(dtype)
    data["extra"] = OrderedDict(a={1, 2}, b=frozenset([3]), c=b"bytes", d=(1.5, None, True))
    path = tmp_path / "ok.pkl"
    path.write_bytes(pickle.dumps(data, protocol=protocol))
    loaded = load_annotation_pickle(path)
    assert loaded["extra"] == data["extra"]
    for a, b in zip(loaded["annotations"], data["annotations"]):
        assert a["keypoint"].dtype == dtype and np.array_equal(a["keypoint"], b["keypoint"])
        assert a["total_frames"] == 10
    ds = NTUSkeletonDataset(ann_file=str(path), split="xsub_train", packed=False)
    assert len(ds) == 4 and {len(ds.get_data_info(i)["keypoint"]) for i in range(4)} == {1, 2}


def test_two_d_and_bare_list_load(tmp_path: Path) -> None:
    data = _ntu_data(two_d=True)
    path = tmp_path / "ntu2d.pkl"
    path.write_bytes(pickle.dumps(data["annotations"]))  # pyskl-style bare list
    loaded = load_annotation_file(path)
    assert loaded["split"] == {} and loaded["annotations"][0]["img_shape"] == (1080, 1920)


def test_packed_folder_is_a_pickle_free_ann_file(tmp_path: Path) -> None:
    """tools/data/pack_annotations.py exports; the datasets read the folder directly."""
    src = tmp_path / "ntu.pkl"
    src.write_bytes(pickle.dumps(_ntu_data(np.float32)))
    out_dir = tmp_path / "packed"
    run = subprocess.run([PYTHON, str(REPO / "tools" / "data" / "pack_annotations.py"),
                          str(src), str(out_dir)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    for f in out_dir.iterdir():  # nothing in the export needs pickle
        if f.suffix == ".npy":
            np.load(f, allow_pickle=False)
    from_pickle = NTUSkeletonDataset(ann_file=str(src), split="xsub_val", packed=False)
    from_folder = NTUSkeletonDataset(ann_file=str(out_dir), split="xsub_val")
    listed = load_annotation_file(out_dir)
    assert len(from_folder) == len(from_pickle) == 2 == len(listed["split"]["xsub_val"])
    for i in range(2):
        a, b = from_folder.get_data_info(i), from_pickle.get_data_info(i)
        assert a["frame_dir"] == b["frame_dir"] and np.array_equal(a["keypoint"], b["keypoint"])
    # an evil pickle is refused by the exporter too, with one line
    evil = tmp_path / "evil.pkl"
    evil.write_bytes(pickle.dumps([_Payload(os.system, "true")]))
    run = subprocess.run([PYTHON, str(REPO / "tools" / "data" / "pack_annotations.py"),
                          str(evil), str(tmp_path / "p2")], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 1 and "posix.system" in run.stderr and "Traceback" not in run.stderr


def _flip_bits(tmp_path: Path, flips_per_protocol: int) -> dict:
    rng = np.random.default_rng(0)
    small = _ntu_data(n=3)
    for a in small["annotations"]:
        a["keypoint"] = a["keypoint"][:, :2, :3]
    outcomes = {"loaded": 0, "refused": 0}
    path = tmp_path / "flip.pkl"
    for protocol in (2, 4, 5):
        blob = bytearray(pickle.dumps(small, protocol=protocol))
        for _ in range(flips_per_protocol):
            flipped = bytearray(blob)
            pos = int(rng.integers(len(flipped)))
            flipped[pos] ^= 1 << int(rng.integers(8))
            path.write_bytes(bytes(flipped))
            try:
                load_annotation_pickle(path)
                outcomes["loaded"] += 1
            except DataError as exc:  # anything else (or a crash) fails the test
                assert "\n" not in str(exc) and str(path) in str(exc)
                outcomes["refused"] += 1
    return outcomes


def test_bit_flipped_pickles_give_data_error_only(tmp_path: Path) -> None:
    """Single-bit flips over three protocols: each loads or is one DataError."""
    outcomes = _flip_bits(tmp_path, 150)
    assert outcomes["refused"] > 30 and sum(outcomes.values()) == 450


@pytest.mark.slow
def test_bit_flipped_pickles_many(tmp_path: Path) -> None:
    """The 3 000-flip variant (an edited dtype state used to crash numpy itself)."""
    outcomes = _flip_bits(tmp_path, 1000)
    assert outcomes["refused"] > 300 and sum(outcomes.values()) == 3000


def test_inconsistent_dtype_state_is_refused_not_a_crash(tmp_path: Path) -> None:
    """``dtype('a8')`` with an int64 state crashes plain pickle.loads (numpy trusts it)."""
    blob = pickle.dumps(np.int64(3), protocol=4).replace(b"\x8c\x02i8", b"\x8c\x02a8")
    path = tmp_path / "dtype.pkl"
    path.write_bytes(blob)
    with pytest.raises(DataError, match="inconsistent state"):
        load_annotation_pickle(path)


def test_huge_claimed_length_does_not_allocate(tmp_path: Path) -> None:
    """A BINBYTES8 opcode claiming 2**40 bytes in a 30-byte file is refused at once."""
    path = tmp_path / "huge.pkl"
    path.write_bytes(b"\x80\x04\x8e" + (1 << 40).to_bytes(8, "little") + b"abc")
    with pytest.raises(DataError, match="truncated or not a valid pickle|is corrupt"):
        load_annotation_pickle(path)


def test_pack_uses_the_restricted_loader(tmp_path: Path) -> None:
    marker = tmp_path / "PWNED"
    data = _ntu_data()
    data["split"]["xsub_train"] = _Payload(os.system, f"touch {marker}")
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps(data))
    (tmp_path / "out").mkdir()
    with pytest.raises(DataError, match="posix.system"):
        pack_annotations(path, tmp_path / "out")
    assert not marker.exists()


def test_no_plain_pickle_load_of_foreign_files() -> None:
    """Every pickle read of a file hhir did not write goes through safe_pickle."""
    offenders = []
    for root in ("hhir_core", "plugins", "tools"):
        for f in (REPO / root).rglob("*.py"):
            text = f.read_text(encoding="utf-8")
            for n, line in enumerate(text.splitlines(), 1):
                if ("pickle.load(" in line or "pickle.Unpickler(" in line or
                        "allow_pickle=True" in line or "pd.read_pickle" in line):
                    offenders.append(f"{f.relative_to(REPO)}:{n}")
    # the synthetic generator re-reads chunk files it wrote itself moments before
    allowed = {"plugins/hhir_synthetic/generator.py"}
    assert [o for o in offenders if o.split(":")[0] not in allowed] == [], offenders


@pytest.mark.realdata
def test_converter_output_loads_with_real_skeleton(tmp_path: Path, fixtures_dir: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    real = fixtures_dir / "ntu" / "S001C001P001R001A001.skeleton"
    (raw / real.name).write_bytes(real.read_bytes())
    out = tmp_path / "ntu.pkl"
    run = subprocess.run([PYTHON, str(REPO / "tools" / "data" / "ntu_skeleton_to_pkl.py"),
                          str(raw), "--out", str(out)], capture_output=True, text=True,
                         timeout=120, cwd=REPO)
    assert run.returncode == 0, run.stderr
    data = load_annotation_pickle(out)
    assert data["annotations"][0]["keypoint"].shape == (1, 103, 25, 3)
