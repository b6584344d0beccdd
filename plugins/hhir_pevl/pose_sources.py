"""Pose sources (PoseSource role) for video datasets that ship no poses.

* :class:`AnnotationPoseSource` — poses already in an annotation pickle (or in
  the sample itself).
* :class:`ViTPoseSource` — top-down ViTPose through transformers
  (``VitPoseForPoseEstimation``) on person boxes given in the sample, from a
  Segmenter, or from OpenCV's HOG person detector.
* :class:`MMPoseSource` — mmpose's top-down inferencer (HRNet, as in the PeVL
  paper); an optional extra, import-guarded.

All return :class:`~hhir_core.structures.SkeletonSeq` with ``keypoint`` float32
``[M,T,V,2]`` in image pixels, ``score`` ``[M,T,V]`` and the layout name;
missing persons are zero-filled with score 0.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple, Union

import numpy as np

from hhir_core.errors import ConfigError, DataError, PluginError
from hhir_core.interfaces import PoseSource
from hhir_core.structures import SkeletonSeq, VideoClip

IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], np.float32)
#: a person box is enlarged by this factor before the top-down crop (mmpose's padding 1.25)
BOX_EXPAND = 1.25


def _pad_persons(kp: np.ndarray, score: np.ndarray, m: int) -> Tuple[np.ndarray, np.ndarray]:
    if kp.shape[0] >= m:
        return kp[:m], score[:m]
    pad = m - kp.shape[0]
    return (np.concatenate([kp, np.zeros((pad,) + kp.shape[1:], kp.dtype)]),
            np.concatenate([score, np.zeros((pad,) + score.shape[1:], score.dtype)]))


class AnnotationPoseSource(PoseSource):
    """Poses read from an annotation pickle (NTU 2-D convention) or the sample.

    ``poses(sample)`` uses ``sample["keypoint"]`` if present, else looks up
    ``sample["frame_dir"]`` in ``ann_file``.
    """

    def __init__(self, ann_file: Optional[str] = None, layout: str = "coco",
                 num_persons: Optional[int] = None) -> None:
        self.ann_file, self.layout, self.num_persons = ann_file, layout, num_persons
        self._by_dir: Optional[Dict[str, dict]] = None

    def _lookup(self, frame_dir: str) -> dict:
        if self._by_dir is None:
            if self.ann_file is None:
                raise DataError("AnnotationPoseSource: sample has no 'keypoint' and no ann_file is set")
            from hhir_core.data.ntu import load_annotation_file
            self._by_dir = {a["frame_dir"]: a for a in load_annotation_file(self.ann_file)["annotations"]}
        if frame_dir not in self._by_dir:
            raise DataError(f"sample {frame_dir!r} is not in pose annotation file {self.ann_file}")
        return self._by_dir[frame_dir]

    def poses(self, sample: dict) -> SkeletonSeq:
        ann = sample if "keypoint" in sample else self._lookup(str(sample.get("frame_dir")))
        kp = np.asarray(ann["keypoint"], np.float32)
        if kp.ndim != 4:
            raise DataError(f"sample {ann.get('frame_dir')!r}: keypoint shape {kp.shape}, expected [M,T,V,C]")
        score = ann.get("keypoint_score")
        score = np.ones(kp.shape[:3], np.float32) if score is None else np.asarray(score, np.float32)
        kp = np.nan_to_num(kp)
        if self.num_persons is not None:
            kp, score = _pad_persons(kp, score, self.num_persons)
        return SkeletonSeq(keypoint=kp, score=score, layout=self.layout,
                           img_shape=tuple(ann["img_shape"]) if "img_shape" in ann else None)

    @classmethod
    def tiny_config(cls) -> Dict[str, Any]:
        return dict(num_persons=2)

    def example_inputs(self, batch_size: int = 2):
        rng = np.random.default_rng(0)
        return (dict(frame_dir="x", keypoint=rng.random((1, 4, 17, 2), dtype=np.float32) * 50,
                     keypoint_score=np.ones((1, 4, 17), np.float32)),), {}


# ------------------------------------------------------------------------ boxes
def hog_person_boxes(frames: np.ndarray, num_persons: int, stride: int = 8,
                     max_side: int = 640) -> np.ndarray:
    """Person boxes ``[P,T,4]`` (x1,y1,x2,y2; NaN where absent) from the core's people
    detector (:func:`hhir_core.vision.detect_people`, OpenCV HOG).

    Why: an offline, dependency-free detector; the ``num_persons`` strongest boxes of a
    frame are kept and identities follow their horizontal order (adequate for 1–2 people).
    """
    import cv2

    from hhir_core.vision import detect_people

    t, h, w = frames.shape[:3]
    scale = min(1.0, max_side / max(h, w))
    boxes = np.full((num_persons, t, 4), np.nan, np.float32)
    for i, frame in enumerate(frames):
        img = cv2.resize(frame, (int(w * scale), int(h * scale))) if scale < 1 else frame
        found, scores = detect_people(img, stride=stride)
        if len(found) == 0:
            continue
        sel = found[np.argsort(-scores)[:num_persons]] / scale
        for p, box in enumerate(sel[np.argsort(sel[:, 0])]):
            boxes[p, i] = box
    return boxes


def box_to_affine(box: np.ndarray, out_hw: Tuple[int, int], expand: float = BOX_EXPAND) -> np.ndarray:
    """2x3 affine matrix mapping an (expanded, aspect-corrected) box onto ``out_hw``."""
    x1, y1, x2, y2 = box
    oh, ow = out_hw
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    bw, bh = max(x2 - x1, 1.0), max(y2 - y1, 1.0)
    aspect = ow / oh
    if bw > aspect * bh:
        bh = bw / aspect
    else:
        bw = bh * aspect
    bw, bh = bw * expand, bh * expand
    sx, sy = ow / bw, oh / bh
    return np.array([[sx, 0, ow / 2 - sx * cx], [0, sy, oh / 2 - sy * cy]], np.float32)


def decode_heatmaps(heatmaps: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """``[N,K,h,w]`` -> coordinates ``[N,K,2]`` in heatmap pixels and scores ``[N,K]``.

    Argmax with the usual quarter-pixel shift towards the higher neighbour.
    """
    n, k, h, w = heatmaps.shape
    flat = heatmaps.reshape(n, k, -1)
    idx = flat.argmax(-1)
    score = flat.max(-1)
    x, y = (idx % w).astype(np.float32), (idx // w).astype(np.float32)
    xi, yi = (idx % w), (idx // w)
    hm = heatmaps
    ni, ki = np.meshgrid(np.arange(n), np.arange(k), indexing="ij")
    dx = np.where((xi > 0) & (xi < w - 1),
                  hm[ni, ki, yi, np.clip(xi + 1, 0, w - 1)] - hm[ni, ki, yi, np.clip(xi - 1, 0, w - 1)], 0)
    dy = np.where((yi > 0) & (yi < h - 1),
                  hm[ni, ki, np.clip(yi + 1, 0, h - 1), xi] - hm[ni, ki, np.clip(yi - 1, 0, h - 1), xi], 0)
    return np.stack([x + 0.25 * np.sign(dx), y + 0.25 * np.sign(dy)], -1), score.astype(np.float32)


class ViTPoseSource(PoseSource):
    """Top-down ViTPose (transformers) on person boxes.

    Args:
        model: hub id (``usyd-community/vitpose-base-simple``), local folder, or
            ``dict(tiny=True, ...)`` for a random tiny model (tests, offline).
        detector: ``"hog"`` (OpenCV HOG people detector), ``"boxes"`` (only
            ``sample["boxes"]`` ``[P,T,4]``), or a Segmenter config dict whose
            ``PersonTracks.boxes`` are used. ``sample["boxes"]`` always wins.
        num_persons: M of the output.
        layout: layout name of the model's keypoints (``coco`` for COCO-17 models).
        batch_size: person crops per forward pass.
    """

    def __init__(self, model: Union[str, Dict[str, Any]] = "usyd-community/vitpose-base-simple",
                 detector: Union[str, Dict[str, Any]] = "hog", num_persons: int = 1,
                 layout: str = "coco", batch_size: int = 16,
                 device: str = "cpu") -> None:
        from transformers import VitPoseForPoseEstimation

        if isinstance(model, dict):
            from transformers import VitPoseBackboneConfig, VitPoseConfig
            kw = {k: v for k, v in model.items() if k != "tiny"}
            num_labels = kw.pop("num_labels", 17)
            bb = dict(image_size=[64, 48], patch_size=[16, 16], hidden_size=32, num_hidden_layers=2,
                      num_attention_heads=2, out_indices=[2])
            bb.update(kw)
            bb["out_indices"] = [bb["num_hidden_layers"]]
            self.model = VitPoseForPoseEstimation(VitPoseConfig(backbone_config=VitPoseBackboneConfig(**bb),
                                                                num_labels=num_labels))
        else:
            try:
                self.model = VitPoseForPoseEstimation.from_pretrained(model)
            except OSError as exc:
                raise ConfigError(f"ViTPoseSource model={model!r} could not be loaded ({exc}); give a "
                                  "local folder or allow the hub download") from exc
        self.model.eval().to(device)
        if isinstance(detector, str) and detector not in ("hog", "boxes"):
            raise ConfigError(f"ViTPoseSource detector={detector!r}: use 'hog', 'boxes' or a segmenter config")
        self.detector, self.num_persons, self.layout = detector, num_persons, layout
        self.batch_size, self.device = batch_size, device
        self.input_hw = tuple(int(v) for v in self.model.config.backbone_config.image_size)
        self.num_keypoints = int(self.model.config.num_labels)

    def _boxes(self, sample: dict, frames: np.ndarray) -> np.ndarray:
        if sample.get("boxes") is not None:
            return np.asarray(sample["boxes"], np.float32)
        if self.detector == "boxes":
            raise DataError(f"ViTPoseSource(detector='boxes'): sample {sample.get('frame_dir', '?')!r} "
                            "has no 'boxes'")
        if self.detector == "hog":
            return hog_person_boxes(frames, self.num_persons)
        from hhir_core.registry import build
        seg = build("segmenter", dict(self.detector))
        return np.asarray(seg.segment(VideoClip(frames=frames), self.num_persons).boxes, np.float32)

    def poses(self, sample: dict) -> SkeletonSeq:
        import cv2
        import torch

        clip = sample.get("clip")
        if clip is None:
            raise DataError(f"ViTPoseSource needs sample['clip'] (a VideoClip); got keys {sorted(sample)}")
        frames = np.asarray(clip.frames)
        t, h, w = frames.shape[:3]
        boxes = self._boxes(sample, frames)
        m = self.num_persons
        kp = np.zeros((m, t, self.num_keypoints, 2), np.float32)
        sc = np.zeros((m, t, self.num_keypoints), np.float32)
        jobs: List[Tuple[int, int, np.ndarray]] = []
        for p in range(min(m, boxes.shape[0])):
            for i in range(t):
                if np.isfinite(boxes[p, i]).all():
                    jobs.append((p, i, box_to_affine(boxes[p, i], self.input_hw, BOX_EXPAND)))
        oh, ow = self.input_hw
        for start in range(0, len(jobs), self.batch_size):
            chunk = jobs[start:start + self.batch_size]
            crops = np.stack([cv2.warpAffine(frames[i], a, (ow, oh), flags=cv2.INTER_LINEAR)
                              for _, i, a in chunk]).astype(np.float32) / 255.0
            x = torch.from_numpy(((crops - IMAGENET_MEAN) / IMAGENET_STD).transpose(0, 3, 1, 2)).to(self.device)
            kw = {}
            if getattr(self.model.config.backbone_config, "num_experts", 1) > 1:
                kw["dataset_index"] = torch.zeros(len(chunk), dtype=torch.long, device=self.device)
            with torch.no_grad():
                heat = self.model(pixel_values=x, **kw).heatmaps.float().cpu().numpy()
            coords, scores = decode_heatmaps(heat)
            hh, hw = heat.shape[2:]
            for (p, i, a), c, s in zip(chunk, coords, scores):
                crop_xy = (c + 0.5) * np.array([ow / hw, oh / hh], np.float32) - 0.5
                inv = cv2.invertAffineTransform(a)
                kp[p, i] = crop_xy @ inv[:, :2].T + inv[:, 2]
                sc[p, i] = np.clip(s, 0.0, 1.0)
        return SkeletonSeq(keypoint=kp, score=sc, layout=self.layout, img_shape=(h, w))

    @classmethod
    def tiny_config(cls) -> Dict[str, Any]:
        return dict(model=dict(tiny=True), detector="boxes", num_persons=2)

    def example_inputs(self, batch_size: int = 2):
        rng = np.random.default_rng(0)
        frames = rng.integers(0, 255, (3, 64, 80, 3), dtype=np.uint8)
        boxes = np.array([[[5, 5, 40, 60]] * 3, [[40, 2, 75, 62]] * 3], np.float32)
        boxes[1, 1] = np.nan  # person 2 missing in frame 1
        return (dict(clip=VideoClip(frames=frames), boxes=boxes),), {}


class MMPoseSource(PoseSource):
    """mmpose top-down inferencer (e.g. HRNet-W32 COCO, the PeVL paper's estimator).

    Optional extra: mmpose needs full mmcv with compiled ops, torchvision and
    mmdet (see docs/pevl.md and docs/architecture.md); constructing it without mmpose
    raises :class:`PluginError` with that hint.
    """

    #: the conformance kit skips this component where mmpose does not import
    optional_requires = ("mmpose",)

    def __init__(self, pose2d: str = "human", det_model: Optional[str] = None,
                 num_persons: int = 1, layout: str = "coco", device: str = "cpu") -> None:
        try:
            from mmpose.apis import MMPoseInferencer
        except Exception as exc:  # ImportError or mmcv op errors
            raise PluginError(
                f"MMPoseSource needs mmpose ({type(exc).__name__}: {exc}). It is an optional extra: "
                "install full mmcv with compiled ops, torchvision, mmdet and mmpose as described in "
                "docs/pevl.md ('mmpose'), or use ViTPoseSource.") from exc
        self.inferencer = MMPoseInferencer(pose2d=pose2d, det_model=det_model, device=device)
        self.num_persons, self.layout = num_persons, layout

    def poses(self, sample: dict) -> SkeletonSeq:
        clip = sample.get("clip")
        if clip is None:
            raise DataError("MMPoseSource needs sample['clip'] (a VideoClip)")
        frames = np.asarray(clip.frames)
        t, h, w = frames.shape[:3]
        per_frame = []
        for frame in frames:
            result = next(self.inferencer(frame[..., ::-1].copy(), return_vis=False))
            per_frame.append(result["predictions"][0])
        v = max((len(p[0]["keypoints"]) for p in per_frame if p), default=17)
        kp = np.zeros((self.num_persons, t, v, 2), np.float32)
        sc = np.zeros((self.num_persons, t, v), np.float32)
        for i, preds in enumerate(per_frame):
            preds = sorted(preds, key=lambda d: -float(np.mean(d["keypoint_scores"])))[: self.num_persons]
            preds = sorted(preds, key=lambda d: float(np.mean(np.asarray(d["keypoints"])[:, 0])))
            for p, d in enumerate(preds):
                kp[p, i] = np.asarray(d["keypoints"], np.float32)
                sc[p, i] = np.asarray(d["keypoint_scores"], np.float32)
        return SkeletonSeq(keypoint=kp, score=sc, layout=self.layout, img_shape=(h, w))

    @classmethod
    def tiny_config(cls) -> Dict[str, Any]:
        return dict()

    def example_inputs(self, batch_size: int = 2):
        rng = np.random.default_rng(0)
        return (dict(clip=VideoClip(frames=rng.integers(0, 255, (2, 64, 64, 3), dtype=np.uint8))),), {}


POSE_SOURCES = {"annotation": AnnotationPoseSource, "vitpose": ViTPoseSource, "mmpose": MMPoseSource}
