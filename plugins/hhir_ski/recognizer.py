"""SKI recognizers: SkeletonCLIP, VideoCLIP (ViFi-CLIP) and SKI-VLM trained by SCD.

One model class, four phases, so a multi-stage config trains ViFi-CLIP, pre-trains the
skeleton encoder, aligns SkeletonCLIP and then trains SKI-VLM by SCD with *the same parameter
names*: each stage loads the previous stage's checkpoint (``load_from``) and every phase builds
every configured branch, so the weights an earlier stage trained (``video.*`` in
``video_clip``, ``skeleton.*`` in the skeleton phases) pass unchanged through the stages that
do not use them (no gradient, so the optimizer skips them).

* ``phase='skeleton_pretrain'`` — the skeleton encoder alone as a classifier of the seen
  classes (a linear head on its pooled tokens, CE): the paper pre-trains it (140 epochs)
  before aligning it with text; predicts from skeletons over the seen classes.
* ``phase='skeleton_clip'`` — loss ``CE(F_LS)``; predicts from skeletons.
* ``phase='video_clip'``    — loss ``CE(F_LV)``; predicts from video (ViFi-CLIP).
* ``phase='scd'``           — loss ``CE(F_LV) + CE(F_LS) + α·D(F_LV, F_LS)`` (online) or
  ``CE(F_LV) + α·D(F_LV, F_LS)`` with a frozen teacher (offline); predicts from video alone.

Zero-shot: training uses ``train_classes`` (seen) and prediction
``test_classes`` (unseen); labels in the batches are indices into those lists
(the datasets remap with ``classes=[...]``).
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from torch import nn

from hhir_core.apis.recognizer import (
    SKELETON,
    VIDEO,
    InferenceRecognizer,
    PreparedInput,
    eval_dataset_cfg,
    skeleton_batch,
)
from hhir_core.errors import ConfigError, DataError
from hhir_core.interfaces import Distiller, Slot, expect_contract

from .clip_models import SkeletonCLIP, VideoCLIP, build_text_encoder

PHASES = ("skeleton_pretrain", "skeleton_clip", "video_clip", "scd")
VIDEO_KEY, SKELETON_KEY = "imgs", "keypoint"


def resolve_class_ids(classes: Union[str, Sequence[int]], key: str) -> List[int]:
    """Label ids from a list or ``'seen:<split>'`` / ``'unseen:<split>'`` (as the NTU datasets).

    Using the same strings in the model and the dataset configs keeps the
    label order of both identical (the datasets remap labels in this order).
    """
    if isinstance(classes, str):
        from hhir_core.data import ntu_classes

        kind, _, split = classes.partition(":")
        if kind == "seen":
            return ntu_classes.seen_classes(split)
        if kind == "unseen":
            return ntu_classes.zero_shot_split(split)
        raise ConfigError(f"{key}={classes!r}: use a list of label ids, 'seen:<split>' or "
                          "'unseen:<split>' (e.g. 'unseen:ntu120_110_10')")
    ids = [int(c) for c in classes]
    if len(set(ids)) != len(ids):
        raise ConfigError(f"{key}={list(classes)!r} contains duplicates")
    return ids


def resolve_class_names(ids: Sequence[int], class_names: Union[None, Sequence[str], Dict[int, str]],
                        source: str = "ntu120") -> List[str]:
    """Names of NTU label ids: from ``class_names`` (list indexed by id or dict) or the core lists."""
    if class_names is None:
        from hhir_core.data import ntu_classes
        table = {"ntu60": ntu_classes.ntu60_classes, "ntu120": ntu_classes.ntu120_classes}
        if source not in table:
            raise ConfigError(f"model.class_source={source!r}; choose one of {sorted(table)} or "
                              "give model.class_names")
        class_names = table[source]()
    out = []
    for i in ids:
        try:
            out.append(class_names[int(i)])
        except (IndexError, KeyError):
            raise ConfigError(f"class id {i} has no name in model.class_names / {source}") from None
    return out


_VIDEO_SLOT = Slot("model.video.encoder", "branch_encoder", "BranchEncoder", input_kind="frames")
_SKELETON_SLOT = Slot("model.skeleton.encoder", "branch_encoder", "BranchEncoder",
                      input_kind="skeleton")
_TEXT_SLOT = Slot("model.text_encoder", "language_head", "TextEncoder")


class SKIRecognizer(InferenceRecognizer, BaseModel):
    """SkeletonCLIP / VideoCLIP / SKI-VLM (see the module docstring).

    Args:
        video: VideoCLIP kwargs (``encoder``, ``template``, ``proj``, ``temperature``...);
            ``None`` when the model has no video branch.
        skeleton: SkeletonCLIP kwargs; ``None`` when there is no skeleton branch. Its
            ``text_encoder`` defaults to the shared one.
        text_encoder: the text encoder shared by both branches (config or module).
        distiller: a Distiller config (``SkeletonCLIPDistiller``), used in ``phase='scd'``.
        phase: one of ``skeleton_pretrain``, ``skeleton_clip``, ``video_clip``, ``scd``.
        train_classes / test_classes: NTU label ids of the seen / evaluated classes, or
            ``'seen:<split>'`` / ``'unseen:<split>'`` of a zero-shot protocol.
        class_names / class_source: where class names come from (list or dict by id; by
            default ``hhir_core.data.ntu_classes`` of ``class_source``).
    """

    #: the swappable sub-components (``hhir components --slots``)
    slots = (_VIDEO_SLOT, _SKELETON_SLOT, _TEXT_SLOT,
             Slot("model.distiller", "distiller", "Distiller"))

    def __init__(self, video: Optional[dict] = None, skeleton: Optional[dict] = None,
                 text_encoder: Optional[dict] = None, distiller: Optional[dict] = None,
                 phase: str = "scd", train_classes: Union[str, Sequence[int]] = (),
                 test_classes: Union[None, str, Sequence[int]] = None,
                 class_names: Union[None, Sequence[str], Dict[int, str]] = None,
                 class_source: str = "ntu120", data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if phase not in PHASES:
            raise ConfigError(f"model.phase={phase!r}; choose one of {PHASES}")
        if not train_classes:
            raise ConfigError("model.train_classes is empty: list the seen NTU label ids")
        self.phase = phase
        self.train_classes = resolve_class_ids(train_classes, "model.train_classes")
        self.test_classes = (resolve_class_ids(test_classes, "model.test_classes")
                             if test_classes is not None else list(self.train_classes))
        self.train_names = resolve_class_names(self.train_classes, class_names, class_source)
        self.test_names = resolve_class_names(self.test_classes, class_names, class_source)
        needs_video = phase in ("video_clip", "scd")
        needs_skel = phase in ("skeleton_pretrain", "skeleton_clip", "scd")
        if needs_video and video is None:
            raise ConfigError(f"model.video is required for phase={phase!r}")
        if needs_skel and skeleton is None:
            raise ConfigError(f"model.skeleton is required for phase={phase!r}")
        shared = None
        if text_encoder is not None:
            shared = build_text_encoder(text_encoder)
        self.video: Optional[VideoCLIP] = None
        self.skeleton: Optional[SkeletonCLIP] = None
        if video is not None:
            video = dict(video)
            te = video.pop("text_encoder", None) or shared
            if te is None:
                raise ConfigError("model.text_encoder (or model.video.text_encoder) is required")
            self.video = VideoCLIP(text_encoder=te, **video)
        if skeleton is not None:
            skeleton = dict(skeleton)
            te = skeleton.pop("text_encoder", None) or shared
            if te is None:
                raise ConfigError("model.text_encoder (or model.skeleton.text_encoder) is required")
            self.skeleton = SkeletonCLIP(text_encoder=te, **skeleton)
        # Every phase builds every configured branch, so a stage chain
        # video_clip -> skeleton_pretrain -> skeleton_clip -> scd loads each previous stage's
        # checkpoint whole: the branch a phase does not use gets no gradient (AdamW skips it)
        # and is saved unchanged, so SCD starts from the stage-1 video and stage-3 skeleton
        # weights. The pre-training classifier exists whenever there is a skeleton branch
        # (so its checkpoint fits the later phases) and trains only in 'skeleton_pretrain'.
        # Outside that phase the head is frozen and unused, and is built without drawing from
        # the global RNG, so the other phases' initialisation and data order stay as they were.
        self.pretrain_head: Optional[nn.Linear] = None
        if self.skeleton is not None:
            head_dims = (self.skeleton.encoder.out_dim, len(self.train_classes))
            if phase == "skeleton_pretrain":
                self.pretrain_head = nn.Linear(*head_dims)
            else:
                with torch.random.fork_rng(devices=[]):
                    self.pretrain_head = nn.Linear(*head_dims).requires_grad_(False)
        self.distiller: Optional[nn.Module] = None
        if phase == "scd":
            if distiller is None:
                raise ConfigError("model.distiller is required for phase='scd' "
                                  "(use alpha=0 for no distillation)")
            from hhir_core.registry import build
            self.distiller = expect_contract(build("distiller", dict(distiller)), Distiller,
                                             "model.distiller")
            if not self.distiller.online:
                self._freeze_teacher()

    def _freeze_teacher(self) -> None:
        """Offline SCD: freeze the teacher, but not a text encoder shared with the student."""
        shared = self.video is not None and self.skeleton.texts.encoder is self.video.texts.encoder
        for name, p in self.skeleton.named_parameters():
            if not (shared and name.startswith("texts.encoder.")):
                p.requires_grad_(False)

    # -- helpers -----------------------------------------------------------
    @property
    def teacher_frozen(self) -> bool:
        return self.phase == "scd" and not self.distiller.online

    def train(self, mode: bool = True) -> "SKIRecognizer":
        super().train(mode)
        if self.teacher_frozen and self.skeleton is not None:
            self.skeleton.encoder.eval()
        return self

    @staticmethod
    def _need(batch: Dict[str, Any], key: str, what: str) -> torch.Tensor:
        if batch.get(key) is None:
            raise DataError(f"SKIRecognizer: the batch has no {key!r} ({what}); check the "
                            f"dataset's with_video/with_skeleton settings")
        return batch[key]

    def _labels(self, batch: Dict[str, Any], device: torch.device) -> torch.Tensor:
        label = self._need(batch, "label", "class indices")
        return torch.as_tensor(label, device=device).long().view(-1)

    # -- mmengine API ----------------------------------------------------------
    def forward(self, mode: str = "loss", **batch: Any) -> Any:  # type: ignore[override]
        if mode == "loss":
            return self.loss(batch)
        if mode == "predict":
            return self.predict(batch)
        if mode == "tensor":
            return self.predict_scores(batch)
        raise ConfigError(f"SKIRecognizer.forward: unknown mode {mode!r}")

    def loss(self, batch: Dict[str, Any]) -> Dict[str, torch.Tensor]:
        losses: Dict[str, torch.Tensor] = {}
        out_v = out_s = None
        if self.phase in ("video_clip", "scd"):
            imgs = self._need(batch, VIDEO_KEY, "video frames [B,T,3,H,W]")
            out_v = self.video.logits(imgs, self.train_names)
            y = self._labels(batch, imgs.device)
            losses["loss_video"] = F.cross_entropy(out_v["logits"], y)
            losses["acc_video"] = (out_v["logits"].argmax(-1) == y).float().mean().detach()
        if self.phase == "skeleton_pretrain":
            kp = self._need(batch, SKELETON_KEY, "skeletons [B,M,T,V,C]")
            logits = self.pretrain_logits(kp)
            y = self._labels(batch, kp.device)
            losses["loss_skeleton_pretrain"] = F.cross_entropy(logits, y)
            losses["acc_skeleton"] = (logits.argmax(-1) == y).float().mean().detach()
        if self.phase in ("skeleton_clip", "scd"):
            kp = self._need(batch, SKELETON_KEY, "skeletons [B,M,T,V,C]")
            if self.teacher_frozen:
                with torch.no_grad():
                    out_s = self.skeleton.logits(kp, self.train_names)
            else:
                out_s = self.skeleton.logits(kp, self.train_names)
                y = self._labels(batch, kp.device)
                losses["loss_skeleton"] = F.cross_entropy(out_s["logits"], y)
                losses["acc_skeleton"] = (out_s["logits"].argmax(-1) == y).float().mean().detach()
        if self.phase == "scd":
            losses.update(self.distiller(out_v, out_s, targets=batch.get("label")))
        return losses

    def predict_scores(self, batch: Dict[str, Any]) -> torch.Tensor:
        """Logits ``[B, len(test_classes)]`` from the inference modality alone."""
        if self.phase == "skeleton_pretrain":
            return self.pretrain_logits(self._need(batch, SKELETON_KEY, "skeletons [B,M,T,V,C]"))
        if self.phase == "skeleton_clip":
            kp = self._need(batch, SKELETON_KEY, "skeletons [B,M,T,V,C]")
            return self.skeleton.logits(kp, self.test_names)["logits"]
        if batch.get(SKELETON_KEY) is not None:
            raise DataError(
                "SKI-VLM / VideoCLIP predict from video alone and do not accept skeletons; "
                "set with_skeleton=False in the val/test dataset config")
        imgs = self._need(batch, VIDEO_KEY, "video frames [B,T,3,H,W]")
        return self.video.logits(imgs, self.test_names)["logits"]

    def pretrain_logits(self, kp: torch.Tensor) -> torch.Tensor:
        """``[B, len(train_classes)]`` of the pre-training classifier (seen classes only)."""
        return self.pretrain_head(self.skeleton.encoder.pool(self.skeleton.encoder(kp)))

    @torch.no_grad()
    def predict(self, batch: Dict[str, Any]) -> List[Dict[str, Any]]:
        scores = self.predict_scores(batch).float().softmax(-1).cpu()
        labels = batch.get("label")
        labels = (torch.as_tensor(labels).view(-1).tolist() if labels is not None
                  else [-1] * scores.shape[0])
        return [dict(pred_scores=s, pred_label=int(s.argmax()), gt_label=int(g))
                for s, g in zip(scores, labels)]

    # -- inference ---------------------------------------------------------------
    inference_score_kind = "probs"  # predict() returns softmax scores

    @property
    def inference_inputs(self) -> tuple:  # type: ignore[override]
        """SkeletonCLIP reads skeletons; VideoCLIP and SKI-VLM predict from video alone."""
        return (SKELETON,) if self.phase == "skeleton_clip" else (VIDEO,)

    def inference_class_names(self, cfg: Any) -> List[str]:
        return list(self.test_names)

    def prepare_inference(self, item: Any, ctx: Any) -> PreparedInput:
        """Skeletons through the evaluation pipeline, or frames sampled, resized and
        normalised as the evaluation dataset (``VideoSkeletonDataset``) does."""
        if self.phase == "skeleton_clip":
            return PreparedInput(batch=skeleton_batch(item, ctx.cfg))
        return PreparedInput(batch=video_batch(item, ctx))

    def drop_skeleton_branch(self) -> None:
        """Delete the teacher (and distiller): what deployment of SKI-VLM keeps is video only."""
        if self.phase in ("skeleton_pretrain", "skeleton_clip"):
            raise ConfigError("drop_skeleton_branch: a SkeletonCLIP model has no other branch")
        self.skeleton = None
        self.pretrain_head = None
        self.distiller = None


def video_batch(item: Any, ctx: Any) -> Dict[str, torch.Tensor]:
    """``{'imgs': [1,T,3,H,W]}``: the input video sampled as the evaluation dataset samples clips."""
    import numpy as np

    from hhir_core.apis.inference import read_clip

    from .video_skeleton import clip_tensor

    data = dict(eval_dataset_cfg(ctx.cfg))
    x = clip_tensor(np.asarray(read_clip(item, ctx).frames), int(data.get("num_frames", 8)),
                    data.get("frame_size"), data.get("frame_mode", "rgb"))
    return {VIDEO_KEY: torch.from_numpy(x)[None]}


class SkeletonCLIPRecognizer(SKIRecognizer):
    """SkeletonCLIP alone (``phase='skeleton_clip'``)."""

    slots = (_SKELETON_SLOT, _TEXT_SLOT)

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("phase", "skeleton_clip")
        super().__init__(**kwargs)


class VideoCLIPRecognizer(SKIRecognizer):
    """ViFi-CLIP-style video model alone (``phase='video_clip'``)."""

    slots = (_VIDEO_SLOT, _TEXT_SLOT)

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("phase", "video_clip")
        super().__init__(**kwargs)


class SKIVLMRecognizer(SKIRecognizer):
    """SKI-VLM: VideoCLIP distilled from SkeletonCLIP (``phase='scd'``)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("phase", "scd")
        super().__init__(**kwargs)
