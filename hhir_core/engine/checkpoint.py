"""Safe checkpoint loading: ``weights_only=True`` everywhere, never code from weights.

:func:`install_safe_loader` replaces mmengine's local-file loader with one that
passes ``weights_only=True`` explicitly (torch >= 2.6 defaults to it, but we do
not rely on defaults) and registers the data-only reductions of
:func:`hhir_core.compat.enable_safe_checkpoints`.
"""
from __future__ import annotations

import contextlib
import logging
import os
import re
import zipfile
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

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
    problem = damage(path)
    if problem:
        raise DataError(f"checkpoint {path} is corrupt ({problem}); delete it or use an "
                        "older one (--resume auto falls back to the newest intact one)")
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        found = re.search(r"(?:Unsupported global: GLOBAL|unsupported GLOBAL) ([\w.]+)",
                          str(exc))
        if found:
            raise DataError(f"refusing to load {path}: it refers to {found.group(1)}, which is "
                            "not on the safe allow-list of plain tensors and containers (hhir "
                            "never runs code from checkpoint files)") from None
        raise DataError(f"checkpoint {path} is corrupt or not a torch checkpoint "
                        f"({str(exc).splitlines()[0][:160]})") from None
    except (RuntimeError, EOFError, ValueError, OSError) as exc:
        raise DataError(f"checkpoint {path} is unreadable (truncated or not a torch file): "
                        f"{str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__}") \
            from None


def damage(path: str) -> str:
    """What is wrong with a checkpoint file's container, or ``""`` if it looks intact.

    ``torch.save`` writes a zip archive with a CRC per member, so truncation and
    flipped bytes are found without unpickling anything; the pre-1.6 format is a
    bare pickle starting with the protocol byte.
    """
    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except OSError as exc:
        return f"cannot read it: {exc}"
    if not head:
        return "empty file"
    if head[:2] == b"PK":
        try:
            with zipfile.ZipFile(path) as zf:
                bad = zf.testzip()
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            return f"truncated or damaged archive: {exc}"
        except Exception as exc:  # zlib / struct errors on garbage
            return f"damaged archive: {type(exc).__name__}"
        return f"member {bad} fails its CRC check" if bad else ""
    if head[:1] == b"\x80":
        return ""  # legacy (pre-zip) torch format: torch.load checks it
    return "not a torch checkpoint: random or foreign bytes"


def _atomic_write_bytes(path: str, data: bytes) -> None:
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(os.path.dirname(path) or ".")


def fsync_dir(directory: str) -> None:
    """Make a rename in ``directory`` durable (no-op where directories cannot be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


_STEP = re.compile(r"^(epoch|iter)_(\d+)\.pth$")


def list_checkpoints(work_dir: str) -> List[str]:
    """``epoch_N.pth`` / ``iter_N.pth`` in ``work_dir``, newest step first."""
    if not os.path.isdir(work_dir):
        return []
    found = []
    for name in os.listdir(work_dir):
        m = _STEP.match(name)
        if m:
            found.append((int(m.group(2)), name))
    return [os.path.join(work_dir, n) for _, n in sorted(found, reverse=True)]


def newest_intact_checkpoint(work_dir: str) -> Tuple[Optional[str], List[str]]:
    """The checkpoint to resume from and notes on what was skipped.

    The ``last_checkpoint`` marker wins when it points at an intact file; otherwise the
    newest intact ``epoch_N.pth`` / ``iter_N.pth`` is used and the notes say why.
    """
    notes: List[str] = []
    marker = os.path.join(work_dir, "last_checkpoint")
    candidates = list_checkpoints(work_dir)
    if os.path.isfile(marker):
        with open(marker) as f:
            target = f.read().strip()
        if target and not os.path.isabs(target):
            target = os.path.join(work_dir, target)
        if target and os.path.isfile(target):
            problem = damage(target)
            if not problem:
                return target, notes
            notes.append(f"{target} is corrupt ({problem})")
        elif target:
            notes.append(f"the marker points at {target}, which does not exist")
        candidates = [c for c in candidates if os.path.abspath(c) != os.path.abspath(target)]
    for path in candidates:
        problem = damage(path)
        if not problem:
            return path, notes
        notes.append(f"{path} is corrupt ({problem})")
    return None, notes


def frozen_key_filter(model: Any) -> Callable[[str], bool]:
    """``key -> True`` for state keys a checkpoint may lack (frozen weights).

    Those are the parameters that do not train and everything under a
    ``frozen_state_prefixes`` entry of the model or of any sub-module (the weights
    :class:`~hhir_core.engine.hooks.TrainableCheckpointHook` leaves out; they come
    from their pretrained source when the model is built).
    """
    frozen = {n for n, p in model.named_parameters() if not p.requires_grad}
    prefixes: List[str] = []
    for name, module in model.named_modules():
        for prefix in getattr(module, "frozen_state_prefixes", ()) or ():
            prefixes.append(f"{name}.{prefix}" if name else str(prefix))
    prefix_tuple = tuple(prefixes)
    return lambda key: key in frozen or (bool(prefix_tuple) and key.startswith(prefix_tuple))


def check_state_dict(model: Any, state: Dict[str, Any], source: str,
                     init_only: bool = False) -> List[str]:
    """Refuse a checkpoint that does not fit ``model`` (one line, first few keys).

    Unexpected keys and shape mismatches are errors; missing keys are allowed only
    for frozen weights (see :func:`frozen_key_filter`). ``init_only`` (``load_from``
    starting a new stage or fine-tune) also lets trainable weights the checkpoint
    does not have start fresh (e.g. token embeddings added by a later stage); they
    are returned so the caller can say so.
    """
    full = getattr(model, "_hhir_full_state_dict", None) or model.state_dict
    own = full()
    state = {re.sub(r"^module\.", "", k): v for k, v in state.items()}
    unexpected = [k for k in state if k not in own]
    mismatched = [f"{k} {tuple(state[k].shape)} vs {tuple(own[k].shape)}" for k in state
                  if k in own and hasattr(state[k], "shape") and hasattr(own[k], "shape")
                  and tuple(state[k].shape) != tuple(own[k].shape)]
    may_miss = frozen_key_filter(model)
    missing = [k for k in own if k not in state and not may_miss(k)]
    fresh: List[str] = []
    if init_only:
        fresh, missing = missing, []
    problems = []
    if mismatched:
        problems.append(f"{len(mismatched)} shape mismatch(es) (checkpoint vs model): "
                        + "; ".join(mismatched[:3]))
    if unexpected:
        problems.append(f"{len(unexpected)} unexpected key(s): {', '.join(unexpected[:3])}")
    if missing:
        problems.append(f"{len(missing)} missing trainable key(s): {', '.join(missing[:3])}")
    if problems:
        raise DataError(f"checkpoint {source} does not fit the model "
                        f"{type(model).__name__} (another config or width?): "
                        + " | ".join(problems))
    return fresh


@contextlib.contextmanager
def _load_report_to_logger() -> Iterator[None]:
    """Within: mmengine's state-dict mismatch report goes to the current logger, not print()."""
    import mmengine.runner.checkpoint as mmengine_checkpoint

    original = mmengine_checkpoint.print_log

    def print_log(msg: Any, logger: Any = None, level: int = logging.INFO) -> None:
        original(msg, logger="current" if logger is None else logger, level=level)

    mmengine_checkpoint.print_log = print_log
    try:
        yield
    finally:
        mmengine_checkpoint.print_log = original


def strict_checkpoint_loading(runner: Any, init_only: bool = False) -> None:
    """Make ``runner.load_checkpoint`` (load_from, resume, test) check the state first.

    ``init_only``: the checkpoint initialises a training run (``load_from`` without
    resume), so new trainable weights may be missing (see :func:`check_state_dict`).
    """
    original = runner.load_checkpoint

    def load_checkpoint(filename: str, map_location: Any = "cpu", strict: bool = False,
                        revise_keys: Any = ((r"^module.", ""),)) -> Dict[str, Any]:
        model = runner.model.module if hasattr(runner.model, "module") else runner.model
        checkpoint = safe_load(filename, map_location="cpu")
        fresh = check_state_dict(model, checkpoint.get("state_dict", checkpoint), filename,
                                 init_only=init_only and not getattr(runner, "_resume", False))
        if fresh:
            print(f"[hhir] {len(fresh)} trainable weight(s) not in {filename} start fresh: "
                  f"{', '.join(fresh[:3])}{', ...' if len(fresh) > 3 else ''}", flush=True)
        # mmengine print()s every key the checkpoint lacks (all frozen weights of a trainable-only
        # checkpoint); the state was checked above, so its report goes through the run's logger,
        # whose known-noise filter drops it
        with _load_report_to_logger():
            return original(filename, map_location=map_location, strict=False,
                            revise_keys=list(revise_keys))

    runner.load_checkpoint = load_checkpoint


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
