"""Contained fixes for known third-party breakages (docs/architecture.md, "Install recipe"), one function each.

Every fix is idempotent and has a test in ``tests/test_compat.py``:

* :func:`silence_known_noise` – third-party warnings printed on every run that
  ask nothing of the user (listed in :data:`KNOWN_NOISE`).

* :func:`import_mmaction_models` – mmaction2 1.2.0 wheels lack
  ``mmaction/models/localizers/drn`` (upstream issue #2714) and enable
  multimodal models that import names removed in transformers 5.
* :func:`enable_safe_checkpoints` – torch >= 2.6 loads with
  ``weights_only=True``; mmengine's message hub stores ``HistoryBuffer`` objects
  whose pickle goes through ``builtins.getattr``. We give ``HistoryBuffer`` a
  data-only reduction and allow-list only that class and numpy's array
  rebuilders — never ``getattr``.
"""
from __future__ import annotations

import copyreg
import importlib
import importlib.util
import logging
import sys
import types
import warnings
from typing import Any

_SAFE_DONE = False


def import_mmaction_models() -> types.ModuleType:
    """Import ``mmaction.models`` with the work-arounds of docs/architecture.md ("Install recipe") applied."""
    if "mmaction.models" in sys.modules:
        return sys.modules["mmaction.models"]
    dependency = importlib.import_module("mmaction.utils.dependency")
    dependency.WITH_MULTIMODAL = False  # its multimodal models need transformers<5
    drn = "mmaction.models.localizers.drn"
    if importlib.util.find_spec("mmaction") is not None and drn + ".drn" not in sys.modules:
        try:
            importlib.import_module(drn + ".drn")
        except ImportError:
            # localizers/__init__ does `from .drn.drn import DRN`: stub both levels
            package = types.ModuleType(drn)
            package.__path__ = []  # type: ignore[attr-defined]
            module = types.ModuleType(drn + ".drn")
            module.__doc__ = "hhir stub: missing from the mmaction2 1.2.0 wheel (issue #2714)"
            module.DRN = None  # type: ignore[attr-defined]
            package.drn = module  # type: ignore[attr-defined]
            sys.modules[drn], sys.modules[drn + ".drn"] = package, module
    return importlib.import_module("mmaction.models")


def _reduce_history_buffer(buf: Any) -> tuple:
    from mmengine.logging.history_buffer import HistoryBuffer

    logs = [float(x) for x in buf._log_history]
    counts = [int(x) for x in buf._count_history]
    return (HistoryBuffer, (logs, counts, int(buf.max_length)))


def enable_safe_checkpoints() -> None:
    """Make mmengine checkpoints loadable with ``torch.load(weights_only=True)``."""
    global _SAFE_DONE
    if _SAFE_DONE:
        return
    import numpy as np
    import torch
    from mmengine.logging.history_buffer import HistoryBuffer

    copyreg.pickle(HistoryBuffer, _reduce_history_buffer)
    allowed: list = [HistoryBuffer, np.ndarray, np.dtype]
    try:  # numpy>=1.25 exposes the rebuild helpers here
        from numpy.core.multiarray import _reconstruct, scalar  # type: ignore

        allowed += [_reconstruct, scalar]
    except Exception:  # pragma: no cover - numpy layout changes
        pass
    allowed += [type(np.dtype(t)) for t in ("float64", "float32", "int64", "int32", "bool")]
    torch.serialization.add_safe_globals(allowed)
    _SAFE_DONE = True


_CPU_DIST_DONE = False


def enable_cpu_distributed() -> None:
    """Let ``--launcher pytorch`` work on machines without CUDA (gloo backend)."""
    global _CPU_DIST_DONE
    if _CPU_DIST_DONE:
        return
    import mmengine.dist.utils as dist_utils
    import torch

    original = dist_utils._init_dist_pytorch

    def init_dist_pytorch(backend: str, init_backend: str = "torch", **kwargs: Any) -> None:
        if torch.cuda.is_available():
            return original(backend, init_backend=init_backend, **kwargs)
        torch.distributed.init_process_group(backend="gloo", **kwargs)

    dist_utils._init_dist_pytorch = init_dist_pytorch
    _CPU_DIST_DONE = True


#: third-party messages that say nothing actionable to an hhir user (each seen on every run):
#: mmengine's default scope 'hhir' has no ``hhir.registry`` module to import (the registries
#: live in hhir_core and are found through the scope's children); mmengine's own FileClient
#: deprecations, raised from inside mmengine; metrics deliberately without a prefix; the path
#: mmengine announces on every checkpoint load and its list of the frozen weights a
#: trainable-only checkpoint leaves out (hhir checks the state itself and names trainable weights
#: that start fresh); transformers' rename of ``past_key_values`` (the keyword older releases need).
KNOWN_NOISE = ("Failed to import `None.registry`", "Failed to import `hhir.registry`",
               '"FileClient" will be deprecated', '"HardDiskBackend" is the alias',
               "The prefix is not set in metric class", "Loads checkpoint by local backend",
               "The model and loaded state dict do not match exactly",
               "`past_key_values`/`cache_params` are deprecated")


class _DropKnownNoise(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not any(noise in message for noise in KNOWN_NOISE)


_NOISE_FILTER = _DropKnownNoise()


def silence_known_warnings() -> None:
    """Ignore known third-party warnings (no mmengine import: safe for light commands).

    mmcv-lite has no compiled ops, so importing ``mmcv.cnn`` warns that
    ``MultiScaleDeformableAttention`` is missing; no hhir model uses it. peft reads
    transformers' deprecated ``is_gradient_checkpointing`` when it wraps a model with LoRA.
    The KV-cache keyword ``past_key_values`` is the one every supported transformers accepts.
    """
    warnings.filterwarnings("ignore", message=".*MultiScaleDeformableAttention.*")
    warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*deprecated.*",
                            category=FutureWarning)
    warnings.filterwarnings("ignore", message=".*`past_key_values` is deprecated.*",
                            category=FutureWarning)
    generic = logging.getLogger("transformers.utils.generic")
    if _NOISE_FILTER not in generic.filters:
        generic.addFilter(_NOISE_FILTER)


def silence_known_noise(logger: Any = None) -> None:
    """Drop :data:`KNOWN_NOISE` from mmengine loggers and the known third-party warnings."""
    silence_known_warnings()
    from mmengine.logging import MMLogger

    targets = [MMLogger.get_instance("mmengine"), MMLogger.get_current_instance()]
    if logger is not None:
        targets.append(logger)
    for target in targets:
        if _NOISE_FILTER not in target.filters:
            target.addFilter(_NOISE_FILTER)
