"""Safe checkpoint loading: ``weights_only=True`` everywhere, never code from weights.

:func:`install_safe_loader` replaces mmengine's local-file loader with one that
passes ``weights_only=True`` explicitly (torch >= 2.6 defaults to it, but we do
not rely on defaults) and registers the data-only reductions of
:func:`hhir_core.compat.enable_safe_checkpoints`.
"""
from __future__ import annotations

import os
from typing import Any, Dict, Optional

from ..errors import DataError

_INSTALLED = False


def safe_load(path: str, map_location: Any = "cpu") -> Dict[str, Any]:
    """Load a checkpoint with ``torch.load(weights_only=True)``; clear errors."""
    import pickle

    import torch

    from ..compat import enable_safe_checkpoints

    enable_safe_checkpoints()
    path = os.path.expanduser(path)
    if not os.path.isfile(path):
        raise DataError(f"checkpoint not found: {path}")
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        raise DataError(
            f"refusing to load {path}: it needs globals outside the safe allow-list "
            f"(weights_only=True). hhir never turns the weights-only loader off. "
            f"Details: {str(exc).splitlines()[0]}") from None
    except (RuntimeError, EOFError) as exc:
        raise DataError(f"checkpoint {path} is unreadable (truncated or not a torch file): "
                        f"{exc}") from None


def install_safe_loader() -> None:
    """Route mmengine's checkpoint loading for local paths through :func:`safe_load`."""
    global _INSTALLED
    if _INSTALLED:
        return
    from mmengine.runner.checkpoint import CheckpointLoader

    def load_from_local(filename: str, map_location: Optional[Any] = None) -> Dict[str, Any]:
        return safe_load(filename, map_location=map_location)

    CheckpointLoader.register_scheme(prefixes="", loader=load_from_local, force=True)
    _INSTALLED = True


def trainable_state_dict(model: Any, state: Dict[str, Any]) -> Dict[str, Any]:
    """Keep trainable parameters and buffers not under ``model.frozen_state_prefixes``."""
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    params = {n for n, _ in model.named_parameters()}
    frozen_prefixes = tuple(getattr(model, "frozen_state_prefixes", ()) or ())
    out = type(state)()
    for key, value in state.items():
        if key in params:
            if key in trainable:
                out[key] = value
        elif not (frozen_prefixes and key.startswith(frozen_prefixes)):
            out[key] = value
    if hasattr(state, "_metadata"):
        out._metadata = state._metadata  # type: ignore[attr-defined]
    return out
