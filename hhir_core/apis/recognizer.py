"""What a recognizer implements so :func:`hhir_core.apis.inference` can run it on one input.

The inference API knows nothing about any method: it turns the user's input into an
:class:`InferenceInput` (a skeleton or a video), asks the recognizer to make a batch of
it (:meth:`InferenceRecognizer.prepare_inference`), runs it
(:meth:`InferenceRecognizer.run_inference`) and ranks the scores over
:meth:`InferenceRecognizer.inference_class_names`. Every recognizer of the zoo mixes
this class in; the defaults cover a skeleton classifier whose config has a skeleton
pipeline and whose ``forward(mode='predict')`` returns ``pred_scores``.

Why a mixin (not a role interface): recognizers are mmengine ``BaseModel`` s built by
the ``model`` registry; this only adds the four inference hooks beside ``forward``.
No torch import at module level.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence

from ..errors import ConfigError, DataError

#: input kinds a recognizer can consume
SKELETON, VIDEO = "skeleton", "video"
#: how ``run_inference`` scores are turned into the probabilities shown as top-k
SCORE_KINDS = ("probs", "logits", "loglik")


@dataclass
class InferenceInput:
    """One input, normalised: a skeleton (``skeleton`` set) or a video file (``video`` set).

    ``name`` is what the user passed (a path or a description); ``label`` is the
    ground-truth label when the input carried one (an annotation entry, an NTU file
    name), else ``None``.
    """
    name: str
    skeleton: Any = None            # hhir_core.structures.SkeletonSeq
    video: Optional[str] = None     # path of a video file
    clip: Any = None                # hhir_core.structures.VideoClip, once read
    label: Optional[int] = None
    meta: Dict[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return SKELETON if self.skeleton is not None else VIDEO


@dataclass
class PreparedInput:
    """A batch of one for ``forward`` plus what was computed on the way (poses, tracks, ...)."""
    batch: Dict[str, Any]
    extras: Dict[str, Any] = field(default_factory=dict)


@dataclass
class InferenceOutput:
    """What a recognizer returns for one input.

    ``scores`` is 1-D over :meth:`InferenceRecognizer.inference_class_names`
    (higher is better; ``score_kind`` says how to turn it into probabilities);
    ``text`` is generated text where the method generates; ``code_ids`` are
    discrete token ids the model read (e.g. an action sentence); ``extras`` holds
    anything else worth showing (JSON-able values).
    """
    scores: Any
    score_kind: str = "logits"
    text: Optional[str] = None
    code_ids: Optional[List[int]] = None
    extras: Dict[str, Any] = field(default_factory=dict)


Progress = Callable[[str], None]


@dataclass
class InferenceContext:
    """Settings shared by every input of one :func:`inference` call.

    ``pose_source`` / ``segmenter``: registry configs used when the recognizer needs
    poses or person masks from a video (``None``: the config's, then the default).
    ``progress`` receives a message before every step that may take over a second.
    ``max_video_side``: videos are downsized to at most this many pixels when read.
    """
    cfg: Any
    work_dir: Optional[str] = None
    pose_source: Optional[Dict[str, Any]] = None
    segmenter: Optional[Dict[str, Any]] = None
    progress: Progress = lambda message: None
    max_video_side: int = 640
    _built: Dict[str, Any] = field(default_factory=dict)

    def step(self, message: str) -> None:
        self.progress(message)

    def build_segmenter(self, default: str = "OpenCVPersonSegmenter") -> Any:
        """The segmenter: this context's, else the config's ``segmenter``, else ``default``."""
        cfg = self.segmenter or dict(self.cfg.get("segmenter") or {}) or dict(type=default)
        return self._component("segmenter", dict(cfg))

    def build_pose_source(self, layout: Optional[str] = None) -> Any:
        """The pose source for videos: this context's, else the config's
        ``inference_pose_source`` / ``pose_source``, else the first registered of
        :data:`DEFAULT_POSE_SOURCES`; ``layout`` (the joints the model reads) is passed to
        a pose source that takes one unless its config sets it."""
        import inspect

        from ..registry import iter_components, resolve

        cfg = self.pose_source or self.cfg.get("inference_pose_source") or self.cfg.get("pose_source")
        if not cfg:
            names = {name for _, name, _ in iter_components(["pose_source"])}
            for name in DEFAULT_POSE_SOURCES:
                if name in names:
                    cfg = dict(type=name)
                    break
            else:
                raise ConfigError("no video pose source is registered (tried "
                                  f"{', '.join(DEFAULT_POSE_SOURCES)}); pass pose_source=dict(type=...)")
        cfg = dict(cfg)
        if layout and "layout" not in cfg:
            params = inspect.signature(resolve("pose_source", str(cfg["type"]))).parameters
            if "layout" in params:
                cfg["layout"] = layout
        return self._component("pose_source", cfg)

    def _component(self, role: str, cfg: Dict[str, Any]) -> Any:
        key = f"{role}:{sorted(cfg.items())!r}"
        if key not in self._built:
            from ..registry import build

            self._built[key] = build(role, cfg)
        return self._built[key]


#: pose sources tried, in order, when neither the caller nor the config names one
DEFAULT_POSE_SOURCES = ("MediaPipePoseSource", "ViTPoseSource")


class InferenceRecognizer:
    """Mixin: the inference hooks of a recognizer (see the module docstring)."""

    #: input kinds consumed directly; a video given to a skeleton-only recognizer is
    #: first turned into poses by the context's pose source
    inference_inputs: Sequence[str] = (SKELETON,)
    #: how the scores of :meth:`run_inference` become probabilities
    inference_score_kind: str = "logits"

    # -------------------------------------------------------------- class names
    def inference_pose_layout(self, cfg: Any) -> Optional[str]:
        """Joint layout the model reads (asked of the pose source for video inputs).
        Default: the evaluation dataset's ``layout``, else ``'nturgb+d'`` (NTU skeletons)."""
        return (_eval_dataset_cfg(cfg) or {}).get("layout") or "nturgb+d"

    def inference_class_names(self, cfg: Any) -> List[str]:
        """Names of the score columns. Default: the NTU names of the evaluation
        dataset's ``classes`` (label ids), else all NTU-120 names."""
        from ..data.ntu_classes import ntu120_classes

        names = ntu120_classes()
        data = _eval_dataset_cfg(cfg) or {}
        classes = data.get("classes")
        if classes is None:
            return list(names)
        if isinstance(classes, str):
            from ..data.ntu import _resolve_classes

            classes = _resolve_classes(classes)
        return [c if isinstance(c, str) else names[int(c)] for c in classes]

    # -------------------------------------------------------------- batch
    def prepare_inference(self, item: InferenceInput, ctx: InferenceContext) -> PreparedInput:
        """A batch of one. Default: the evaluation dataset's skeleton pipeline on the
        input's keypoints, collated."""
        if item.skeleton is None:
            raise DataError(f"{item.name}: {type(self).__name__} needs a skeleton")
        return PreparedInput(batch=skeleton_batch(item, ctx.cfg))

    def run_inference(self, prepared: PreparedInput, ctx: InferenceContext) -> InferenceOutput:
        """Scores (and text, ids, extras) of the batch. Default: ``forward(mode='predict')``."""
        ctx.step("running the model")
        out = self(mode="predict", **prepared.batch)[0]
        return InferenceOutput(scores=out["pred_scores"], score_kind=self.inference_score_kind,
                               text=out.get("pred_text"))

    def after_checkpoint_load(self) -> None:
        """Called once the checkpoint is loaded (e.g. to finish lazily built parts)."""


def _eval_dataset_cfg(cfg: Any) -> Optional[Dict[str, Any]]:
    for key in ("test_dataloader", "val_dataloader"):
        loader = cfg.get(key)
        if loader and loader.get("dataset"):
            return loader["dataset"]
    return None


def eval_dataset_cfg(cfg: Any) -> Dict[str, Any]:
    """The test (else val) dataset config; a :class:`ConfigError` when there is none."""
    data = _eval_dataset_cfg(cfg)
    if data is None:
        raise ConfigError("the config has neither test_dataloader.dataset nor val_dataloader.dataset "
                          "(inference takes the evaluation pipeline from it)")
    return data


def skeleton_batch(item: InferenceInput, cfg: Any, pipeline_key: str = "pipeline") -> Dict[str, Any]:
    """The evaluation dataset's skeleton pipeline applied to ``item`` and collated (batch of 1)."""
    import numpy as np
    from mmengine.dataset import default_collate

    from ..data.ntu import build_pipeline

    seq = item.skeleton
    kp = np.asarray(seq.keypoint, np.float32)
    if kp.ndim != 4:
        raise DataError(f"{item.name}: keypoints have shape {kp.shape}, expected [M,T,V,C]")
    info: Dict[str, Any] = dict(keypoint=kp, total_frames=kp.shape[1], frame_dir=item.name,
                                label=-1 if item.label is None else int(item.label))
    if seq.score is not None:
        info["keypoint_score"] = np.asarray(seq.score, np.float32)
    if seq.img_shape is not None:
        info["img_shape"] = tuple(seq.img_shape)
    steps = eval_dataset_cfg(cfg).get(pipeline_key) or []
    try:
        sample = build_pipeline(steps)(info)
    except DataError:
        raise
    except Exception as exc:  # a transform refused this input (wrong layout, empty, ...)
        raise DataError(f"{item.name}: the config's evaluation pipeline failed on keypoints "
                        f"{list(kp.shape)} ({type(exc).__name__}: {exc})") from None
    if sample is None:
        raise DataError(f"{item.name}: the config's evaluation pipeline dropped the sample")
    return default_collate([sample])


__all__ = ["InferenceRecognizer", "InferenceInput", "InferenceOutput", "InferenceContext",
           "PreparedInput", "skeleton_batch", "eval_dataset_cfg", "SKELETON", "VIDEO",
           "DEFAULT_POSE_SOURCES"]
