"""SKI-LVLM: skeleton-induced instruction tuning of a large vision-language model.

Why projectors only: SKI-LVLM keeps the LLM and both encoders frozen and learns
two projections — per-frame video features and per-time skeleton features into
the LLM's word-embedding space — with the autoregressive loss on instruction
data. The skeleton tokens are a training-time signal: at inference the prompt
carries video tokens only, so a deployed model needs no pose estimation.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Union

import torch
from mmengine.model import BaseModel
from torch import nn

from hhir_core.apis.recognizer import InferenceRecognizer, PreparedInput
from hhir_core.errors import ConfigError, DataError
from hhir_core.interfaces import CausalLM, Slot, expect_contract
from hhir_core.registry import build

from .clip_models import build_branch_encoder
from .recognizer import SKELETON_KEY, VIDEO_KEY, resolve_class_ids, resolve_class_names

DEFAULT_PROMPT = "Video: <video>. Skeleton: <skeleton>. Describe the action in the video."
DEFAULT_INFER_PROMPT = "Video: <video>. Describe the action in the video."
VIDEO_WEIGHTS = ("encoders_from", "pretrained")


def build_causal_head(cfg: Union[nn.Module, Dict[str, Any]]) -> nn.Module:
    """A :class:`~hhir_core.interfaces.CausalLM` (``type`` defaults to the core's CausalLMHead)."""
    if not isinstance(cfg, nn.Module):
        cfg = dict(cfg)
        cfg.setdefault("type", "CausalLMHead")
        cfg = build("language_head", cfg)
    return expect_contract(cfg, CausalLM, "model.llm")


class SKILVLM(InferenceRecognizer, BaseModel):
    """Video + skeleton projectors into a frozen causal LM (SKI-LVLM).

    Args:
        video_encoder / skeleton_encoder: BranchEncoder configs; both are frozen.
        llm: CausalLMHead config (``lora=None``, ``freeze=True`` — the LLM is frozen).
        prompt: training prompt with ``<video>`` and ``<skeleton>`` placeholders.
        inference_prompt: the prompt at inference; must not contain ``<skeleton>``.
        encoders_from: optional checkpoint of an SKI recognizer (SkeletonCLIP / SKI-VLM);
            its ``skeleton.encoder.*`` (and with ``video_weights='encoders_from'`` its
            ``video.encoder.*``) weights initialise the encoders (``weights_only=True``).
        video_weights: where the video encoder's weights come from: ``'encoders_from'``
            (the SKI-trained video encoder of that checkpoint) or ``'pretrained'`` (the
            encoder as its config builds it, e.g. the plain CLIP of a hub id; the paper's
            SKI-LVLM uses plain CLIP video features).
        test_classes / class_names / class_source: if set, prediction also scores every
            class name after the inference prompt (``pred_scores`` for classification metrics).
        max_new_tokens: length of generated descriptions.
    """

    #: the swappable sub-components (``hhir components --slots``)
    slots = (
        Slot("model.video_encoder", "branch_encoder", "BranchEncoder", input_kind="frames"),
        Slot("model.skeleton_encoder", "branch_encoder", "BranchEncoder", input_kind="skeleton"),
        Slot("model.llm", "language_head", "CausalLM"),
    )

    def __init__(self, video_encoder: dict, skeleton_encoder: dict, llm: dict,
                 prompt: str = DEFAULT_PROMPT, inference_prompt: str = DEFAULT_INFER_PROMPT,
                 encoders_from: Optional[str] = None, video_weights: str = "encoders_from",
                 test_classes: Union[None, str, Sequence[int]] = None,
                 class_names: Union[None, Sequence[str], Dict[int, str]] = None,
                 class_source: str = "ntu120", max_new_tokens: int = 24,
                 data_preprocessor: Optional[dict] = None, init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if "<video>" not in prompt or "<skeleton>" not in prompt:
            raise ConfigError(f"model.prompt={prompt!r} needs <video> and <skeleton> placeholders")
        if "<skeleton>" in inference_prompt or "<video>" not in inference_prompt:
            raise ConfigError(f"model.inference_prompt={inference_prompt!r} must contain <video> "
                              "and no <skeleton> (skeleton tokens are dropped at inference)")
        if video_weights not in VIDEO_WEIGHTS:
            raise ConfigError(f"model.video_weights={video_weights!r}; choose one of "
                              f"{VIDEO_WEIGHTS}")
        self.video_weights = video_weights
        self.prompt, self.inference_prompt = prompt, inference_prompt
        self.max_new_tokens = int(max_new_tokens)
        self.video_encoder = build_branch_encoder(video_encoder, "model.video_encoder", "frames")
        self.skeleton_encoder = build_branch_encoder(skeleton_encoder, "model.skeleton_encoder",
                                                     "skeleton")
        if encoders_from:
            self.load_encoders(encoders_from)
        for enc in (self.video_encoder, self.skeleton_encoder):
            enc.requires_grad_(False)
            enc.eval()
        self.llm = build_causal_head(llm)
        if any(p.requires_grad for p in self.llm.parameters()):
            raise ConfigError("SKI-LVLM keeps the LLM frozen: set model.llm.lora=None, freeze=True")
        d = int(self.llm.embed_dim)
        self.video_projector = nn.Linear(int(self.video_encoder.out_dim), d)
        self.skeleton_projector = nn.Linear(int(self.skeleton_encoder.out_dim), d)
        self.test_names: Optional[List[str]] = (
            resolve_class_names(resolve_class_ids(test_classes, "model.test_classes"),
                                class_names, class_source)
            if test_classes is not None else None)
        #: frozen parts the checkpoint hooks leave out (they are rebuilt from their configs)
        self.frozen_state_prefixes = ["video_encoder.", "skeleton_encoder.", "llm."]

    # -- inference ---------------------------------------------------------------
    inference_inputs = ("video",)
    inference_score_kind = "probs"

    def inference_class_names(self, cfg: Any) -> List[str]:
        if self.test_names is None:
            raise ConfigError("SKI-LVLM ranks classes only with model.test_classes set")
        return list(self.test_names)

    def prepare_inference(self, item: Any, ctx: Any) -> PreparedInput:
        from .recognizer import video_batch

        return PreparedInput(batch=video_batch(item, ctx))

    def load_encoders(self, path: str) -> None:
        """Initialise the skeleton encoder (and, with ``video_weights='encoders_from'``, the
        video encoder) from an SKI recognizer checkpoint."""
        from hhir_core.engine.checkpoint import safe_load

        ckpt = safe_load(path)
        state = ckpt.get("state_dict", ckpt)
        parts = [("skeleton.encoder.", self.skeleton_encoder)]
        if self.video_weights == "encoders_from":
            parts.insert(0, ("video.encoder.", self.video_encoder))
        for prefix, module in parts:
            sub = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
            if not sub:
                raise DataError(f"model.encoders_from={path!r} has no {prefix}* weights "
                                "(expected a SkeletonCLIP/SKI-VLM checkpoint)")
            module.load_state_dict(sub, strict=True)

    def train(self, mode: bool = True) -> "SKILVLM":
        super().train(mode)
        self.video_encoder.eval()
        self.skeleton_encoder.eval()
        return self

    # -- features ------------------------------------------------------------
    def video_tokens(self, imgs: torch.Tensor) -> torch.Tensor:
        """Per-frame video tokens in LLM space ``[B, T, D_llm]``."""
        with torch.no_grad():
            feats = self.video_encoder(imgs)
        return self.video_projector(feats)

    def skeleton_tokens(self, keypoint: torch.Tensor) -> torch.Tensor:
        """Per-time skeleton tokens in LLM space ``[B, T', D_llm]``."""
        with torch.no_grad():
            feats = self.skeleton_encoder(keypoint)
        return self.skeleton_projector(feats)

    # -- mmengine API ------------------------------------------------------------
    def forward(self, mode: str = "loss", **batch: Any) -> Any:  # type: ignore[override]
        if mode == "loss":
            return self.loss(batch)
        if mode == "predict":
            return self.predict(batch)
        raise ConfigError(f"SKILVLM.forward: unknown mode {mode!r}")

    @staticmethod
    def _need(batch: Dict[str, Any], key: str) -> Any:
        if batch.get(key) is None:
            raise DataError(f"SKILVLM: the batch has no {key!r}; use a VideoSkeletonDataset "
                            "with with_description=True (and with_skeleton=True for training)")
        return batch[key]

    def loss(self, batch: Dict[str, Any]) -> Dict[str, torch.Tensor]:
        imgs = self._need(batch, VIDEO_KEY)
        texts = list(self._need(batch, "text"))
        soft = dict(video=self.video_tokens(imgs),
                    skeleton=self.skeleton_tokens(self._need(batch, SKELETON_KEY)))
        out = self.llm(prompts=[self.prompt] * len(texts), answers=texts, soft_tokens=soft)
        return dict(loss_lm=out["loss"])

    @torch.no_grad()
    def predict(self, batch: Dict[str, Any]) -> List[Dict[str, Any]]:
        if batch.get(SKELETON_KEY) is not None:
            raise DataError("SKI-LVLM infers from video alone; set with_skeleton=False in the "
                            "val/test dataset config")
        imgs = self._need(batch, VIDEO_KEY)
        b = imgs.shape[0]
        soft = dict(video=self.video_tokens(imgs))
        prompts = [self.inference_prompt] * b
        texts = self.llm.generate(prompts, soft, max_new_tokens=self.max_new_tokens)
        gt_texts = batch.get("text") or [""] * b
        labels = batch.get("label")
        labels = torch.as_tensor(labels).view(-1).tolist() if labels is not None else [-1] * b
        outs = [dict(pred_text=t, gt_text=g, gt_label=int(y))
                for t, g, y in zip(texts, gt_texts, labels)]
        if self.test_names is not None:
            scores = self.llm.score_classes(prompts, soft, self.test_names).float().softmax(-1).cpu()
            for o, s in zip(outs, scores):
                o.update(pred_scores=s, pred_label=int(s.argmax()))
        return outs
