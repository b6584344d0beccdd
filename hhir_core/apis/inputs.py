"""Turn what a user hands to :func:`hhir_core.apis.inference` into an :class:`InferenceInput`.

Accepted: a video file path, a raw NTU ``.skeleton`` file, an annotation entry (a dict
with ``keypoint`` ``[M,T,V,C]``, as in the annotation pickles), a ``[M,T,V,C]`` array
or a :class:`~hhir_core.structures.SkeletonSeq`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import DataError
from .recognizer import InferenceInput

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg")


def to_input(obj: Any) -> InferenceInput:
    """One user input -> :class:`InferenceInput` (a clear :class:`DataError` otherwise)."""
    import numpy as np

    from ..structures import SkeletonSeq

    if isinstance(obj, InferenceInput):
        return obj
    if isinstance(obj, SkeletonSeq):
        return InferenceInput(name="skeleton", skeleton=obj)
    if isinstance(obj, dict):
        return _from_annotation(obj)
    if isinstance(obj, (str, Path)):
        path = Path(obj)
        if not path.is_file():
            raise DataError(f"input {obj} does not exist")
        suffix = path.suffix.lower()
        if suffix == ".skeleton":
            return _from_skeleton_file(path)
        if suffix in VIDEO_SUFFIXES:
            return InferenceInput(name=str(obj), video=str(path))
        raise DataError(f"input {obj}: unknown kind {suffix!r} (a video {', '.join(VIDEO_SUFFIXES)}, "
                        "or a raw NTU .skeleton file)")
    if hasattr(obj, "shape"):  # numpy array or tensor
        kp = np.asarray(obj.detach().cpu() if hasattr(obj, "detach") else obj, np.float32)
        if kp.ndim != 4:
            raise DataError(f"keypoint array has shape {list(kp.shape)}; expected [M,T,V,C]")
        return InferenceInput(name="array", skeleton=SkeletonSeq(keypoint=kp))
    raise DataError(f"cannot run inference on a {type(obj).__name__}: pass a video or .skeleton "
                    "path, an annotation dict, a [M,T,V,C] array or a SkeletonSeq")


def _from_annotation(ann: dict) -> InferenceInput:
    import numpy as np

    from ..structures import SkeletonSeq

    name = str(ann.get("frame_dir", "annotation"))
    if "keypoint" not in ann:
        raise DataError(f"annotation {name!r} has no 'keypoint'")
    kp = np.asarray(ann["keypoint"], np.float32)
    if kp.ndim != 4:
        raise DataError(f"annotation {name!r}: keypoint shape {list(kp.shape)}, expected [M,T,V,C]")
    score = ann.get("keypoint_score")
    seq = SkeletonSeq(keypoint=kp, score=None if score is None else np.asarray(score, np.float32),
                      img_shape=tuple(ann["img_shape"]) if "img_shape" in ann else None)
    label = ann.get("label")
    return InferenceInput(name=name, skeleton=seq, label=None if label is None else int(label))


def _from_skeleton_file(path: Path) -> InferenceInput:
    from ..data.ntu_raw import read_skeleton_file, skeleton_to_annotation

    raw = read_skeleton_file(path)
    try:
        ann = skeleton_to_annotation(raw, kind="3d")
    except DataError:  # a file name without an A-number: no ground truth
        ann = skeleton_to_annotation(raw, kind="3d", label=-1)
    if ann["keypoint"].shape[0] == 0:
        raise DataError(f"{path}: no body with non-zero joints")
    item = _from_annotation(ann)
    item.name = str(path)
    if item.label is not None and item.label < 0:
        item.label = None
    return item


__all__ = ["to_input", "VIDEO_SUFFIXES"]
