"""Hooks every hhir run uses (registered in ``hook``; added by default_runtime)."""
from __future__ import annotations

import json
import math
import os
from typing import Any, Dict, Optional

from mmengine.hooks import Hook

from . import provenance
from .checkpoint import trainable_state_dict


class ProvenanceHook(Hook):
    """Write ``provenance.json`` into the work dir before the run starts."""

    priority = "VERY_HIGH"

    def before_run(self, runner: Any) -> None:
        if getattr(runner, "rank", 0) == 0:
            provenance.write(os.path.join(runner.work_dir, "provenance.json"), runner.cfg,
                             seed=runner.seed)


class TrainableCheckpointHook(Hook):
    """Checkpoints hold only trainable weights (frozen LLMs are never re-written).

    The model's ``state_dict`` is filtered *before* mmengine copies it to the
    CPU, so a frozen 13B backbone costs neither disk nor a device-to-host copy.
    Loading is non-strict (mmengine's default), frozen weights come from their
    pretrained source when the model is built.
    """

    priority = "VERY_HIGH"

    def before_run(self, runner: Any) -> None:
        model = runner.model.module if hasattr(runner.model, "module") else runner.model
        if getattr(model, "_hhir_full_state_dict", None) is not None:
            return
        full = model.state_dict

        def state_dict(*args: Any, **kwargs: Any) -> Dict[str, Any]:
            return trainable_state_dict(model, full(*args, **kwargs))

        model._hhir_full_state_dict = full
        model.state_dict = state_dict

    def after_run(self, runner: Any) -> None:
        model = runner.model.module if hasattr(runner.model, "module") else runner.model
        full = getattr(model, "_hhir_full_state_dict", None)
        if full is not None:
            model.state_dict = full
            model._hhir_full_state_dict = None


def _flat_numbers(metrics: Dict[str, Any], prefix: str = "") -> Dict[str, float]:
    out: Dict[str, float] = {}
    for key, value in (metrics or {}).items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flat_numbers(value, name + "/"))
            continue
        try:
            number = float(value)
        except (TypeError, ValueError):
            continue
        if math.isfinite(number):
            out[name] = number
    return out


def update_metrics_file(path: str, metrics: Dict[str, Any], prefix: str = "") -> Dict[str, float]:
    """Merge flat ``name -> number`` metrics into ``path`` (created if missing)."""
    current: Dict[str, float] = {}
    if os.path.isfile(path):
        try:
            with open(path) as f:
                current = json.load(f)
        except (OSError, ValueError):
            current = {}
    current.update(_flat_numbers(metrics, prefix))
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(current, f, indent=2, sort_keys=True)
    os.replace(tmp, path)
    return current


class MetricsDumpHook(Hook):
    """Write final evaluation metrics to ``metrics.json`` (flat name -> number)."""

    priority = "LOW"
    filename = "metrics.json"

    def _dump(self, runner: Any, metrics: Optional[Dict[str, Any]], prefix: str) -> None:
        if metrics and getattr(runner, "rank", 0) == 0:
            update_metrics_file(os.path.join(runner.work_dir, self.filename), metrics, prefix)

    def after_val_epoch(self, runner: Any, metrics: Optional[Dict[str, Any]] = None) -> None:
        self._dump(runner, metrics, "")

    def after_test_epoch(self, runner: Any, metrics: Optional[Dict[str, Any]] = None) -> None:
        self._dump(runner, metrics, "test/")


from mmengine.hooks import CheckpointHook  # noqa: E402


class SafeCheckpointHook(CheckpointHook):
    """mmengine's CheckpointHook, crash-safe: a kill at any moment leaves a usable state.

    Each checkpoint is written to ``.<name>.tmp``, fsynced and renamed; only then is the
    ``last_checkpoint`` marker replaced (atomically), and only after that are checkpoints
    beyond ``max_keep_ckpts`` deleted. (mmengine deletes the old one first, so a kill
    during the write could leave no checkpoint at all.) Leftover ``.tmp`` files of a
    killed run are removed when training starts. Same arguments as ``CheckpointHook``.
    """

    def before_train(self, runner: Any) -> None:
        super().before_train(runner)
        if os.path.isdir(self.out_dir):
            for name in os.listdir(self.out_dir):
                if name.startswith(".") and ".pth.tmp" in name:
                    os.remove(os.path.join(self.out_dir, name))

    def _save_checkpoint_with_step(self, runner: Any, step: int, meta: Dict[str, Any]) -> None:
        from mmengine.dist import is_main_process

        from .checkpoint import _atomic_write_bytes, fsync_dir

        prune = []
        if self.max_keep_ckpts > 0 and not (self.keep_ckpt_ids and self.keep_ckpt_ids[-1] == step):
            while len(self.keep_ckpt_ids) >= self.max_keep_ckpts:  # a deque with maxlen
                prune.append(self.keep_ckpt_ids.popleft())
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info("keep_ckpt_ids", list(self.keep_ckpt_ids))
        name = self.filename_tmpl.format(step)
        self.last_ckpt = os.path.join(self.out_dir, name)
        runner.message_hub.update_info("last_ckpt", self.last_ckpt)
        tmp_name = f".{name}.tmp"
        runner.save_checkpoint(self.out_dir, tmp_name, self.file_client_args,
                               save_optimizer=self.save_optimizer,
                               save_param_scheduler=self.save_param_scheduler, meta=meta,
                               by_epoch=self.by_epoch, backend_args=self.backend_args,
                               **self.args)
        if not is_main_process():
            return
        tmp_path = os.path.join(self.out_dir, tmp_name)
        with open(tmp_path, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp_path, self.last_ckpt)
        fsync_dir(self.out_dir)
        _atomic_write_bytes(os.path.join(runner.work_dir, "last_checkpoint"),
                            self.last_ckpt.encode())
        for old in prune:
            path = os.path.join(self.out_dir, self.filename_tmpl.format(old))
            if os.path.isfile(path) and path != self.last_ckpt:
                os.remove(path)


class RngStateHook(Hook):
    """Save every random generator in the checkpoint and restore it on resume.

    mmengine re-seeds on resume, so dropout masks and main-process augmentation
    would differ from the uninterrupted run. The sampler's order is a function of
    (seed, epoch) and DataLoader workers are seeded from (seed, rank, worker id), so
    with these states restored a killed-and-resumed run repeats the uninterrupted
    one (bit for bit on CPU). States are restored just before the first training
    step (iteration-based loops first replay the data they skip).
    """

    priority = "VERY_LOW"

    def __init__(self) -> None:
        self._pending: Optional[Dict[str, Any]] = None

    def before_save_checkpoint(self, runner: Any, checkpoint: Dict[str, Any]) -> None:
        import random

        import numpy as np
        import torch

        kind, keys, pos, has_gauss, cached = np.random.get_state()
        checkpoint["hhir_rng"] = dict(
            python=random.getstate(),
            numpy=dict(kind=str(kind), keys=torch.from_numpy(np.asarray(keys, np.int64)),
                       pos=int(pos), has_gauss=int(has_gauss), cached=float(cached)),
            torch=torch.get_rng_state(),
            cuda=torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [])

    def after_load_checkpoint(self, runner: Any, checkpoint: Dict[str, Any]) -> None:
        if getattr(runner, "_resume", False) and checkpoint.get("hhir_rng"):
            self._pending = checkpoint["hhir_rng"]

    def _restore(self) -> None:
        import random

        import numpy as np
        import torch

        state, self._pending = self._pending, None
        if state is None:
            return
        version, internal, gauss = state["python"]
        random.setstate((version, tuple(internal), gauss))
        n = state["numpy"]
        np.random.set_state((n["kind"], n["keys"].numpy().astype(np.uint32), n["pos"],
                             n["has_gauss"], n["cached"]))
        torch.set_rng_state(state["torch"])
        if state.get("cuda") and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state["cuda"])

    def before_train_epoch(self, runner: Any) -> None:
        from mmengine.runner import IterBasedTrainLoop

        if not isinstance(runner.train_loop, IterBasedTrainLoop):
            self._restore()  # before the epoch's DataLoader iterator exists
            dataset = getattr(runner.train_dataloader, "dataset", None)
            if hasattr(dataset, "set_epoch_seed"):  # persistent workers: see _EpochSeed
                dataset.set_epoch_seed(runner.seed or 0, runner.epoch)

    def before_train_iter(self, runner: Any, batch_idx: int, data_batch: Any = None) -> None:
        self._restore()
