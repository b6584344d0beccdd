"""PeVL recognizer: video + pose encoders, UCMR, SGMC and the guided loss.

``forward(imgs, pose, video_keypoint, label, mode)`` with (collated) inputs

* ``imgs``  ``[B,T,3,H,W]`` (or ``[B,C,T,3,H,W]`` with C test crops),
  CLIP-normalised frames;
* ``pose``  ``[B,M,Tp,V,3]`` 2-D joints (x, y in [-1,1], score);
* ``video_keypoint`` ``[B,M,T,V,3]`` (or ``[B,C,M,T,V,3]``) joints of each
  video frame in pixels of ``imgs`` (for P2V);
* ``label`` ``[B]``.

Loss: ``L_t + λ_R·L_R`` (guided contrastive-KL over the batch's label texts +
NT-Xent refinement for video and pose). Prediction: ``S`` against every label
text, argmax. Every part is switchable for the paper's ablations.
"""
from __future__ import annotations

import math
from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.model import BaseModel
from torch import nn

from hhir_core.apis.recognizer import InferenceRecognizer, PreparedInput, eval_dataset_cfg
from hhir_core.errors import ConfigError, DataError
from hhir_core.interfaces import JointTokenEncoder, KeypointVideoEncoder, Slot, TextEncoder, expect_contract, require
from hhir_core.registry import build

from .adapters import BottleneckAdapter
from .prompts import build_prompts, load_classes
from .sgmc import SGMCSimilarity, guided_kl_loss
from .ucmr import NTXentLoss, V2PAttention


def _build_slot(role: str, cfg: Union[dict, nn.Module], contract: type, slot: str,
                default_type: str = "") -> nn.Module:
    """A sub-component from its config (through the registry) or a ready module."""
    if not isinstance(cfg, nn.Module):
        cfg = dict(cfg)
        if default_type:
            cfg.setdefault("type", default_type)
        cfg = build(role, cfg)
    return expect_contract(cfg, contract, slot)


#: temperature of the refinement contrastive losses (NT-Xent between before/after UCMR features)
REFINE_TEMPERATURE = 0.1

#: ``fw_source`` values: the frame features ``S_FW`` compares with the label's words
FW_SOURCES = ("pose", "video")
#: ``p2v_weights`` values: where P2V's per-joint weights come from
P2V_WEIGHT_SOURCES = ("pose_encoder", "detector")


class PeVLRecognizer(InferenceRecognizer, BaseModel):
    """Pose-enhanced vision-language recognizer (PeVL).

    Args:
        video_encoder / pose_encoder: branch-encoder configs.
        text_encoder: ``TextEncoderHead`` config (sentence + word embeddings).
        class_names: list, ``.txt`` or ``.json`` path (see :mod:`.prompts`);
            ``class_ids`` selects/reorders classes like the dataset's ``classes``.
        prompt / prompt_fallback: label prompt templates (a coarse class name is used where the
            class table gives one).
        use_ucmr, use_p2v, use_v2p, use_refinement: UCMR switches (ablations).
        similarities: subset of ``("vs", "ps", "fw")``.
        fw_source: what ``S_FW`` contrasts with the words: ``'pose'`` (the paper: frame-level
            pose features, the pose encoder's joint tokens averaged per frame and projected)
            or ``'video'`` (the video encoder's per-frame class tokens).
        p2v_weights: where P2V's joint weights come from: ``'pose_encoder'`` (the paper: a
            score of each joint's last-layer pose-encoder token, ``sigmoid(Linear(token))``,
            taken at each video frame's time; undetected joints keep weight 0) or
            ``'detector'`` (the pose detector's confidences in ``video_keypoint``).
        guided_loss: semantic-content-guided loss (False: vanilla contrastive-KL).
        lambda_r: weight of the refinement loss (paper 0.1).
        text_adapter: a trainable bottleneck adapter on the frozen text features.
        freeze_pose_encoder: freeze the pose encoder too (the paper's all-frozen ablation, with
            ``video_encoder.adapters=False`` and ``text_adapter=False``). Only the pose encoder's
            own parameters: layers it shares with the video encoder keep the video side's setting.

    A pose encoder that declares ``attach_shared_layers`` (``SharedCLIPPoseEncoder``, the paper's
    design) gets the video encoder's ``shared_layers()`` right after both are built.
    """

    #: the swappable sub-components (``hhir components --slots``); the pose source fills
    #: the dataset's pose annotations
    slots = (
        Slot("model.video_encoder", "branch_encoder", "KeypointVideoEncoder", input_kind="frames",
             uses=("shared_layers: a pose encoder with attach_shared_layers (SharedCLIPPoseEncoder)",)),
        Slot("model.pose_encoder", "branch_encoder", "JointTokenEncoder", input_kind="skeleton",
             uses=("attach_shared_layers: runs the joint tokens through the video encoder's layers",)),
        Slot("model.text_encoder", "language_head", "TextEncoder", requires=("encode_words",)),
        Slot("pose_source", "pose_source", "PoseSource",
             where="tools/data/extract_poses.py --pose-source"),
    )

    def __init__(self, video_encoder: dict, pose_encoder: dict, text_encoder: dict,
                 class_names: Any, class_ids: Optional[Sequence[int]] = None,
                 prompt: str = "{label}, a video of {coarse} action",
                 prompt_fallback: str = "{label}",
                 use_ucmr: bool = True, use_p2v: bool = True, use_v2p: bool = True,
                 use_refinement: bool = True, v2p_heads: int = 4,
                 similarities: Sequence[str] = ("vs", "ps", "fw"), fw_temperature: float = 0.01,
                 fw_source: str = "pose", p2v_weights: str = "pose_encoder",
                 guided_loss: bool = True, lambda_r: float = 0.1,
                 text_adapter: bool = True,
                 adapter_ratio: float = 0.25, freeze_pose_encoder: bool = False, data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.video_encoder = _build_slot("branch_encoder", video_encoder, KeypointVideoEncoder,
                                         "model.video_encoder")
        self.pose_encoder = _build_slot("branch_encoder", pose_encoder, JointTokenEncoder,
                                        "model.pose_encoder")
        if self.pose_encoder.supports("attach_shared_layers"):
            # the pose encoder runs its joint tokens through the video encoder's (frozen) layers
            # with its own adapters: the same modules, owned (stored, frozen, saved) by the video side
            require(self.video_encoder, "shared_layers",
                    "model.video_encoder (the pose encoder shares its layers)")
            self.pose_encoder.attach_shared_layers(self.video_encoder.shared_layers())
        if freeze_pose_encoder:
            for p in self.pose_encoder.parameters():
                p.requires_grad_(False)
        self.text_encoder = _build_slot("language_head", text_encoder, TextEncoder,
                                        "model.text_encoder", default_type="TextEncoderHead")
        require(self.text_encoder, "encode_words", "model.text_encoder")
        self.class_spec, self.class_ids = class_names, class_ids
        self.prompt, self.prompt_fallback = prompt, prompt_fallback
        self.use_p2v = bool(use_ucmr and use_p2v)
        self.use_v2p = bool(use_ucmr and use_v2p)
        self.use_refinement = bool(use_ucmr and use_refinement)
        self.guided_loss, self.lambda_r = guided_loss, lambda_r

        d = self.video_encoder.out_dim
        dt = int(self.text_encoder.embed_dim)
        self.embed_dim = d
        self.pose_proj = nn.Linear(self.pose_encoder.out_dim, d)
        self.text_proj = nn.Linear(dt, d)
        if dt == d:  # keep a pre-aligned (CLIP) text space at initialisation
            nn.init.eye_(self.text_proj.weight)
            nn.init.zeros_(self.text_proj.bias)
        self.text_adapter = BottleneckAdapter(d, adapter_ratio) if text_adapter else nn.Identity()
        self.v2p = (V2PAttention(self.pose_encoder.out_dim, self.video_encoder.hidden_size, v2p_heads)
                    if self.use_v2p else None)
        if fw_source not in FW_SOURCES:
            raise ConfigError(f"model.fw_source={fw_source!r}; valid: {', '.join(FW_SOURCES)}")
        self.fw_source = fw_source
        if p2v_weights not in P2V_WEIGHT_SOURCES:
            raise ConfigError(f"model.p2v_weights={p2v_weights!r}; valid: {', '.join(P2V_WEIGHT_SOURCES)}")
        self.p2v_weights = p2v_weights
        self.joint_score = (nn.Linear(self.pose_encoder.out_dim, 1)
                            if self.use_p2v and p2v_weights == "pose_encoder" else None)
        self.sgmc = SGMCSimilarity(similarities, fw_temperature)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))  # CLIP's initial temperature
        self.refine_video = NTXentLoss(REFINE_TEMPERATURE) if self.use_refinement and self.use_p2v else None
        self.refine_pose = NTXentLoss(REFINE_TEMPERATURE) if self.use_refinement and self.use_v2p else None
        self._text_cache: Optional[Dict[str, torch.Tensor]] = None
        #: checkpoints skip these frozen pre-trained weights (TrainableCheckpointHook)
        self.frozen_state_prefixes = tuple(
            f"video_encoder.{p}" for p in self.video_encoder.frozen_state_prefixes) + tuple(
            f"pose_encoder.{p}" for p in self.pose_encoder.frozen_state_prefixes) + ("text_encoder",)

    # -------------------------------------------------------------- inference
    inference_inputs = ("video",)
    inference_score_kind = "logits"

    def inference_class_names(self, cfg: Any) -> List[str]:
        return [r["name"] for r in load_classes(self.class_spec, self.class_ids)]

    def prepare_inference(self, item: Any, ctx: Any) -> PreparedInput:
        """Frames and 2-D poses of the video (the context's pose source), sampled and
        cropped as the evaluation dataset does."""
        from pathlib import Path

        from mmengine.dataset import default_collate

        from hhir_core.apis.inference import read_clip, video_to_skeleton

        from .video_pose import VideoPoseDataset

        clip = read_clip(item, ctx)
        poses = video_to_skeleton(item, ctx, self.inference_pose_layout(ctx.cfg))
        settings = {k: v for k, v in dict(eval_dataset_cfg(ctx.cfg)).items()
                    if k not in ("type", "ann_file", "video_dir", "synthetic", "split", "classes",
                                 "video_pattern", "pipeline")}
        kp = np.asarray(poses.keypoint, np.float32)[..., :2]
        layout = settings.get("layout", "coco")
        if poses.layout != layout:
            raise DataError(f"{item.name}: the pose source gives {poses.layout!r} joints but the "
                            f"model was trained on {layout!r}; choose a pose source with that layout")
        score = np.ones(kp.shape[:3], np.float32) if poses.score is None else np.asarray(poses.score, np.float32)
        ann = dict(frame_dir=Path(item.video).stem, label=0, keypoint=kp, keypoint_score=score,
                   img_shape=tuple(clip.frames.shape[1:3]), total_frames=kp.shape[1])
        data = VideoPoseDataset(annotations=[ann], video_dir=str(Path(item.video).parent),
                                video_pattern=Path(item.video).name, test_mode=True, **settings)
        batch = default_collate([data[0]])
        batch.pop("label", None)
        return PreparedInput(batch=batch, extras={"poses": poses})

    # ------------------------------------------------------------------ text
    @property
    def class_prompts(self) -> List[str]:
        rows = load_classes(self.class_spec, self.class_ids)
        return build_prompts(rows, self.prompt, self.prompt_fallback)

    def _encode_texts(self, device: torch.device) -> Dict[str, torch.Tensor]:
        """Raw sentence ``[K,Dt]``, words ``[K,W,Dt]``, mask ``[K,W]`` (cached when frozen)."""
        frozen = not any(p.requires_grad for p in self.text_encoder.parameters())
        if frozen and self._text_cache is not None:
            if self._text_cache["sent"].device != device:
                self._text_cache = {k: v.to(device) for k, v in self._text_cache.items()}
            return self._text_cache
        prompts = self.class_prompts
        with torch.set_grad_enabled(not frozen and torch.is_grad_enabled()):
            sent = self.text_encoder(prompts)
            words, mask = self.text_encoder.encode_words(prompts)
        out = dict(sent=sent.float().to(device), words=words.float().to(device), mask=mask.bool().to(device))
        if frozen:
            self._text_cache = {k: v.detach() for k, v in out.items()}
        return out

    def _project_texts(self, texts: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        return dict(sent=self.text_adapter(self.text_proj(texts["sent"])),
                    words=self.text_adapter(self.text_proj(texts["words"])), mask=texts["mask"])

    # ---------------------------------------------------------------- vision
    def extract(self, imgs: torch.Tensor, pose: torch.Tensor,
                video_keypoint: Optional[torch.Tensor] = None) -> Dict[str, torch.Tensor]:
        """Video ``V [B,D]``, frames ``F [B,T,D]`` (for ``S_FW``: pose or video frames, see
        ``fw_source``), pose ``P [B,D]`` and refinement losses."""
        pt = self.pose_encoder.encode(pose)                               # [B,Tp,J,Dp]
        if self.joint_score is not None and video_keypoint is not None:
            video_keypoint = self.pose_weighted_keypoints(video_keypoint, pt)
        vo = self.video_encoder.encode(imgs, video_keypoint, use_p2v=self.use_p2v)
        frames = vo["frames"]
        pooled_before = pt.mean(dim=(1, 2))
        if self.v2p is not None:
            pt = self.v2p(pt, vo["patches"])
        pooled = pt.mean(dim=(1, 2))
        out = dict(video=frames.mean(1), pose=self.pose_proj(pooled),
                   frames=self.pose_proj(pt.mean(2)) if self.fw_source == "pose" else frames)
        losses = []
        if self.refine_video is not None and "before" in vo:
            losses.append(self.refine_video(vo["before"], vo["after"]))
        if self.refine_pose is not None:
            losses.append(self.refine_pose(pooled_before, pooled))
        if losses:
            out["loss_refine"] = torch.stack(losses).sum()
        return out

    def pose_weighted_keypoints(self, video_keypoint: torch.Tensor, pose_tokens: torch.Tensor) -> torch.Tensor:
        """``video_keypoint [B,M,T,V,3]`` with the score replaced by the pose encoder's joint weights.

        ``pose_tokens [B,Tp,M·V,Dp]`` (last layer); video frame ``t`` takes the pose frame at
        the same relative time. A joint the detector missed (score 0) stays at 0.
        """
        b, m, t, v, _ = video_keypoint.shape
        tp, joints = pose_tokens.shape[1:3]
        if joints != m * v:
            raise ConfigError(f"model.p2v_weights='pose_encoder': the pose encoder has {joints} joint tokens "
                              f"per frame but video_keypoint has {m}x{v}; use p2v_weights='detector'")
        weight = torch.sigmoid(self.joint_score(pose_tokens)).squeeze(-1)            # [B,Tp,M·V]
        idx = torch.linspace(0, tp - 1, t, device=weight.device).round().long()
        weight = weight[:, idx].reshape(b, t, m, v).permute(0, 2, 1, 3)               # [B,M,T,V]
        seen = (video_keypoint[..., 2] > 0).to(weight.dtype)
        return torch.cat([video_keypoint[..., :2], (weight * seen).unsqueeze(-1)], dim=-1)

    def similarity(self, feats: Dict[str, torch.Tensor], texts: Dict[str, torch.Tensor]) -> torch.Tensor:
        """``S`` ``[B,K]`` of the features against the (projected) texts."""
        return self.sgmc(feats["video"], feats["pose"], feats["frames"], texts["sent"],
                         texts["words"], texts["mask"])["sim"]

    # --------------------------------------------------------------- forward
    def forward(self, imgs: torch.Tensor, pose: torch.Tensor, label: Optional[torch.Tensor] = None,
                video_keypoint: Optional[torch.Tensor] = None, mode: str = "loss",
                **unused: Any) -> Union[Dict[str, torch.Tensor], List[dict]]:
        if mode == "loss":
            return self.loss(imgs, pose, label, video_keypoint)
        if mode == "predict":
            return self.predict(imgs, pose, label, video_keypoint)
        if mode == "tensor":
            return self.predict_scores(imgs, pose, video_keypoint)
        raise ConfigError(f"PeVLRecognizer.forward: unknown mode {mode!r}")

    def loss(self, imgs, pose, label, video_keypoint=None) -> Dict[str, torch.Tensor]:
        if label is None:
            raise ValueError("PeVLRecognizer.loss needs 'label'")
        label = torch.as_tensor(label, device=imgs.device).view(-1).long()
        raw = self._encode_texts(imgs.device)
        texts = self._project_texts({k: v[label] for k, v in raw.items()})
        feats = self.extract(imgs, pose, video_keypoint)
        scale = self.logit_scale.exp().clamp(max=100.0)
        sim = self.similarity(feats, texts)                               # [B,B]
        losses = dict(loss_t=guided_kl_loss(scale * sim, label, text_emb=raw["sent"][label],
                                            guided=self.guided_loss))
        if "loss_refine" in feats:
            losses["loss_refine"] = self.lambda_r * feats["loss_refine"]
        losses["logit_scale"] = scale.detach()
        return losses

    def predict_scores(self, imgs, pose, video_keypoint=None) -> torch.Tensor:
        """``[B,K]`` similarity to every label text (crops averaged)."""
        texts = self._project_texts(self._encode_texts(imgs.device))
        if imgs.dim() == 6:  # [B,C,T,3,H,W]: multi-crop test
            b, c = imgs.shape[:2]
            kp = None if video_keypoint is None else video_keypoint.flatten(0, 1)
            rep = pose.repeat_interleave(c, dim=0)
            sim = self.similarity(self.extract(imgs.flatten(0, 1), rep, kp), texts)
            return sim.view(b, c, -1).mean(1)
        return self.similarity(self.extract(imgs, pose, video_keypoint), texts)

    def predict(self, imgs, pose, label=None, video_keypoint=None) -> List[dict]:
        scores = self.predict_scores(imgs, pose, video_keypoint).float()
        out = []
        for i in range(scores.shape[0]):
            d = dict(pred_scores=scores[i].detach().cpu(), pred_label=int(scores[i].argmax()))
            if label is not None:
                d["gt_label"] = int(torch.as_tensor(label).view(-1)[i])
            out.append(d)
        return out

