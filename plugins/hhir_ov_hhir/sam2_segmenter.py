"""SAM 2 video segmentation (transformers ``Sam2VideoModel``) as a Segmenter.

Why a module of its own: it is the only segmenter that needs downloaded weights
(``facebook/sam2.1-hiera-*``) and it imports nothing heavy until it is built.

How it works: a *prompt source* gives one box per person (by default the offline
:class:`~hhir_ov_hhir.segmenters.OpenCVPersonSegmenter` tracks; or boxes passed by
the caller). On the first frame where the people are found, SAM 2 gets one box
prompt per person (object id ``p + 1``, so person order is kept), then propagates
the masks forward to the last frame and backward to frame 0 with its memory
attention. Masks are the upsampled logits ``> 0``; overlapping pixels
go to the person with the highest logit (SAM 2's non-overlap constraint).

Frames are preprocessed on demand (resize to the model's square input, ImageNet
mean/std, as ``Sam2VideoVideoProcessor`` does), so memory holds the uint8 clip, not
``T`` float copies at 1024 px. The processor itself is not used: it needs
torchvision, which hhir does not install.
"""
from __future__ import annotations

import os
from collections.abc import Mapping as MappingABC
from pathlib import Path
from typing import Any, Dict, Iterator, Mapping, Optional, Tuple, Union

import numpy as np

from hhir_core.errors import ConfigError, DataError
from hhir_core.interfaces import Segmenter
from hhir_core.preflight import hub_download_command
from hhir_core.structures import PersonTracks, VideoClip

DEFAULT_MODEL = "facebook/sam2.1-hiera-tiny"
#: default prompt source: the offline segmenter's person tracks (no weights needed)
DEFAULT_PROMPT: Mapping[str, Any] = {"type": "OpenCVPersonSegmenter"}
#: SAM 2's preprocessing (``Sam2VideoVideoProcessor``: IMAGENET_DEFAULT_MEAN/STD)
IMAGE_MEAN = (0.485, 0.456, 0.406)
IMAGE_STD = (0.229, 0.224, 0.225)
#: point labels SAM 2 uses for the two corners of a box prompt
BOX_LABELS = (2, 3)
OFFLINE_HINT = ("Without SAM 2 weights use the offline segmenter: dict(type='OpenCVPersonSegmenter') "
                "(tools: --segmenter OpenCVPersonSegmenter).")

ModelSpec = Union[str, os.PathLike, Mapping[str, Any], Any]


def tiny_sam2_video_config(image_size: int = 64, **overrides: Any):
    """A ~1 M-parameter random ``Sam2VideoConfig`` that runs a short clip in a second on a CPU.

    Why these numbers: ``image_size`` must be a multiple of 32 (Hiera: patch stride 4,
    three 2x poolings; the mask decoder works at 1/16). The memory attention's cross
    attention reads 64-channel memories (hard-coded in transformers), and the object
    pointers are split into ``hidden / 64`` tokens, so the hidden size is 128.
    """
    from transformers import Sam2VideoConfig

    s = int(image_size)
    if s < 32 or s % 32:
        raise ConfigError(f"model.image_size must be a positive multiple of 32, got {image_size!r}")
    hidden = 128
    cfg = dict(
        vision_config=dict(
            model_type="sam2_vision_model",
            backbone_config=dict(
                model_type="sam2_hiera_det_model", hidden_size=8, image_size=[s, s],
                blocks_per_stage=[1, 1, 2, 1], embed_dim_per_stage=[8, 16, 32, 64],
                num_attention_heads_per_stage=[1, 1, 1, 1], window_size_per_stage=[4, 4, 4, 2],
                global_attention_blocks=[3], window_positional_embedding_background_size=[2, 2]),
            backbone_channel_list=[64, 32, 16, 8],
            backbone_feature_sizes=[[s // 4, s // 4], [s // 8, s // 8], [s // 16, s // 16]],
            fpn_hidden_size=hidden),
        prompt_encoder_config=dict(hidden_size=hidden, image_size=s, patch_size=16, mask_input_channels=8),
        mask_decoder_config=dict(hidden_size=hidden, mlp_dim=64, num_hidden_layers=2, num_attention_heads=4,
                                 iou_head_hidden_dim=32),
        image_size=s, num_maskmem=3, max_object_pointers_in_encoder=4,
        memory_attention_hidden_size=hidden, memory_attention_num_layers=1,
        memory_attention_feed_forward_hidden_size=64, memory_attention_rope_feat_sizes=[s // 16, s // 16],
        memory_encoder_hidden_size=hidden, memory_encoder_output_channels=64,
        mask_downsampler_embed_dim=hidden, memory_fuser_embed_dim=hidden, memory_fuser_intermediate_dim=64,
    )
    cfg.update(overrides)
    return Sam2VideoConfig(**cfg)


def load_sam2_video_model(spec: ModelSpec, dtype: Any = "float32", device: str = "cpu"):
    """Resolve ``model=`` to an eval-mode, frozen ``Sam2VideoModel``.

    ``spec``: a hub id (offline: must be in the HF cache), a local folder
    (``save_pretrained`` layout), ``dict(tiny=True, image_size=64, seed=0, **config
    overrides)`` for a random tiny model, a ``Sam2VideoConfig`` dict (with
    ``vision_config``; random weights, ``seed``), or a ``Sam2VideoModel`` instance.
    Missing weights raise :class:`~hhir_core.llm.loading.ModelNotFoundError` naming
    the id/path and pointing to the offline segmenter.
    """
    import torch
    from transformers import Sam2VideoConfig, Sam2VideoModel

    from hhir_core.llm.loading import ModelNotFoundError, hub_offline, torch_dtype

    tdtype = torch_dtype(dtype)
    if isinstance(spec, Sam2VideoModel):
        model = spec
    elif isinstance(spec, MappingABC):
        d = dict(spec)
        seed = int(d.pop("seed", 0))
        if d.pop("tiny", False):
            cfg = tiny_sam2_video_config(**d)
        elif "vision_config" in d:
            d.pop("model_type", None)
            cfg = Sam2VideoConfig(**d)
        else:
            raise ConfigError(f"model={spec!r}: a dict needs tiny=True or a Sam2VideoConfig "
                              "(with vision_config); or pass a hub id / local folder")
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = Sam2VideoModel(cfg)
    elif isinstance(spec, (str, os.PathLike)):
        text = os.fspath(spec)
        path = Path(os.path.expanduser(text))
        if path.is_dir():
            target, kwargs, where = str(path), dict(local_files_only=True), f"local folder {path}"
        elif text.startswith((".", "/", "~")) or text.count("/") > 1 or path.exists():
            state = "is not a folder" if path.exists() else "does not exist"
            raise ModelNotFoundError(f"SAM 2 model folder {path} {state} (model={text!r}). "
                                     f"Pass a folder written by save_pretrained or a hub id such as "
                                     f"{DEFAULT_MODEL!r}. {OFFLINE_HINT}")
        else:
            target, kwargs = text, (dict(local_files_only=True) if hub_offline() else {})
            where = (f"hub id {text!r} (HF_HUB_OFFLINE=1: only the local Hugging Face cache is searched)"
                     if hub_offline() else f"hub id {text!r}")
        try:
            model = Sam2VideoModel.from_pretrained(target, **kwargs)
        except (OSError, ValueError) as exc:
            first = str(exc).splitlines()[0] if str(exc) else ""
            raise ModelNotFoundError(
                f"cannot load SAM 2 video weights from {where}: {type(exc).__name__}: {first}\n"
                f"Get them with {hub_download_command(text if not path.is_dir() else DEFAULT_MODEL)} "
                f"(or pass a local folder as model=...). {OFFLINE_HINT}") from exc
    else:
        raise ConfigError(f"model must be a hub id, a folder, a dict or a Sam2VideoModel, got {type(spec).__name__}")
    model = model.to(device=device, dtype=tdtype).eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


class _LazyFrames(MappingABC):
    """``{frame_idx: pixel_values [3,S,S]}`` computed on access from the uint8 clip.

    Why: the inference session reads frames through ``processed_frames[i]`` and only
    for frames whose vision features are not cached; preprocessing all frames up front
    would hold ``T x 3 x 1024 x 1024`` floats for real checkpoints.
    """

    def __init__(self, frames: np.ndarray, size: Tuple[int, int], dtype: Any) -> None:
        import torch

        self.frames, self.size, self.dtype = frames, size, dtype
        self.mean = torch.tensor(IMAGE_MEAN).view(3, 1, 1)
        self.std = torch.tensor(IMAGE_STD).view(3, 1, 1)

    def __len__(self) -> int:
        return len(self.frames)

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.frames)))

    def __getitem__(self, idx: int):
        import torch
        import torch.nn.functional as F

        if not 0 <= int(idx) < len(self.frames):
            raise KeyError(idx)
        x = torch.from_numpy(np.ascontiguousarray(self.frames[int(idx)])).permute(2, 0, 1).float()[None] / 255.0
        x = F.interpolate(x, size=self.size, mode="bilinear", align_corners=False, antialias=True)[0]
        return ((x - self.mean) / self.std).to(self.dtype)


def first_prompt_frame(boxes: np.ndarray) -> Tuple[int, np.ndarray]:
    """``(t, keep)``: the first frame where every person has a box, and which persons to keep.

    ``boxes`` ``[P,T,4]`` with NaN (or an empty box) where a person is absent. When no
    frame shows all ``P`` people, the earliest frame with the most of them is used and
    ``keep`` marks those present (the others cannot be prompted; order is kept).
    """
    b = np.asarray(boxes, np.float64)
    if b.ndim != 3 or b.shape[-1] != 4:
        raise DataError(f"prompt boxes must be [P,T,4], got shape {b.shape}")
    ok = np.isfinite(b).all(-1) & (b[..., 2] > b[..., 0]) & (b[..., 3] > b[..., 1])  # [P,T]
    if ok.size == 0 or not ok.any():
        return 0, np.zeros(b.shape[0], bool)
    counts = ok.sum(0)
    t = int(np.argmax(counts))  # argmax returns the earliest of the maxima
    return t, ok[:, t].copy()


class Sam2Segmenter(Segmenter):
    """Person masks with SAM 2 video propagation, prompted with one box per person.

    Args:
        model: hub id (default ``facebook/sam2.1-hiera-tiny``; offline it must be in the
            HF cache), a local ``save_pretrained`` folder, or ``dict(tiny=True,
            image_size=64, seed=0)`` for a random tiny model (tests; it cannot segment).
        prompt: config of a registered segmenter whose tracks' boxes prompt SAM 2
            (default ``dict(type='OpenCVPersonSegmenter')``, no weights), or ``None`` to
            require ``boxes=`` in every :meth:`segment` call.
        device / dtype: where and in which precision SAM 2 runs (``cuda`` + ``bfloat16``
            for real clips on a GPU).

    After each call, :attr:`last_prompt` holds ``dict(frame=t, boxes=[P,4], persons=[...])``:
    the frame and pixel boxes SAM 2 was prompted with and which requested persons they are.
    """

    def __init__(self, model: ModelSpec = DEFAULT_MODEL, prompt: Optional[Any] = DEFAULT_PROMPT,
                 device: str = "cpu", dtype: str = "float32") -> None:
        self.model = load_sam2_video_model(model, dtype=dtype, device=device)
        self.device = str(device)
        self.dtype = self.model.dtype
        size = self.model.config.image_size
        self.image_size = (int(size[0]), int(size[1])) if isinstance(size, (list, tuple)) else (int(size), int(size))
        self.prompt = self._build_prompt(prompt)
        self.last_prompt: Optional[Dict[str, Any]] = None

    @staticmethod
    def _build_prompt(prompt: Any) -> Optional[Segmenter]:
        if prompt is None or isinstance(prompt, Segmenter):
            return prompt
        if isinstance(prompt, MappingABC) and "type" in prompt:
            from hhir_core.registry import build

            return build("segmenter", dict(prompt))
        raise ConfigError(f"prompt must be a segmenter config dict with 'type' (e.g. "
                          f"dict(type='OpenCVPersonSegmenter')), a Segmenter or None, got {prompt!r}")

    # ---------------------------------------------------------------- conformance kit
    @classmethod
    def tiny_config(cls) -> Dict[str, Any]:
        return dict(model=dict(tiny=True, image_size=64, seed=0),
                    prompt=dict(type="OpenCVPersonSegmenter", work_width=96))

    def example_inputs(self, batch_size: int = 2):
        from .segmenters import synthetic_two_person_clip

        clip, _ = synthetic_two_person_clip()
        return (clip,), {"num_persons": 2}

    # ---------------------------------------------------------------- prompts
    def prompt_boxes(self, clip: VideoClip, num_persons: int = 2,
                     boxes: Optional[Any] = None) -> Tuple[int, np.ndarray, np.ndarray]:
        """``(frame, boxes [P',4], persons [P'])`` that prompt SAM 2 for ``clip``.

        ``boxes``: ``[P,4]`` pixel boxes on frame 0, or ``[P,T,4]`` tracks (NaN where a
        person is absent); ``None`` asks the prompt segmenter. Only the first
        ``num_persons`` persons are used; ``persons`` are their indices, in order.
        """
        frames = np.asarray(clip.frames)
        T, H, W = frames.shape[:3]
        name = clip.source or "clip"
        if boxes is None:
            if self.prompt is None:
                raise ConfigError(f"{name}: Sam2Segmenter(prompt=None) needs boxes=[P,4] or [P,T,4] in segment()")
            tracks = np.asarray(self.prompt.segment(clip, num_persons=num_persons).boxes, np.float64)
        else:
            b = np.asarray(boxes, np.float64)
            if b.ndim == 2 and b.shape[-1] == 4:
                tracks = np.full((b.shape[0], T, 4), np.nan)
                tracks[:, 0] = b
            elif b.ndim == 3 and b.shape[1:] == (T, 4):
                tracks = b
            else:
                raise DataError(f"{name}: boxes must be [P,4] (frame 0) or [P,T={T},4] pixel boxes, got {b.shape}")
        tracks = tracks[:int(num_persons)]
        t, keep = first_prompt_frame(tracks)
        persons = np.nonzero(keep)[0]
        sel = tracks[persons, t].copy()
        sel[:, [0, 2]] = sel[:, [0, 2]].clip(0, W)
        sel[:, [1, 3]] = sel[:, [1, 3]].clip(0, H)
        return t, sel.astype(np.float32), persons

    # ---------------------------------------------------------------- main
    def segment(self, clip: VideoClip, num_persons: int = 2, boxes: Optional[Any] = None) -> PersonTracks:
        """Masks ``[P,T,H,W]`` propagated by SAM 2 from one box per person (see the class docstring).

        ``P`` is the number of persons found on the prompt frame (at most
        ``num_persons``); ``scores`` are SAM 2's object-presence probabilities averaged
        over the clip.
        """
        import torch
        import torch.nn.functional as F
        from transformers.models.sam2_video.modeling_sam2_video import Sam2VideoInferenceSession

        from .segmenters import masks_to_boxes

        frames = np.asarray(clip.frames)
        if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8 or not len(frames):
            raise DataError(f"{clip.source or 'clip'}: frames must be uint8 [T,H,W,3], got "
                            f"{frames.dtype} {frames.shape}")
        T, H, W = frames.shape[:3]
        t0, prompt, persons = self.prompt_boxes(clip, num_persons, boxes)
        self.last_prompt = dict(frame=t0, boxes=prompt, persons=persons)
        P = len(prompt)
        if P == 0:
            return PersonTracks(masks=np.zeros((0, T, H, W), bool), boxes=np.zeros((0, T, 4), np.float32),
                                scores=np.zeros(0, np.float32))

        session = Sam2VideoInferenceSession(video=None, video_height=H, video_width=W,
                                            inference_device=self.device, inference_state_device=self.device,
                                            video_storage_device="cpu", dtype=self.dtype)
        session.processed_frames = _LazyFrames(frames, self.image_size, self.dtype)
        sy, sx = self.image_size[0] / H, self.image_size[1] / W
        obj_ids = list(range(1, P + 1))
        for obj_id, box in zip(obj_ids, prompt):
            x1, y1, x2, y2 = (float(v) for v in box)
            coords = torch.tensor([[x1 * sx, y1 * sy], [x2 * sx, y2 * sy]], dtype=torch.float32).view(1, 1, 2, 2)
            labels = torch.tensor(BOX_LABELS, dtype=torch.int32).view(1, 1, 2)
            session.add_point_inputs(session.obj_id_to_idx(obj_id), t0,
                                     {"point_coords": coords, "point_labels": labels})
        session.obj_with_new_inputs = list(obj_ids)

        masks = np.zeros((P, T, H, W), bool)
        presence = np.zeros((P, T), np.float32)
        seen = np.zeros(T, bool)

        def collect(out) -> None:
            t = int(out.frame_idx)
            if seen[t]:
                return
            seen[t] = True
            order = [out.object_ids.index(i) for i in obj_ids]
            logits = out.pred_masks[order].float()                       # [P,1,h,w] low-res logits
            logits = F.interpolate(logits, (H, W), mode="bilinear", align_corners=False)[:, 0]
            fg = logits > 0
            if P > 1:   # a pixel claimed by several persons goes to the highest logit
                fg &= logits.argmax(0, keepdim=True) == torch.arange(P, device=logits.device)[:, None, None]
            masks[:, t] = fg.cpu().numpy()
            presence[:, t] = torch.sigmoid(out.object_score_logits.float().reshape(-1)[order]).cpu().numpy()

        with torch.inference_mode():
            for out in self.model.propagate_in_video_iterator(session, start_frame_idx=t0):
                collect(out)
            if t0 > 0:
                for out in self.model.propagate_in_video_iterator(session, start_frame_idx=t0, reverse=True):
                    collect(out)
        return PersonTracks(masks=masks, boxes=masks_to_boxes(masks), scores=presence.mean(1).astype(np.float32))
