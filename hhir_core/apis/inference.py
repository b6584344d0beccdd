"""Use a trained model: ``init_model(config_or_work_dir)`` and ``inference(model, inputs)``.

>>> model = init_model("work_dirs/demo_llm_ar_ntu120_mini")          # doctest: +SKIP
>>> inference(model, "S001C001P001R001A001.skeleton").topk[0]         # doctest: +SKIP
('drink water', 0.41)

``config`` may be a config file, ``plugin::path/to/config.py`` or a work dir written by
``tools/train.py`` (its config is read from ``provenance.json`` and, for a multi-stage
config, the last stage's settings and checkpoint are used). Every recognizer takes the
same path through :class:`~hhir_core.apis.recognizer.InferenceRecognizer`.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from ..errors import ConfigError, DataError, HHIRError
from .inputs import to_input
from .recognizer import (
    SKELETON,
    VIDEO,
    InferenceContext,
    InferenceInput,
    InferenceOutput,
    InferenceRecognizer,
    Progress,
)


class CheckpointMissing(HHIRError):
    """No trained checkpoint where one was expected; the message says how to make one."""


@dataclass
class InferenceResult:
    """The answer for one input.

    ``topk``: ``[(label, probability), ...]`` best first; ``text``: generated text (methods
    that generate); ``code_ids``: the discrete tokens the model read (LLM-AR's action
    sentence); ``poses`` / ``tracks``: the skeleton and person tracks computed from a video
    (``SkeletonSeq`` / ``PersonTracks``) when they were; ``extras``: method-specific values.
    """
    input: str
    topk: List[Tuple[str, float]]
    text: Optional[str] = None
    code_ids: Optional[List[int]] = None
    poses: Any = None
    tracks: Any = None
    clip: Any = None
    skeleton: Any = None
    label: Optional[str] = None
    extras: Dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def pred_label(self) -> str:
        return self.topk[0][0]

    def to_dict(self) -> Dict[str, Any]:
        """JSON-able summary (arrays are summarised by their shapes)."""
        out: Dict[str, Any] = {
            "input": self.input,
            "topk": [{"label": n, "score": round(float(s), 6)} for n, s in self.topk],
            "text": self.text,
        }
        if self.code_ids is not None:
            out["code_ids"] = [int(i) for i in self.code_ids]
        if self.label is not None:
            out["gt_label"] = self.label
        if self.poses is not None:
            out["poses"] = {"shape": list(getattr(self.poses.keypoint, "shape", ())),
                            "layout": self.poses.layout}
        if self.tracks is not None:
            out["tracks"] = {"persons": int(len(self.tracks.masks)),
                             "frames": int(self.tracks.masks.shape[1]) if len(self.tracks.masks) else 0}
        if self.extras:
            out["extras"] = _jsonable(self.extras)
        out["seconds"] = round(self.seconds, 3)
        return out


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if hasattr(obj, "tolist"):
        return obj.tolist()
    return obj


# ------------------------------------------------------------------ locating runs
@dataclass
class RunLocation:
    """Where a trained model lives: its config file, checkpoint and work dir."""
    config: str
    checkpoint: Optional[str]
    work_dir: Optional[str]
    train_command: str


def _read_last_checkpoint(directory: Path) -> Optional[str]:
    marker = directory / "last_checkpoint"
    if marker.is_file():
        path = marker.read_text().strip()
        if path and not os.path.isabs(path) and not os.path.isfile(path):
            path = str(directory / Path(path).name)
        if os.path.isfile(path):
            return path
    done = directory / "stage_done.json"
    if done.is_file():
        path = json.loads(done.read_text()).get("checkpoint")
        if path and os.path.isfile(path):
            return path
    found = sorted(directory.glob("*.pth"), key=lambda p: p.stat().st_mtime)
    return str(found[-1]) if found else None


def _train_command(config: str, work_dir: Optional[str]) -> str:
    demo_dir = Path("work_dirs") / "demo_llm_ar_ntu120_mini"
    if work_dir and Path(work_dir).resolve() == demo_dir.resolve():
        return "make demo"
    cmd = f"python tools/train.py {config}"
    return cmd + (f" --work-dir {work_dir}" if work_dir else "")


def _locate_work_dir(work_dir: Path, checkpoint: Optional[str]) -> RunLocation:
    """A tools/train.py work dir: the config as trained (the copy mmengine dumps into the last
    stage's folder, which has every ``--cfg-options`` applied; else the file named in
    ``provenance.json``) and the last stage's last checkpoint."""
    from ..config import load_config

    prov = work_dir / "provenance.json"
    original = json.loads(prov.read_text()).get("config_path") if prov.is_file() else None
    stage_dirs = [d for d in sorted(work_dir.iterdir()) if (d / "stage_done.json").is_file()
                  or (d / "last_checkpoint").is_file()] if work_dir.is_dir() else []
    ckpt_dir = work_dir
    if original and Path(original).is_file():
        stages = load_config(original).get("stages") or []
        if stages:
            ckpt_dir = work_dir / stages[-1]["name"]
    elif stage_dirs and not (work_dir / "last_checkpoint").is_file():
        ckpt_dir = max(stage_dirs, key=lambda d: d.stat().st_mtime)
    dumped = sorted(ckpt_dir.glob("*.py")) if ckpt_dir.is_dir() else []
    config = str(dumped[0]) if dumped else original
    if not config or not Path(config).is_file():
        raise ConfigError(f"{work_dir}: not a work dir of tools/train.py (no dumped config and no "
                          "provenance.json naming an existing config)")
    ckpt = checkpoint or (_read_last_checkpoint(ckpt_dir) if ckpt_dir.is_dir() else None)
    return RunLocation(config, ckpt, str(work_dir), _train_command(original or config, str(work_dir)))


def locate(config_or_work_dir: str, checkpoint: Optional[str] = None) -> RunLocation:
    """Resolve a config path / ``plugin::path`` / work dir to its config, checkpoint and work dir."""
    from ..config import load_config, resolve_config_path

    target = str(config_or_work_dir)
    if "::" not in target and Path(target).is_dir():
        return _locate_work_dir(Path(target), checkpoint)
    if "::" not in target and not target.endswith(".py") and not Path(target).exists():
        demo = target.rstrip("/").endswith("demo_llm_ar_ntu120_mini")
        raise CheckpointMissing(f"work dir {target} does not exist; make it with "
                                f"`{'make demo' if demo else 'python tools/train.py CONFIG --work-dir ' + target}`")
    config = resolve_config_path(target)
    if checkpoint:
        return RunLocation(config, checkpoint, None, _train_command(target, None))
    work_dir = Path("work_dirs") / Path(config).stem
    cfg = load_config(config)
    if cfg.get("work_dir"):
        work_dir = Path(cfg.work_dir)
    stages = cfg.get("stages") or []
    ckpt_dir = work_dir / stages[-1]["name"] if stages else work_dir
    ckpt = _read_last_checkpoint(ckpt_dir) if ckpt_dir.is_dir() else None
    return RunLocation(config, ckpt, str(work_dir) if work_dir.is_dir() else None,
                       _train_command(target, None))


# ------------------------------------------------------------------ models
def init_model(config: str, checkpoint: Optional[str] = None, device: str = "cpu",
               cfg_options: Optional[Dict[str, Any]] = None,
               pose_source: Optional[Dict[str, Any]] = None,
               segmenter: Optional[Dict[str, Any]] = None,
               progress: Optional[Progress] = None):
    """Build the recognizer of ``config`` (file, ``plugin::path`` or work dir) with its trained weights.

    A missing checkpoint is a :class:`CheckpointMissing` that names the command making one.
    ``pose_source`` / ``segmenter`` (registry configs) override what videos are turned
    into poses / person masks with. The returned model has ``model.hhir_cfg`` (the
    resolved config) and ``model.hhir_context`` (defaults for :func:`inference`).
    """
    import torch

    from ..compat import enable_safe_checkpoints, silence_known_warnings
    from ..config import load_config, validate
    from ..engine.checkpoint import check_state_dict, safe_load
    from ..registry import build

    say = progress or (lambda message: None)
    loc = locate(config, checkpoint)
    if not loc.checkpoint:
        where = f" in {loc.work_dir}" if loc.work_dir else ""
        raise CheckpointMissing(f"no trained checkpoint for {config}{where}; make one with "
                                f"`{loc.train_command}` (or pass --checkpoint PATH)")
    cfg = load_config(loc.config, cfg_options)
    stages = cfg.get("stages") or []
    if stages:  # the last stage's settings are the deployed model's
        cfg.merge_from_dict(dict(stages[-1].get("cfg") or {}))
    enable_safe_checkpoints()
    silence_known_warnings()  # the Python API and the page print no third-party notices either
    try:  # e.g. a work dir whose dumped config names an option this version no longer has
        validate(cfg)
    except ConfigError as exc:
        raise ConfigError(f"{loc.config}: {exc}") from None
    say(f"building {cfg.model.get('type')} from {loc.config}")
    model = build("model", cfg.model)
    if not isinstance(model, InferenceRecognizer):
        raise ConfigError(f"model.type={cfg.model.get('type')!r} does not implement "
                          "hhir_core.apis.InferenceRecognizer (the inference hooks)")
    say(f"loading {loc.checkpoint}")
    state = safe_load(loc.checkpoint)
    state = state.get("state_dict", state)
    # strict except for frozen weights: wrong widths, extra or missing trainable keys
    # (a checkpoint of another config) are one DataError listing the first keys
    check_state_dict(model, state, f"{loc.checkpoint} (config {loc.config})")
    model.load_state_dict(state, strict=False)
    model.after_checkpoint_load()
    model.to(torch.device(device))
    model.eval()
    model.hhir_cfg = cfg
    model.hhir_location = loc
    model.hhir_context = dict(pose_source=pose_source, segmenter=segmenter)
    return model


def inference(model: Any, inputs: Union[Any, Sequence[Any]], topk: int = 5,
              progress: Optional[Progress] = None) -> Union[InferenceResult, List[InferenceResult]]:
    """Run ``model`` (from :func:`init_model`) on one input or a list of inputs.

    Returns one :class:`InferenceResult` per input (a list for a list).
    """
    import torch

    single = not isinstance(inputs, (list, tuple))
    items = [inputs] if single else list(inputs)
    cfg = model.hhir_cfg
    ctx = InferenceContext(cfg=cfg, work_dir=model.hhir_location.work_dir,
                           progress=progress or (lambda message: None),
                           **model.hhir_context)
    names = model.inference_class_names(cfg)
    results = []
    for obj in items:
        start = time.time()
        item = to_input(obj)
        poses = None
        if item.kind == VIDEO and VIDEO not in model.inference_inputs:
            poses = video_to_skeleton(item, ctx, model.inference_pose_layout(cfg))
        elif item.kind == SKELETON and SKELETON not in model.inference_inputs:
            raise DataError(f"{item.name}: {type(model).__name__} needs a video "
                            f"(it takes {', '.join(model.inference_inputs)}), not a skeleton")
        prepared = model.prepare_inference(item, ctx)
        with torch.no_grad():
            out: InferenceOutput = model.run_inference(prepared, ctx)
        results.append(_result(item, out, names, topk, prepared.extras, poses, time.time() - start))
    return results[0] if single else results


def video_to_skeleton(item: InferenceInput, ctx: InferenceContext, layout: Optional[str] = None):
    """Poses of a video from the context's pose source (in ``layout`` where it can choose);
    sets ``item.skeleton``."""
    from ..structures import SkeletonSeq

    clip = read_clip(item, ctx)
    source = ctx.build_pose_source(layout)
    ctx.step(f"estimating poses on {len(clip.frames)} frames with {type(source).__name__}")
    seq: SkeletonSeq = source.poses({"clip": clip, "frame_dir": Path(item.name).stem})
    item.skeleton = seq
    return seq


def read_clip(item: InferenceInput, ctx: InferenceContext):
    """The input's video frames, read once per input and downsized to at most
    ``ctx.max_video_side`` pixels (every model here works on far smaller frames; a 1080p
    clip would otherwise cost seconds per step and gigabytes of masks)."""
    if item.clip is None:
        import cv2
        import numpy as np

        from ..structures import VideoClip
        from ..vision import read_video

        ctx.step(f"reading {item.video}")
        clip = read_video(item.video)
        frames, fps = clip.frames, clip.fps
        h, w = frames.shape[1:3]
        scale = min(1.0, ctx.max_video_side / max(h, w)) if ctx.max_video_side else 1.0
        if scale < 1.0:
            size = (int(round(w * scale)) // 2 * 2, int(round(h * scale)) // 2 * 2)
            frames = np.stack([cv2.resize(f, size, interpolation=cv2.INTER_AREA) for f in frames])
        item.clip = VideoClip(frames=frames, fps=fps, source=str(item.video))
    return item.clip


def _result(item: InferenceInput, out: InferenceOutput, names: List[str], k: int,
            extras: Dict[str, Any], poses: Any, seconds: float) -> InferenceResult:
    import torch

    scores = torch.as_tensor(out.scores).float().reshape(-1)
    if scores.numel() != len(names):
        raise ConfigError(f"the model scored {scores.numel()} classes but names {len(names)}")
    probs = scores if out.score_kind == "probs" else scores.softmax(-1)
    top = probs.topk(min(k, len(names)))
    extras = dict(extras)
    extras.update(out.extras)
    tracks = extras.pop("tracks", None)
    poses = extras.pop("poses", poses)
    gt = None
    if item.label is not None:  # inputs carry NTU label ids (annotation pickles, NTU file names)
        from ..data.ntu_classes import ntu120_classes

        ntu = ntu120_classes()
        gt = ntu[item.label] if 0 <= item.label < len(ntu) else None
    return InferenceResult(input=item.name, topk=[(names[int(i)], float(v)) for v, i in zip(top.values, top.indices)],
                           text=out.text, code_ids=out.code_ids, poses=poses, tracks=tracks,
                           clip=item.clip, skeleton=item.skeleton, label=gt, extras=extras, seconds=seconds)


__all__ = ["init_model", "inference", "InferenceResult", "CheckpointMissing", "locate", "RunLocation"]
