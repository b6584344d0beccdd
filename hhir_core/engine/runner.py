"""Train/test entry points on mmengine's Runner, with multi-stage configs.

A config's optional ``stages = [dict(name=..., cfg=dict(...overrides...)), ...]``
runs in order, each in ``WORK_DIR/<name>/``; stage ``i`` starts from the last
checkpoint of stage ``i-1`` (``load_from``), a finished stage leaves
``stage_done.json`` and is skipped on re-runs, ``resume='auto'`` continues a
stage from its own last checkpoint, and ``stage=NAME`` re-runs one stage alone.
"""
from __future__ import annotations

import copy
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

from ..config import config_hash, load_config, require_keys, validate
from ..errors import ConfigError, DataError, HHIRError
from . import provenance
from .checkpoint import list_checkpoints, newest_intact_checkpoint
from .hooks import update_metrics_file

STAGE_DONE = "stage_done.json"
#: config keys that say where and how a stage runs, not what it trains: a finished stage is
#: still finished when only these differ
RUN_ONLY_KEYS = ("work_dir", "launcher", "resume", "load_from", "env_cfg", "visualizer", "log_level")
DEFAULT_HOOKS = ("ProvenanceHook", "TrainableCheckpointHook", "MetricsDumpHook", "CurvesHook",
                 "RngStateHook")


@dataclass
class RunOptions:
    """Command-line options shared by tools/train.py and tools/test.py."""
    work_dir: Optional[str] = None
    resume: Optional[str] = None  # None | "auto" | path
    amp: bool = False
    launcher: str = "none"
    seed: Optional[int] = None
    deterministic: bool = False
    stage: Optional[str] = None
    cfg_options: Dict[str, Any] = field(default_factory=dict)
    tensorboard: bool = False
    data: Optional[str] = None  # --data DIR: the config family's data_root


def prepare_config(config: str, opts: RunOptions, for_training: bool = True):
    """Load, override, validate; returns the config with ``work_dir`` set."""
    from ..compat import silence_known_noise

    silence_known_noise()
    cfg = load_config(config, opts.cfg_options)
    if opts.data:
        from ..config import retarget_data_root

        retarget_data_root(cfg, opts.data)
    if opts.work_dir:
        cfg.work_dir = opts.work_dir
    elif not cfg.get("work_dir"):
        cfg.work_dir = str(Path("work_dirs") / Path(cfg["_config_path"]).stem)
    randomness = dict(cfg.get("randomness") or {})
    if opts.seed is not None:
        randomness["seed"] = opts.seed
    if opts.deterministic:
        randomness["deterministic"] = True
    randomness.setdefault("seed", 0)
    cfg.randomness = randomness
    cfg.launcher = opts.launcher
    if opts.launcher != "none":
        _configure_distributed(cfg)
    if opts.amp:
        _enable_amp(cfg)
    if opts.tensorboard:
        _enable_tensorboard(cfg)
    validate(cfg)
    if for_training:
        require_keys(cfg, ["model", "train_dataloader", "train_cfg", "optim_wrapper"], "training")
        for stage in cfg.get("stages") or []:
            if "name" not in stage:
                raise ConfigError("stages: every stage needs a 'name'")
    _ensure_default_hooks(cfg)
    return cfg


def _configure_distributed(cfg: Any) -> None:
    import torch

    env = dict(cfg.get("env_cfg") or {})
    dist_cfg = dict(env.get("dist_cfg") or {})
    if not torch.cuda.is_available():
        dist_cfg["backend"] = "gloo"
        # DDP on CPU modules must not get device_ids (mmengine defaults to LOCAL_RANK)
        wrapper = dict(cfg.get("model_wrapper_cfg") or {})
        wrapper.setdefault("type", "MMDistributedDataParallel")
        wrapper["device_ids"] = None
        wrapper.setdefault("broadcast_buffers", False)
        wrapper.setdefault("find_unused_parameters", True)
        cfg.model_wrapper_cfg = wrapper
    env["dist_cfg"] = dist_cfg
    cfg.env_cfg = env


def _enable_amp(cfg: Any) -> None:
    import torch

    if not torch.cuda.is_available():
        raise ConfigError("--amp: mixed precision needs a CUDA device; none is available "
                          "(drop --amp on CPU)")
    optim = cfg.get("optim_wrapper")
    if optim is None:
        raise ConfigError("--amp: the config has no 'optim_wrapper'")
    if optim.get("type", "OptimWrapper") == "OptimWrapper":
        optim["type"] = "AmpOptimWrapper"
        optim.setdefault("loss_scale", "dynamic")


def _enable_tensorboard(cfg: Any) -> None:
    """Add mmengine's TensorBoard backend (``tensorboard --logdir WORK_DIR``)."""
    import importlib.util

    if importlib.util.find_spec("tensorboard") is None:
        raise ConfigError("--tensorboard needs the `tensorboard` package: "
                          "pip install 'hhir[tensorboard]' (tools/install.sh installs it)")
    visualizer = dict(cfg.get("visualizer") or dict(type="Visualizer"))
    backends = list(visualizer.get("vis_backends") or [dict(type="LocalVisBackend")])
    if not any(b.get("type") == "TensorboardVisBackend" for b in backends):
        backends.append(dict(type="TensorboardVisBackend"))
    visualizer["vis_backends"] = backends
    cfg.visualizer = visualizer


def prepare_data(cfg: Any) -> List[Any]:
    """Run the config's ``prepare_data`` steps (registry ``data_preparation``) in order.

    Why a step of its own: datasets only read files. A config whose data has to be made
    first (the mini configs generate the synthetic benchmark) lists that here, and the tools
    run it once before any dataset is built. Steps must be idempotent (they run on every
    call, in every process of a distributed run).
    """
    from ..registry import build

    return [build("data_preparation", copy.deepcopy(step)) for step in cfg.get("prepare_data") or []]


def _ensure_default_hooks(cfg: Any) -> None:
    hooks = list(cfg.get("custom_hooks") or [])
    present = {h.get("type") for h in hooks}
    for name in DEFAULT_HOOKS:
        if name not in present:
            hooks.append(dict(type=name))
    cfg.custom_hooks = hooks
    cfg.default_scope = cfg.get("default_scope") or "hhir"
    checkpoint = (cfg.get("default_hooks") or {}).get("checkpoint")
    if checkpoint is not None and checkpoint.get("type") in ("CheckpointHook", None):
        checkpoint["type"] = "SafeCheckpointHook"  # same arguments, crash-safe writes


def _build_runner(cfg: Any):
    from ..compat import enable_cpu_distributed, enable_safe_checkpoints
    from .checkpoint import install_safe_loader, strict_checkpoint_loading
    from .console import QuietRunner as Runner

    enable_safe_checkpoints()
    enable_cpu_distributed()
    install_safe_loader()
    clean = copy.deepcopy(cfg)
    for key in ("stages", "requires", "_config_path", "metadata", "prepare_data"):
        clean.pop(key, None)
    runner = Runner.from_cfg(clean)
    # load_from starting a training run may lack new trainable weights; test/resume may not
    strict_checkpoint_loading(runner, init_only=bool(cfg.get("train_cfg")))
    return runner


def _merged(cfg: Any, overrides: Dict[str, Any]) -> Any:
    """A copy of ``cfg`` with one stage's overrides merged in."""
    merged = copy.deepcopy(cfg)
    if overrides:
        merged.merge_from_dict(overrides)
    return merged


def stage_hash(stage_cfg: Any) -> str:
    """What one stage trains, as a hash: its merged config without :data:`RUN_ONLY_KEYS`."""
    return config_hash({k: v for k, v in stage_cfg.to_dict().items() if k not in RUN_ONLY_KEYS})


def _last_checkpoint(work_dir: str) -> Optional[str]:
    marker = os.path.join(work_dir, "last_checkpoint")
    if os.path.isfile(marker):
        with open(marker) as f:
            path = f.read().strip()
        if os.path.isfile(path):
            return path
    return None


def _resume_point(stage_dir: str, name: Optional[str]) -> Optional[str]:
    """Newest intact checkpoint of a stage for ``--resume auto`` (says what it skipped).

    Never silently starts from scratch: if the folder holds checkpoints but none is
    intact, that is an error.
    """
    path, notes = newest_intact_checkpoint(stage_dir)
    where = f"stage {name!r}" if name else stage_dir
    for note in notes:
        _print(f"--resume auto ({where}): {note}")
    if path is None:
        existing = list_checkpoints(stage_dir)
        if existing:
            raise DataError(f"--resume auto: {stage_dir} holds checkpoints but none is intact "
                            f"({'; '.join(notes[:3])}); move them away to start afresh")
        if os.path.isfile(os.path.join(stage_dir, "last_checkpoint")):
            _print(f"--resume auto ({where}): no checkpoint left; starting from scratch")
        return None
    if notes:
        _print(f"--resume auto ({where}): falling back to the newest intact checkpoint {path}")
    return path


def _stage_configs(cfg: Any) -> List[Dict[str, Any]]:
    stages = cfg.get("stages")
    if not stages:
        return [dict(name=None, cfg={})]
    return [dict(name=s["name"], cfg=dict(s.get("cfg") or {})) for s in stages]


def train(cfg: Any, opts: RunOptions) -> Dict[str, float]:
    """Run every stage (or ``opts.stage``) and return the final metrics."""
    work_dir = str(cfg.work_dir)
    os.makedirs(work_dir, exist_ok=True)
    stages = _stage_configs(cfg)
    names = [s["name"] for s in stages]
    if opts.stage is not None and opts.stage not in names:
        raise ConfigError(f"--stage {opts.stage!r}: the config's stages are "
                          f"{', '.join(n for n in names if n) or '(single stage)'}")
    multi = stages[0]["name"] is not None
    prepare_data(cfg)
    if multi:
        provenance.write(os.path.join(work_dir, "provenance.json"), cfg, seed=cfg.randomness.get("seed"))
    metrics_path = os.path.join(work_dir, "metrics.json")
    from .console import RUN_PROGRESS, plan_stages

    stage_cfgs = [_merged(cfg, s["cfg"]) for s in stages]
    plan_stages(stage_cfgs)
    previous_ckpt: Optional[str] = None
    final: Dict[str, float] = {}
    for index, stage in enumerate(stages):
        name = stage["name"]
        stage_dir = os.path.join(work_dir, name) if multi else work_dir
        done_file = os.path.join(stage_dir, STAGE_DONE)
        selected = opts.stage is None or opts.stage == name
        if opts.stage is not None and names.index(opts.stage) < index:
            break  # --stage NAME runs that stage alone, not the ones after it
        identity = stage_hash(stage_cfgs[index]) if multi else ""  # before scfg is filled in below
        if multi and os.path.isfile(done_file) and not (opts.stage == name):
            with open(done_file) as f:
                done = json.load(f)
            if done.get("stage_hash", identity) != identity:  # folders from before the hash: skip
                raise ConfigError(
                    f"stage {name!r} in {stage_dir} was trained with a different config than "
                    f"{cfg.get('_config_path', 'this one')} (with these options) asks for; train into a "
                    f"new --work-dir, or delete {stage_dir} and the later stages' folders to train again")
            previous_ckpt = done.get("checkpoint")
            final = done.get("metrics", {})
            _print(f"stage {name!r} already finished ({done_file}); skipping")
            continue
        if not selected:
            ckpt = _last_checkpoint(stage_dir)
            if ckpt is None:
                raise ConfigError(f"--stage {opts.stage!r} needs stage {name!r} finished first "
                                  f"(no checkpoint in {stage_dir}); run without --stage")
            previous_ckpt = ckpt
            continue
        scfg = stage_cfgs[index]
        scfg.work_dir = stage_dir
        scfg.custom_hooks = list(scfg.get("custom_hooks") or []) + [
            dict(type="ProgressHook", stage_index=index, stage_name=name)]
        rerun_stage = opts.stage is not None and opts.stage == name  # --stage: start afresh
        own_ckpt = _resume_point(stage_dir, name) if opts.resume == "auto" and not rerun_stage \
            else None
        if opts.resume and opts.resume != "auto":
            scfg.resume, scfg.load_from = True, opts.resume
        elif own_ckpt is not None:
            scfg.resume, scfg.load_from = True, own_ckpt
            _print(f"resumed{f' stage {name!r}' if name else ''} from {own_ckpt}")
        else:
            existing = list_checkpoints(stage_dir)
            if existing and not opts.resume:
                _print(f"{stage_dir} holds checkpoints ({os.path.basename(existing[0])}, ...); "
                       "starting from scratch because --resume was not given "
                       "(--resume auto continues)")
            scfg.resume = False
            if previous_ckpt is not None:
                scfg.load_from = previous_ckpt
        if multi:
            _print(f"stage {index + 1}/{len(stages)} {name!r} -> {stage_dir}"
                   + (f" (from {previous_ckpt})" if scfg.get("load_from") and not scfg.resume else ""))
        if os.path.isfile(os.path.join(stage_dir, "metrics.json")) and not scfg.resume:
            os.remove(os.path.join(stage_dir, "metrics.json"))
        runner = _build_runner(scfg)
        runner.train()
        if scfg.get("test_dataloader") and scfg.get("test_evaluator") and scfg.get("test_cfg"):
            runner.test()
        stage_metrics = _read_metrics(os.path.join(stage_dir, "metrics.json"))
        previous_ckpt = _last_checkpoint(stage_dir)
        final = stage_metrics
        if multi:
            with open(done_file, "w") as f:
                json.dump({"checkpoint": previous_ckpt, "metrics": stage_metrics,
                           "config_hash": config_hash(scfg),
                           "stage_hash": identity}, f, indent=2)
            update_metrics_file(metrics_path, stage_metrics, prefix=f"{name}/")
        _release(runner)
    RUN_PROGRESS.close()
    if multi:
        update_metrics_file(metrics_path, final)
        if final:
            _print(f"metrics: {metrics_path}")
    return final


def test(cfg: Any, checkpoint: str, opts: RunOptions) -> Dict[str, float]:
    """Evaluate ``checkpoint`` on the config's test (or val) split."""
    stages = cfg.get("stages")
    if stages:  # evaluate with the last stage's settings
        cfg.merge_from_dict(dict(stages[-1].get("cfg") or {}))
    if not cfg.get("test_dataloader"):
        if not cfg.get("val_dataloader"):
            raise ConfigError("config has neither 'test_dataloader' nor 'val_dataloader'")
        cfg.test_dataloader, cfg.test_evaluator = cfg.val_dataloader, cfg.val_evaluator
        cfg.test_cfg = dict(type="TestLoop")
    cfg.load_from, cfg.resume = checkpoint, False
    for key in ("train_dataloader", "train_cfg", "optim_wrapper", "param_scheduler"):
        cfg.pop(key, None)
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    os.makedirs(cfg.work_dir, exist_ok=True)
    cfg.custom_hooks = list(cfg.get("custom_hooks") or []) + [dict(type="ProgressHook")]
    prepare_data(cfg)
    runner = _build_runner(cfg)
    metrics = runner.test()
    return {k: float(v) for k, v in (metrics or {}).items() if _is_number(v)}


def _is_number(v: Any) -> bool:
    try:
        float(v)
        return True
    except (TypeError, ValueError):
        return False


def _read_metrics(path: str) -> Dict[str, float]:
    if not os.path.isfile(path):
        return {}
    with open(path) as f:
        return json.load(f)


def _release(runner: Any) -> None:
    """Free a finished stage's model before the next stage builds its own."""
    import gc

    del runner
    gc.collect()


def _print(msg: str) -> None:
    print(f"[hhir] {msg}", flush=True)


def run_cli(fn, *args: Any) -> int:
    """Run ``fn``; expected errors print one message and exit non-zero."""
    try:
        fn(*args)
        return 0
    except HHIRError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; the last checkpoint is kept (use --resume auto)", file=sys.stderr)
        return 130
