"""NTU RGB+D 60/120 class names and evaluation protocols, as project data.

The class lists are mmaction2's label maps (Apache-2.0; line i = label i = A-number
minus 1); the protocol facts (zero-shot unseen classes, two-person classes, the
cross-subject/-view/-setup rules) live in ``ntu_meta/protocols.json``. Everything
that needs "which classes / which subjects" asks this module, so the facts exist
in exactly one place.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional

from ..errors import DataError

META_DIR = Path(__file__).resolve().parent / "ntu_meta"
_FRAME_DIR_RE = re.compile(r"S(\d{3})C(\d{3})P(\d{3})R(\d{3})A(\d{3})")


@lru_cache(maxsize=None)
def _read_classes(name: str) -> tuple:
    text = (META_DIR / f"{name}_classes.txt").read_text(encoding="utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def ntu60_classes() -> List[str]:
    """The 60 NTU RGB+D class names, index = 0-based label."""
    return list(_read_classes("ntu60"))


def ntu120_classes() -> List[str]:
    """The 120 NTU RGB+D 120 class names (the first 60 equal NTU60's)."""
    return list(_read_classes("ntu120"))


def class_names(num_classes: int = 120) -> List[str]:
    """NTU class names for a 60- or 120-class problem."""
    if num_classes == 60:
        return ntu60_classes()
    if num_classes == 120:
        return ntu120_classes()
    raise DataError(f"NTU has 60 or 120 classes, not {num_classes}")


@lru_cache(maxsize=None)
def protocols() -> Dict:
    """The parsed ``ntu_meta/protocols.json`` (do not mutate)."""
    return json.loads((META_DIR / "protocols.json").read_text(encoding="utf-8"))


def zero_shot_split(name: str) -> List[int]:
    """0-based unseen labels of a zero-shot split, e.g. ``'ntu60_55_5'``.

    Known names: ``ntu60_55_5``, ``ntu60_48_12``, ``ntu120_110_10``, ``ntu120_96_24``
    and the SMIE random splits ``ntu60_split_1..3``, ``ntu120_split_4..6``.
    """
    p = protocols()
    for group in ("zero_shot_unseen", "zero_shot_unseen_random_smie"):
        if name in p[group]:
            return list(p[group][name])
    known = list(p["zero_shot_unseen"]) + list(p["zero_shot_unseen_random_smie"])
    raise DataError(f"unknown zero-shot split {name!r}; known: {', '.join(known)}")


def seen_classes(name: str) -> List[int]:
    """Complement of :func:`zero_shot_split` within the split's NTU60/120 label set."""
    total = 60 if name.startswith("ntu60") else 120
    unseen = set(zero_shot_split(name))
    return [c for c in range(total) if c not in unseen]


def mutual_classes(num_classes: int = 120) -> List[int]:
    """0-based labels of the two-person ("mutual") classes: 11 in NTU60, 26 in NTU120."""
    key = {60: "ntu60_mutual_11", 120: "ntu120_mutual_26"}.get(num_classes)
    if key is None:
        raise DataError(f"NTU has 60 or 120 classes, not {num_classes}")
    return list(protocols()["mutual_two_person"][key])


def xsub_train_subjects(version: str = "ntu120") -> List[int]:
    """1-based performer ids (the ``P`` field) in the cross-subject training set."""
    return list(protocols()["cross_subject_train_subjects"][version])


def xview_train_cameras() -> List[int]:
    """Cameras (the ``C`` field) in the cross-view training set (NTU60: 2 and 3)."""
    return list(protocols()["cross_view_train_cameras"]["ntu60"])


def xset_train_setups() -> List[int]:
    """Setups (the ``S`` field) in the NTU120 cross-setup training set (even 2..32)."""
    return list(protocols()["cross_setup_train_setups"]["ntu120"])


def parse_frame_dir(frame_dir: str) -> Optional[Dict[str, int]]:
    """``SsssCcccPpppRrrrAaaa`` -> dict(setup, camera, subject, replication, action).

    ``action`` is the 1-based A-number; ``None`` when the name does not follow it.
    """
    m = _FRAME_DIR_RE.search(frame_dir)
    if m is None:
        return None
    s, c, p, r, a = (int(g) for g in m.groups())
    return dict(setup=s, camera=c, subject=p, replication=r, action=a)


def standard_splits(frame_dirs: List[str], version: str = "ntu120") -> Dict[str, List[str]]:
    """The standard NTU splits of ``frame_dirs``: xsub (both), xview (NTU60), xset (NTU120).

    Names that do not follow the NTU pattern are left out of every split.
    """
    subj = set(xsub_train_subjects(version))
    cams = set(xview_train_cameras())
    sets = set(xset_train_setups())
    out: Dict[str, List[str]] = {k: [] for k in ("xsub_train", "xsub_val", "xview_train",
                                                 "xview_val", "xset_train", "xset_val")}
    for fd in frame_dirs:
        info = parse_frame_dir(fd)
        if info is None:
            continue
        out["xsub_train" if info["subject"] in subj else "xsub_val"].append(fd)
        out["xview_train" if info["camera"] in cams else "xview_val"].append(fd)
        out["xset_train" if info["setup"] in sets else "xset_val"].append(fd)
    if version == "ntu60":
        out.pop("xset_train"), out.pop("xset_val")
    return out
