"""Every constructor option of a registered component has a user.

A knob no shipped config sets is dead weight that tests keep alive. This walks every
component the core and the shipped plugins register and looks for each ``__init__``
parameter as a key in some shipped config. Parameters inherited from mmengine's base
classes (``metainfo``, ``collect_device``, CheckpointHook's options, ...) are mmengine's
contract, not ours. What is left must be in :data:`USERS`, which names who sets it.
"""
from __future__ import annotations

import inspect
import re
from functools import lru_cache
from pathlib import Path
from typing import Dict, Set

from hhir_core.registry import iter_components, resolve

ROOT = Path(__file__).resolve().parents[1]
CONFIG_GLOBS = ("configs/**/*.py", "plugins/*/configs/**/*.py", "hhir_core/configs/**/*.py")
#: providers whose components are audited: the core and the plugins shipped in this repository
PROVIDERS = {"hhir_core"} | {p.name for p in (ROOT / "plugins").iterdir() if p.is_dir()}
#: never options: the config's ``type`` and mmengine's model plumbing
NOT_OPTIONS = {"self", "type", "data_preprocessor", "init_cfg"}

#: "Component.option" -> who sets it, for options no shipped config names.
USERS: Dict[str, str] = {
    # filled in by the runner or a tool, not by a config
    "ProgressHook.stage_index": "hhir_core.engine.runner adds one ProgressHook per stage",
    "ProgressHook.stage_name": "hhir_core.engine.runner adds one ProgressHook per stage",
    "SyntheticBenchmark.size": "tools/data/make_synthetic.py --size",
    "SyntheticBenchmark.frames": "tools/data/make_synthetic.py --frames",
    "SyntheticBenchmark.workers": "tools/data/make_synthetic.py --workers",
    "NTUSkeletonDataset.packed": "benchmarks/bench_ntu_dataset.py (pickle vs packed reading)",
    "NTUSkeleton2DDataset.packed": "benchmarks/bench_ntu_dataset.py (pickle vs packed reading)",
    "NTUSkeletonDataset.cache_dir": "a read-only data folder: the DataError when the packed "
                                    "copy cannot be written asks for it",
    "NTUSkeleton2DDataset.cache_dir": "a read-only data folder: the DataError when the packed "
                                      "copy cannot be written asks for it",
    "TextEncoderHead.cache_size": "hhir_core.llm.sentence_similarity (0: every text is new)",
    # mmengine's dataset arguments, accepted so configs written for mmaction2 datasets work
    "NTUSkeletonDataset.metainfo": "mmengine BaseDataset argument (configs from mmaction2)",
    "NTUSkeletonDataset.max_refetch": "mmengine BaseDataset argument (configs from mmaction2)",
    "NTUSkeleton2DDataset.metainfo": "mmengine BaseDataset argument (configs from mmaction2)",
    "NTUSkeleton2DDataset.max_refetch": "mmengine BaseDataset argument (configs from mmaction2)",
    "VideoPoseDataset.metainfo": "mmengine BaseDataset argument (configs from mmaction2)",
    "VideoPoseDataset.annotations": "PeVLRecognizer's single-video inference builds it",
    # the video front end's tools take a component by name plus its options
    "MMPoseSource.pose2d": "tools/data/extract_poses.py --pose-source mmpose --source-cfg",
    "MMPoseSource.det_model": "tools/data/extract_poses.py --pose-source mmpose --source-cfg",
    "GroundTruthMaskSegmenter.mask_root": "the dataset's mask folder; no default fits every dataset",
    "SharedCLIPPoseEncoder.clip": "its tiny() for the conformance kit and the swap matrix's "
                                  "skeleton slots, where no video encoder attaches its layers",
    "OpenCVPersonSegmenter.work_width": "its tiny() for the conformance kit and SAM 2's prompt "
                                        "in tests (96 px); real footage keeps 480",
}


@lru_cache(maxsize=1)
def _config_text() -> str:
    return "\n".join(f.read_text() for pattern in CONFIG_GLOBS for f in ROOT.glob(pattern))


def _inherited(cls: type) -> Set[str]:
    """Constructor parameters a class takes over from mmengine base classes."""
    names: Set[str] = set()
    for base in cls.__mro__[1:]:
        if base.__module__.startswith("mmengine") and "__init__" in vars(base):
            names |= set(inspect.signature(base.__init__).parameters)
    return names


def _unused_options() -> Dict[str, str]:
    """``"Component.option" -> provider`` for every option no shipped config names."""
    text = _config_text()
    unused = {}
    for role, name, provider in iter_components():
        if provider not in PROVIDERS:
            continue
        obj = resolve(role, name)
        init = obj.__init__ if inspect.isclass(obj) else obj
        skip = NOT_OPTIONS | (_inherited(obj) if inspect.isclass(obj) else set())
        for p in inspect.signature(init).parameters.values():
            if p.name in skip or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                continue
            if not re.search(rf"\b{p.name}\s*=|['\"]{p.name}['\"]\s*:", text):
                unused[f"{name}.{p.name}"] = provider
    return unused


def test_every_option_has_a_user() -> None:
    unused = _unused_options()
    orphans = sorted(set(unused) - set(USERS))
    assert not orphans, ("options no shipped config sets and no one is named as using: "
                         f"{orphans}; remove them, use them in a config, or name the user "
                         "in tests/test_option_audit.py USERS")


def test_no_stale_entries() -> None:
    """An entry whose option is gone or now set by a config is removed from USERS."""
    stale = sorted(set(USERS) - set(_unused_options()))
    assert not stale, f"USERS names options that are set by a config or no longer exist: {stale}"
