"""The bad-data policy of the skeleton datasets (documented in docs/data.md).

Two kinds of problems, handled differently so that a long training run never dies
in the middle of an epoch because of one broken sample:

* **file-level** (missing file, truncated/corrupt pickle, wrong top-level structure,
  unknown split): always a :class:`~hhir_core.errors.DataError` at *open* time, naming
  the file and saying what to do.
* **sample-level** (wrong joint count, NaN/inf keypoints, empty sequence, missing
  keys, bad label): with ``on_bad_sample='skip'`` (default) the sample is logged with
  its ``frame_dir`` and the reason and dropped from the index (at pack/load time);
  failures that only show up in the pipeline at ``__getitem__`` time are logged and
  the next valid sample is substituted. With ``on_bad_sample='raise'`` both raise a
  ``DataError`` naming the sample.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, Optional

import numpy as np

from ..errors import DataError

POLICIES = ("skip", "raise")
logger = logging.getLogger("hhir.data")


class BadSampleError(DataError):
    """One sample is unusable; the message names it and the reason."""


def check_policy(policy: str) -> str:
    """Validate the ``on_bad_sample`` config value."""
    if policy not in POLICIES:
        raise DataError(f"on_bad_sample must be one of {POLICIES}, got {policy!r}")
    return policy


def sample_problem(anno: Any, num_joints: Optional[int] = 25,
                   num_classes: Optional[int] = None) -> Optional[str]:
    """Why ``anno`` is unusable, or ``None`` if it is fine.

    Checks: dict with ``keypoint``; keypoint is ``[M,T,V,C]`` with ``M >= 1``,
    ``T >= 1``, ``V == num_joints`` (if given), ``C in (2, 3)``; all values finite;
    not all-zero; an int label in range; ``keypoint_score`` (if present) ``[M,T,V]``
    and finite.
    """
    if not isinstance(anno, dict):
        return f"annotation is a {type(anno).__name__}, not a dict"
    kp = anno.get("keypoint")
    if kp is None:
        return "no 'keypoint' array"
    kp = np.asarray(kp)
    if kp.ndim != 4:
        return f"keypoint has shape {tuple(kp.shape)}, expected [M,T,V,C]"
    m, t, v, c = kp.shape
    if m == 0 or t == 0:
        return f"empty sequence (keypoint shape {tuple(kp.shape)})"
    if num_joints is not None and v != num_joints:
        return f"wrong joint count: {v} joints, expected {num_joints}"
    if c not in (2, 3):
        return f"keypoint has {c} coordinates per joint, expected 2 or 3"
    if not kp.dtype.kind == "f":
        return f"keypoint dtype {kp.dtype} is not floating point"
    if not np.isfinite(kp).all():
        bad = int((~np.isfinite(kp)).sum())
        return f"{bad} NaN/inf keypoint values"
    if not np.any(kp):
        return "all keypoints are zero (empty sequence)"
    label = anno.get("label")
    if label is None or isinstance(label, bool) or not isinstance(label, (int, np.integer)):
        return f"label {label!r} is not an integer"
    if label < 0 or (num_classes is not None and label >= num_classes):
        return f"label {label} out of range"
    score = anno.get("keypoint_score")
    if score is not None:
        score = np.asarray(score)
        if score.shape != (m, t, v):
            return f"keypoint_score shape {tuple(score.shape)} != {(m, t, v)}"
        if not np.isfinite(score).all():
            return "NaN/inf keypoint_score values"
    return None


def report_bad(frame_dir: str, reason: str, source: str, policy: str) -> None:
    """Apply the policy to one bad sample: log it (skip) or raise (raise)."""
    msg = f"bad sample {frame_dir!r} in {source}: {reason}"
    if policy == "raise":
        raise BadSampleError(msg + " (on_bad_sample='raise'; use 'skip' to drop such samples)")
    logger.warning(msg + " -- skipped")


def frame_dir_of(anno: Any, index: int) -> str:
    """A name for an annotation in messages (its frame_dir, else its position)."""
    if isinstance(anno, dict) and anno.get("frame_dir") is not None:
        return str(anno["frame_dir"])
    return f"<annotation #{index}>"


def summarize(bad: Dict[str, str], limit: int = 5) -> str:
    """Short text for a set of dropped samples (first ``limit`` with reasons)."""
    items = list(bad.items())[:limit]
    more = f" and {len(bad) - limit} more" if len(bad) > limit else ""
    return "; ".join(f"{k}: {v}" for k, v in items) + more
