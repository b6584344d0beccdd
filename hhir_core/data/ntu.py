"""NTU RGB+D annotation datasets (3-D and 2-D) and their packed, memory-mappable layout.

The annotation pickle (mmaction2/pyskl convention, see docs/data.md) is a single
object: every DataLoader worker that unpickles it holds the whole dataset (~6 GB for
NTU120 3-D in float32). So the pickle is converted once into a *packed* folder:

``keypoints.npy``
    every sample's keypoints, persons and frames flattened into rows: sample ``i``
    is ``keypoints[off_i : off_i + M_i*T_i].reshape(M_i, T_i, V, C)`` (float16/32).
``scores.npy``
    (2-D only) ``keypoint_score`` rows ``[rows, V]`` in the same order.
``index.npy``
    int64 ``[N, 9]``: offset, T, M, label, original position, img_h, img_w,
    original_h, original_w (``-1`` where absent).
``frame_dirs.npy``
    fixed-width unicode ``[N]``.
``split_<name>.npy``
    int32 positions into the index, one file per split.
``meta.json``
    format version, source key, dtype, V, C, the dropped bad samples with reasons.

All arrays are opened with ``np.load(mmap_mode='r')``: opening is O(1) whatever the
dataset size, and forked DataLoader workers share the page cache instead of copying.
The folder lives next to the pickle (``.<name>.packed/<key>/``) or, if that is not
writable, under ``$HHIR_CACHE/packed`` (default ``~/.cache/hhir/packed``). The key
hashes the pickle's size, mtime, the SHA-1 of its first and last MiB, and the packing
options, so an edited pickle is re-packed and an unchanged one never is.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Union

import numpy as np

from ..errors import DataError
from .bad_samples import BadSampleError, check_policy, frame_dir_of, report_bad, sample_problem, summarize
from .safe_pickle import load_annotation_pickle

logger = logging.getLogger("hhir.data")

PACK_FORMAT = 1
_INDEX_COLS = ("offset", "T", "M", "label", "orig", "img_h", "img_w", "orig_h", "orig_w")
_COL = {name: i for i, name in enumerate(_INDEX_COLS)}
_HINT_MINI = ("Real NTU data is not shipped; see docs/data.md for how to obtain and convert "
              "it (tools/data/ntu_skeleton_to_pkl.py), or run the *_mini configs "
              "(e.g. configs/stgcn_ntu120_mini.py), which generate a synthetic set first.")


# --------------------------------------------------------------------------- files
def load_annotation_file(path: Union[str, Path]) -> Dict[str, Any]:
    """Read an annotation file; file-level problems raise :class:`DataError`.

    ``path`` is a pickle holding the ``{"split": ..., "annotations": [...]}`` dict or a
    bare list of annotations (then without splits), read with the restricted
    unpickler of :mod:`hhir_core.data.safe_pickle` (data types only, never code); or a
    packed folder (``meta.json`` + ``.npy``, see :func:`pack_annotations`), which
    needs no pickle at all.
    """
    path = Path(path)
    if path.is_dir() and (path / "meta.json").is_file():
        store = PackedAnnotations(path)
        annos = [store.sample(i) for i in range(len(store))]
        names = [a["frame_dir"] for a in annos]
        return {"split": {s: [names[i] for i in store.split(s)] for s in store.meta["splits"]},
                "annotations": annos}
    if not path.is_file():
        raise DataError(f"annotation file {str(path)!r} does not exist. {_HINT_MINI}")
    data = load_annotation_pickle(path)
    if isinstance(data, list):
        data = {"split": {}, "annotations": data}
    if not isinstance(data, dict) or not isinstance(data.get("annotations"), list):
        raise DataError(f"annotation file {str(path)!r} is not an NTU annotation pickle: "
                        "expected a dict with an 'annotations' list (and 'split')")
    split = data.get("split", {})
    if not isinstance(split, dict) or not all(isinstance(v, (list, tuple)) for v in split.values()):
        raise DataError(f"annotation file {str(path)!r}: 'split' must be a dict of lists")
    data.setdefault("split", {})
    return data


def source_key(path: Union[str, Path], **options: Any) -> str:
    """Cheap identity of a pickle + packing options (size, mtime, head/tail SHA-1)."""
    path = Path(path)
    st = path.stat()
    h = hashlib.sha1()
    h.update(f"{PACK_FORMAT}|{st.st_size}|{st.st_mtime_ns}|".encode())
    h.update(json.dumps(options, sort_keys=True).encode())
    with open(path, "rb") as f:
        h.update(f.read(1 << 20))
        if st.st_size > (2 << 20):
            f.seek(-(1 << 20), os.SEEK_END)
            h.update(f.read(1 << 20))
    return h.hexdigest()[:20]


def _cache_roots(ann_file: Path, cache_dir: Optional[str]) -> List[Path]:
    if cache_dir:
        return [Path(cache_dir)]
    env = os.environ.get("HHIR_CACHE")
    user = Path(env) if env else Path.home() / ".cache" / "hhir"
    return [ann_file.parent / f".{ann_file.name}.packed", user / "packed" / ann_file.stem]


def packed_dir_for(ann_file: Union[str, Path], cache_dir: Optional[str] = None,
                   num_joints: Optional[int] = 25, dtype: Optional[str] = None) -> Path:
    """Pack ``ann_file`` if needed and return the packed folder (idempotent)."""
    ann_file = Path(ann_file)
    if ann_file.is_dir() and (ann_file / "meta.json").is_file():
        return ann_file  # already a packed folder (the pickle-free export)
    if not ann_file.is_file():
        raise DataError(f"annotation file {str(ann_file)!r} does not exist. {_HINT_MINI}")
    key = source_key(ann_file, num_joints=num_joints, dtype=dtype)
    roots = _cache_roots(ann_file, cache_dir)
    for root in roots:
        if root.is_dir():
            remove_stale_tmp_dirs(root)
        if (root / key / "meta.json").is_file():
            return root / key
    last_exc: Optional[Exception] = None
    for root in roots:
        try:
            root.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=f".{key}.tmp{os.getpid()}.", dir=root))
        except OSError as exc:  # read-only location: try the next one
            last_exc = exc
            continue
        try:
            pack_annotations(ann_file, tmp, num_joints=num_joints, dtype=dtype, key=key)
            try:
                os.replace(tmp, root / key)
            except OSError:  # another process packed it first
                if not (root / key / "meta.json").is_file():
                    raise
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        return root / key
    raise DataError(f"cannot write the packed copy of {str(ann_file)!r} to any of "
                    f"{[str(r) for r in roots]}: {last_exc}; set cache_dir= or HHIR_CACHE")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def remove_stale_tmp_dirs(root: Union[str, Path]) -> List[Path]:
    """Delete half-written pack folders (``.<key>.tmp<pid>.*``) whose process is gone.

    A packing run that was killed leaves its temporary folder behind (tens of MB on
    the mini set, GBs on NTU-120); the next run removes it. Folders of a packer that
    is still running (another rank or job) are kept.
    """
    removed = []
    for entry in Path(root).glob(".*.tmp*"):
        if not entry.is_dir():
            continue
        pid_text = entry.name.rsplit(".tmp", 1)[1].split(".", 1)[0]
        if pid_text.isdigit() and _pid_alive(int(pid_text)):
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry)
    if removed:
        logger.warning("removed %d leftover temporary pack folder(s) in %s (an interrupted "
                       "packing run)", len(removed), root)
    return removed


def pack_annotations(ann_file: Union[str, Path], out_dir: Union[str, Path],
                     num_joints: Optional[int] = 25, dtype: Optional[str] = None,
                     key: str = "") -> Dict[str, Any]:
    """Convert an annotation pickle into the packed layout in ``out_dir``.

    Bad samples (see :mod:`hhir_core.data.bad_samples`) are left out and listed in
    ``meta.json`` with their reason; the dataset applies the skip/raise policy at open.
    """
    ann_file, out_dir = Path(ann_file), Path(out_dir)
    data = load_annotation_file(ann_file)
    annos = data["annotations"]
    good: List[int] = []
    bad: Dict[str, str] = {}
    rows = 0
    c_dim = None
    has_score = False
    store = np.dtype(dtype) if dtype else None
    for i, anno in enumerate(annos):
        problem = sample_problem(anno, num_joints=num_joints)
        if problem is None:
            kp = np.asarray(anno["keypoint"])
            if c_dim is None:
                c_dim, v_dim = kp.shape[3], kp.shape[2]
                has_score = anno.get("keypoint_score") is not None
                store = store or (np.dtype(np.float16) if kp.dtype == np.float16
                                  else np.dtype(np.float32))
            elif kp.shape[3] != c_dim or kp.shape[2] != v_dim:
                problem = (f"keypoint shape {tuple(kp.shape)} differs from the file's "
                           f"[*,*,{v_dim},{c_dim}]")
            elif has_score != (anno.get("keypoint_score") is not None):
                problem = "keypoint_score present in some samples only"
        if problem is not None:
            bad[frame_dir_of(anno, i)] = problem
            continue
        good.append(i)
        rows += kp.shape[0] * kp.shape[1]
    if not good:
        raise DataError(f"annotation file {str(ann_file)!r} has no usable sample"
                        + (f" ({summarize(bad)})" if bad else ""))
    kps = np.lib.format.open_memmap(out_dir / "keypoints.npy", mode="w+", dtype=store,
                                    shape=(rows, v_dim, c_dim))
    scores = (np.lib.format.open_memmap(out_dir / "scores.npy", mode="w+", dtype=store,
                                        shape=(rows, v_dim)) if has_score else None)
    index = np.full((len(good), len(_INDEX_COLS)), -1, dtype=np.int64)
    names: List[str] = []
    off = 0
    for pos, i in enumerate(good):
        anno = annos[i]
        kp = np.asarray(anno["keypoint"])
        m, t = kp.shape[:2]
        kps[off:off + m * t] = kp.reshape(m * t, v_dim, c_dim)
        if scores is not None:
            scores[off:off + m * t] = np.asarray(anno["keypoint_score"]).reshape(m * t, v_dim)
        row = index[pos]
        row[_COL["offset"]], row[_COL["T"]], row[_COL["M"]] = off, t, m
        row[_COL["label"]], row[_COL["orig"]] = int(anno["label"]), i
        for col, key_ in (("img_h", "img_shape"), ("orig_h", "original_shape")):
            shape = anno.get(key_)
            if shape is not None:
                row[_COL[col]], row[_COL[col] + 1] = int(shape[0]), int(shape[1])
        names.append(frame_dir_of(anno, i))
        off += m * t
    kps.flush()
    del kps
    if scores is not None:
        scores.flush()
        del scores
    np.save(out_dir / "index.npy", index)
    width = max(1, max(len(n) for n in names))
    np.save(out_dir / "frame_dirs.npy", np.array(names, dtype=f"<U{width}"))
    pos_of = {n: p for p, n in enumerate(names)}
    split_names = []
    for split, members in data["split"].items():
        positions = np.array(sorted(pos_of[m] for m in members if m in pos_of), dtype=np.int32)
        np.save(out_dir / f"split_{split}.npy", positions)
        split_names.append(split)
    meta = dict(format=PACK_FORMAT, source=str(ann_file), key=key, num_samples=len(good),
                dtype=str(store), num_joints=int(v_dim), channels=int(c_dim),
                has_score=has_score, splits=split_names, bad=bad, columns=list(_INDEX_COLS))
    (out_dir / "meta.json").write_text(json.dumps(meta, indent=1))
    if bad:
        logger.warning("packing %s: left out %d bad sample(s): %s", ann_file, len(bad),
                       summarize(bad))
    return meta


class PackedAnnotations:
    """Read-only, memory-mapped view of a packed folder (opening is O(1))."""

    def __init__(self, directory: Union[str, Path]) -> None:
        self.directory = Path(directory)
        self.meta = json.loads((self.directory / "meta.json").read_text())
        if self.meta.get("format") != PACK_FORMAT:
            raise DataError(f"packed folder {str(self.directory)!r} has format "
                            f"{self.meta.get('format')}, expected {PACK_FORMAT}; delete it")
        self._arrays: Dict[str, np.ndarray] = {}

    def _arr(self, name: str) -> np.ndarray:
        arr = self._arrays.get(name)
        if arr is None:
            arr = np.load(self.directory / f"{name}.npy", mmap_mode="r")
            self._arrays[name] = arr
        return arr

    def __len__(self) -> int:
        return int(self.meta["num_samples"])

    @property
    def index(self) -> np.ndarray:
        return self._arr("index")

    @property
    def frame_dirs(self) -> np.ndarray:
        return self._arr("frame_dirs")

    def split(self, name: str) -> np.ndarray:
        if name not in self.meta["splits"]:
            raise KeyError(name)
        return self._arr(f"split_{name}")

    def sample(self, pos: int) -> Dict[str, Any]:
        """The annotation dict of packed position ``pos`` (arrays copied, float32)."""
        row = self.index[pos]
        off, t, m = int(row[0]), int(row[1]), int(row[2])
        v, c = self.meta["num_joints"], self.meta["channels"]
        kp = np.array(self._arr("keypoints")[off:off + m * t], dtype=np.float32)  # copy
        out: Dict[str, Any] = dict(keypoint=kp.reshape(m, t, v, c), total_frames=t,
                                   label=int(row[3]), frame_dir=str(self.frame_dirs[pos]))
        if self.meta["has_score"]:
            sc = np.array(self._arr("scores")[off:off + m * t], dtype=np.float32)
            out["keypoint_score"] = sc.reshape(m, t, v)
        if row[5] >= 0:
            out["img_shape"] = (int(row[5]), int(row[6]))
        if row[7] >= 0:
            out["original_shape"] = (int(row[7]), int(row[8]))
        return out

    def drop_arrays(self) -> None:
        """Forget the memory maps (they are re-opened lazily, e.g. in a spawned worker)."""
        self._arrays = {}


# --------------------------------------------------------------------------- dataset
def _resolve_classes(classes: Any) -> Optional[List[int]]:
    """``None`` | list of ids | ``'seen:<split>'`` | ``'unseen:<split>'``."""
    if classes is None:
        return None
    if isinstance(classes, str):
        from .ntu_classes import seen_classes, zero_shot_split

        kind, _, split = classes.partition(":")
        if kind == "seen":
            return seen_classes(split)
        if kind == "unseen":
            return zero_shot_split(split)
        raise DataError(f"classes={classes!r}: use a list of label ids, 'seen:<split>' or "
                        "'unseen:<split>' (e.g. 'unseen:ntu60_55_5')")
    ids = [int(c) for c in classes]
    if len(set(ids)) != len(ids):
        raise DataError(f"classes={classes!r} contains duplicates")
    return ids


class NTUSkeletonDataset:
    """NTU-style skeleton annotations as an mmengine-Runner dataset.

    Args:
        ann_file: the annotation pickle; a relative path is taken inside ``data_root``
            when that is given.
        data_root: folder of the dataset (mmengine's convention), or ``None``.
        split: split name in the pickle (``xsub_train``, ``xsub_val``, ``xview_*``,
            ``xset_*``) or ``None`` for all samples.
        classes: keep only these 0-based labels and remap them to ``0..K-1`` in the
            given order; or ``'seen:<zero-shot split>'`` / ``'unseen:<...>'``.
        pipeline: transform configs (registry ``transform``) or callables.
        packed: read through the packed memory-mapped layout (default) or the
            unpickled list (``False``; fine for small files).
        num_joints: expected joint count (25 for NTU; 17 for COCO-layout 2-D).
        dtype: storage dtype of the packed copy (``None`` keeps the file's).
        on_bad_sample: ``'skip'`` (log and drop/substitute) or ``'raise'``.
        cache_dir: where to put the packed copy (default: next to the pickle, else
            ``$HHIR_CACHE/packed``).
        max_refetch: how many following samples to try when one fails in the pipeline.
    """

    def __init__(self, ann_file: Optional[str] = None, split: Optional[str] = "xsub_train",
                 classes: Any = None, pipeline: Sequence[Union[dict, Callable]] = (),
                 packed: bool = True, data_root: Optional[str] = None,
                 num_joints: Optional[int] = 25, dtype: Optional[str] = None,
                 on_bad_sample: str = "skip", cache_dir: Optional[str] = None,
                 test_mode: bool = False, max_refetch: int = 10,
                 metainfo: Optional[dict] = None, **unused: Any) -> None:
        self.on_bad_sample = check_policy(on_bad_sample)
        if ann_file is None:
            raise DataError("NTUSkeletonDataset needs ann_file")
        if data_root is not None and not Path(ann_file).is_absolute():
            ann_file = str(Path(data_root) / ann_file)
        if unused:
            logger.debug("NTUSkeletonDataset ignores %s", sorted(unused))
        self.ann_file = str(ann_file)
        self.split = split
        self.packed = packed
        self.test_mode = test_mode
        self.max_refetch = max_refetch
        self._epoch_seed = _EpochSeed()
        self.num_joints = num_joints
        self.class_ids = _resolve_classes(classes)
        self.pipeline = build_pipeline(pipeline)
        self._store: Optional[PackedAnnotations] = None
        self._list: Optional[List[dict]] = None
        if packed:
            self._open_packed(cache_dir, dtype)
        else:
            self._open_list()
        self._metainfo = self._make_metainfo(metainfo)

    # -- opening --------------------------------------------------------------
    def _open_packed(self, cache_dir: Optional[str], dtype: Optional[str]) -> None:
        directory = packed_dir_for(self.ann_file, cache_dir=cache_dir,
                                   num_joints=self.num_joints, dtype=dtype)
        store = PackedAnnotations(directory)
        bad = store.meta.get("bad", {})
        if bad:
            if self.on_bad_sample == "raise":
                name, reason = next(iter(bad.items()))
                raise BadSampleError(
                    f"bad sample {name!r} in {self.ann_file}: {reason} ({len(bad)} bad in "
                    "total; on_bad_sample='raise'; use 'skip' to drop them)")
            logger.warning("%s: %d bad sample(s) skipped: %s", self.ann_file, len(bad),
                           summarize(bad))
        self._store = store
        if self.split is None:
            positions = np.arange(len(store), dtype=np.int64)
        else:
            try:
                positions = np.asarray(store.split(self.split), dtype=np.int64)
            except KeyError:
                raise DataError(f"split {self.split!r} is not in {self.ann_file}; "
                                f"available: {', '.join(store.meta['splits']) or '(none)'}") \
                    from None
        labels = np.asarray(store.index[:, _COL["label"]])
        self._set_positions(positions, labels[positions])

    def _open_list(self) -> None:
        data = load_annotation_file(self.ann_file)
        annos = data["annotations"]
        if self.split is not None:
            if self.split not in data["split"]:
                raise DataError(f"split {self.split!r} is not in {self.ann_file}; available: "
                                f"{', '.join(data['split']) or '(none)'}")
            members = set(data["split"][self.split])
            annos = [a for a in annos if isinstance(a, dict) and a.get("frame_dir") in members]
        kept = []
        bad: Dict[str, str] = {}
        for i, anno in enumerate(annos):
            problem = sample_problem(anno, num_joints=self.num_joints)
            if problem is not None:
                report_bad(frame_dir_of(anno, i), problem, self.ann_file, self.on_bad_sample)
                bad[frame_dir_of(anno, i)] = problem
                continue
            kept.append(anno)
        if not kept:
            raise DataError(f"{self.ann_file} split {self.split!r} has no usable sample"
                            + (f" ({len(bad)} bad sample(s) left out: {summarize(bad)})"
                               if bad else ""))
        self._list = kept
        labels = np.array([int(a["label"]) for a in kept], dtype=np.int64)
        self._set_positions(np.arange(len(kept), dtype=np.int64), labels)

    def _set_positions(self, positions: np.ndarray, labels: np.ndarray) -> None:
        if len(positions) == 0:
            bad = self._store.meta.get("bad", {}) if self._store is not None else {}
            raise DataError(f"{self.ann_file} split {self.split!r} has no usable sample"
                            + (f" ({len(bad)} bad sample(s) left out: {summarize(bad)})"
                               if bad else ""))
        if self.class_ids is not None:
            lut = np.full(max(max(self.class_ids), int(labels.max(initial=0))) + 1, -1,
                          dtype=np.int64)
            lut[self.class_ids] = np.arange(len(self.class_ids))
            new = lut[labels]
            keep = new >= 0
            positions, labels = positions[keep], new[keep]
            if len(positions) == 0:
                raise DataError(f"{self.ann_file} split {self.split!r} has no sample of "
                                f"classes {self.class_ids}")
        self._positions = positions
        self._labels = labels

    def _make_metainfo(self, extra: Optional[dict]) -> dict:
        from .ntu_classes import ntu120_classes

        names = ntu120_classes()
        ids = self.class_ids if self.class_ids is not None else list(range(len(names)))
        info = dict(classes=tuple(names[i] if i < len(names) else f"class_{i}" for i in ids),
                    label_ids=tuple(ids), ann_file=self.ann_file, split=self.split)
        info.update(extra or {})
        return info

    # -- mmengine dataset protocol -----------------------------------------
    @property
    def metainfo(self) -> dict:
        """``classes`` (names of labels 0..K-1), ``label_ids`` (original NTU ids), ..."""
        return dict(self._metainfo)

    def __len__(self) -> int:
        return len(self._positions)

    @property
    def labels(self) -> np.ndarray:
        """Labels (after remapping) of all samples, without decoding keypoints."""
        return self._labels

    def get_data_info(self, idx: int) -> Dict[str, Any]:
        """Raw annotation dict of sample ``idx`` (before the pipeline)."""
        pos = int(self._positions[idx])
        if self._store is not None:
            info = self._store.sample(pos)
        else:
            anno = self._list[pos]  # type: ignore[index]
            info = {k: (np.array(v, dtype=np.float32) if k in ("keypoint", "keypoint_score")
                        else v) for k, v in anno.items()}
            info["total_frames"] = info["keypoint"].shape[1]
        info["label"] = int(self._labels[idx])
        info["sample_idx"] = idx
        return info

    def prepare_data(self, idx: int) -> Any:
        return self.pipeline(self.get_data_info(idx))

    def set_epoch_seed(self, seed: int, epoch: int) -> None:
        """Called before each training epoch (RngStateHook); see :class:`_EpochSeed`."""
        self._epoch_seed.set(seed, epoch)

    def __getitem__(self, idx: int) -> Any:
        self._epoch_seed.apply_in_worker()
        n = len(self)
        for attempt in range(self.max_refetch + 1):
            j = (idx + attempt) % n
            try:
                out = self.prepare_data(j)
                problem = None if out is not None else "the pipeline returned None"
            except BadSampleError as exc:
                problem = str(exc)
            except Exception as exc:  # a transform failed on this sample
                problem = f"{type(exc).__name__}: {exc}"
            if problem is None:
                return out
            name = self._frame_dir(j)
            if self.on_bad_sample == "raise":
                raise BadSampleError(f"sample {name!r} of {self.ann_file} failed in the "
                                     f"pipeline: {problem}")
            logger.warning("sample %r of %s failed in the pipeline (%s); using the next one",
                           name, self.ann_file, problem)
        raise DataError(f"{self.max_refetch + 1} consecutive samples from #{idx} of "
                        f"{self.ann_file} failed in the pipeline; last: {problem}")

    def _frame_dir(self, idx: int) -> str:
        pos = int(self._positions[idx])
        if self._store is not None:
            return str(self._store.frame_dirs[pos])
        return str(self._list[pos].get("frame_dir"))  # type: ignore[index]

    # spawned workers: never pickle the memory maps (they would be copied)
    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        if self._store is not None:
            store = PackedAnnotations.__new__(PackedAnnotations)
            store.__dict__.update(self._store.__dict__)
            store._arrays = {}
            state["_store"] = store
        return state

    def full_init(self) -> None:
        """mmengine calls this on lazily-initialised datasets; we are always ready."""


class _EpochSeed:
    """Re-seed DataLoader workers at every epoch from (seed, epoch, worker id).

    Persistent workers keep their random generators across epochs, so a run resumed
    at epoch ``e`` (fresh workers) would augment differently from the uninterrupted
    run. The main process writes ``(seed, epoch)`` into shared memory before the epoch's
    iterator exists; a worker that sees a new epoch re-seeds Python, numpy and torch,
    so augmentation depends only on (seed, epoch, worker id) in both runs.
    """

    def __init__(self) -> None:
        import multiprocessing

        self._shared = multiprocessing.RawArray("q", 2)  # seed, epoch (-1: not set)
        self._shared[1] = -1
        self._seen = -1

    def set(self, seed: int, epoch: int) -> None:
        self._shared[0], self._shared[1] = int(seed), int(epoch)

    def apply_in_worker(self) -> None:
        epoch = self._shared[1]
        if epoch < 0 or epoch == self._seen:
            return
        import torch.utils.data

        info = torch.utils.data.get_worker_info()
        if info is None:  # main process: RngStateHook restores its generators
            return
        import random

        import torch

        self._seen = epoch
        seed = int(np.random.SeedSequence([int(self._shared[0]) & (2 ** 63 - 1), epoch,
                                           info.id]).generate_state(1)[0])
        random.seed(seed)
        np.random.seed(seed)
        torch.manual_seed(seed)


class NTUSkeleton2DDataset(NTUSkeletonDataset):
    """2-D variant: ``keypoint [M,T,V,2]`` + ``keypoint_score [M,T,V]`` + ``img_shape``."""


def build_pipeline(pipeline: Sequence[Union[dict, Callable]]) -> Callable:
    """mmengine's ``Compose`` of transforms given as registry configs (role ``transform``) or callables.

    The configs are built through hhir's registry (lazy plugin entries, helpful misses), so
    this works without mmengine's default scope being set.
    """
    from mmengine.dataset import Compose

    from ..registry import build

    steps = []
    for t in pipeline or ():
        if isinstance(t, dict):
            steps.append(build("transform", dict(t)))
        elif callable(t):
            steps.append(t)
        else:
            raise DataError(f"pipeline step {t!r} is neither a config dict nor callable")
    return Compose(steps)
