"""Video + 2-D pose dataset: RGB frames from video files (OpenCV) and 2-D poses
from an annotation pickle, sampled together for pose-enhanced video models.

Generic on purpose (PeVL uses it; any video+pose method can): the annotation file
is the NTU 2-D pickle convention (``{"split": {...}, "annotations": [{"frame_dir",
"label", "keypoint" [M,T,V,2], "keypoint_score" [M,T,V], "img_shape" (H,W),
"total_frames"}]}``), which both the synthetic generator and
``tools/data/extract_poses.py`` write. Layouts: ``coco`` (17 joints),
``toyota`` (13, LCR-Net as shipped with Toyota Smarthome), ``nturgb+d`` (25).

Each sample (a dict; tensors batch with ``default_collate``):

* ``imgs`` float32 ``[Tv,3,S,S]`` (``[C,Tv,3,S,S]`` with ``num_crops=3``),
  normalised with CLIP's mean and std;
* ``pose`` float32 ``[M,Tp,V,3]``: x, y scaled to [-1, 1] by the image size, score;
* ``video_keypoint`` float32 ``[M,Tv,V,3]`` (``[C,M,Tv,V,3]``): the joints of each
  sampled video frame in pixels of its crop (for masks such as PeVL's P2V);
* ``label`` int, ``frame_dir`` str.

Video and pose frames are sampled uniformly over the same span (segment-based:
random offsets when training, centres when testing), so video frame ``t`` and
pose frame ``floor((t+0.5)·Tp/Tv)`` show the same moment.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from hhir_core.errors import DataError
from hhir_core.structures import LAYOUT_JOINTS
from hhir_core.vision import CLIP_MEAN, CLIP_STD

logger = logging.getLogger("hhir.data")

LAYOUTS: Dict[str, int] = dict(LAYOUT_JOINTS)


def segment_indices(total: int, num: int, rng: Optional[np.random.Generator]) -> np.ndarray:
    """``num`` frame indices over ``[0, total)``: one per equal segment (random offset
    with ``rng``, the centre without)."""
    total = max(int(total), 1)
    offs = rng.random(num) if rng is not None else np.full(num, 0.5)
    return np.minimum(((np.arange(num) + offs) * total / num).astype(np.int64), total - 1)


def read_frames(path: Path, indices: Sequence[int]) -> Tuple[np.ndarray, int]:
    """RGB frames ``uint8 [len(indices),H,W,3]`` at ``indices`` and the frame count.

    Reads sequentially (``grab`` skips decoding of unused frames); indices beyond
    the end repeat the last frame read.
    """
    import cv2

    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise DataError(f"video {str(path)!r} cannot be opened by OpenCV")
    wanted = sorted(set(int(i) for i in indices))
    got: Dict[int, np.ndarray] = {}
    last, pos = None, 0
    try:
        while wanted and pos <= wanted[-1]:
            if not cap.grab():
                break
            if pos in wanted:
                ok, frame = cap.retrieve()
                if ok:
                    last = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
                    got[pos] = last
            pos += 1
    finally:
        cap.release()
    if last is None:
        raise DataError(f"video {str(path)!r} has no readable frame")
    out, prev = [], None
    for i in indices:
        prev = got.get(int(i), prev if prev is not None else last)
        out.append(prev)
    return np.stack(out), pos


class VideoPoseDataset:
    """Videos with 2-D poses (see the module docstring).

    Args:
        ann_file: 2-D pose annotation pickle.
        video_dir: folder of the videos; ``video_pattern`` maps ``frame_dir`` to a file name.
        data_root: when given, relative ``ann_file`` / ``video_dir`` are taken inside it.
        split: split name in the pickle, or ``None`` for every sample.
        classes: keep these labels, remapped to ``0..K-1`` in the given order.
        layout: ``coco`` / ``toyota`` / ``nturgb+d`` (checks the joint count).
        num_persons: persons kept (zero-padded with score 0).
        num_video_frames / num_pose_frames: Tv / Tp (paper: 16 / 48).
        image_size: crop size S; ``scale_size``: short side before cropping
            (default ``S·256/224``). ``num_crops``: 1 (centre/random) or 3
            (three-crop test along the long side).
        missing_hint: appended to missing-data errors (how to get the data).
        annotations: annotation dicts given directly instead of ``ann_file`` (inference on
            one video: ``video_dir`` is its folder, ``video_pattern`` its file name).
    """

    def __init__(self, ann_file: Optional[str] = None, video_dir: Optional[str] = None,
                 split: Optional[str] = None, classes: Optional[Sequence[int]] = None,
                 layout: str = "coco", num_persons: int = 1, num_video_frames: int = 16,
                 num_pose_frames: int = 48, image_size: int = 224,
                 scale_size: Optional[int] = None, num_crops: int = 1,
                 video_pattern: str = "{frame_dir}.mp4", test_mode: bool = False,
                 data_root: Optional[str] = None, seed: int = 0,
                 missing_hint: str = "", metainfo: Optional[dict] = None,
                 annotations: Optional[List[dict]] = None, **unused: Any) -> None:
        if data_root is not None:
            ann_file, video_dir = (None if p is None else str(Path(data_root) / p)
                                   for p in (ann_file, video_dir))
        if layout not in LAYOUTS:
            raise DataError(f"layout={layout!r} is not one of {sorted(LAYOUTS)}")
        if num_crops not in (1, 3):
            raise DataError(f"num_crops={num_crops}: use 1 or 3")
        hint = f" {missing_hint}" if missing_hint else ""
        if annotations is None and (ann_file is None or not Path(ann_file).is_file()):
            raise DataError(f"pose annotation file {ann_file!r} does not exist.{hint}")
        if video_dir is None or not Path(video_dir).is_dir():
            raise DataError(f"video folder {video_dir!r} does not exist.{hint}")
        from hhir_core.data.ntu import load_annotation_file

        data = (dict(split={}, annotations=list(annotations)) if annotations is not None
                else load_annotation_file(ann_file))
        anns = data["annotations"]
        if split is not None:
            if split not in data["split"]:
                raise DataError(f"split {split!r} is not in {ann_file} "
                                f"(has: {sorted(data['split'])})")
            keep = set(data["split"][split])
            anns = [a for a in anns if a["frame_dir"] in keep]
        self.class_ids = None if classes is None else [int(c) for c in classes]
        if self.class_ids is not None:
            remap = {c: i for i, c in enumerate(self.class_ids)}
            anns = [dict(a, label=remap[int(a["label"])]) for a in anns if int(a["label"]) in remap]
        if not anns:
            raise DataError(f"{ann_file}: no samples left for split={split!r}, classes={classes!r}")
        self.ann_file, self.video_dir, self.video_pattern = str(ann_file), Path(video_dir), video_pattern
        self.layout, self.num_persons = layout, num_persons
        self.tv, self.tp = num_video_frames, num_pose_frames
        self.image_size = image_size
        self.scale_size = scale_size or int(round(image_size * 256 / 224))
        self.num_crops, self.test_mode = num_crops, test_mode
        self.mean = np.asarray(CLIP_MEAN, np.float32).reshape(1, 1, 1, 3)
        self.std = np.asarray(CLIP_STD, np.float32).reshape(1, 1, 1, 3)
        self.seed = seed
        self.anns: List[dict] = anns
        self._epoch_rng = np.random.default_rng(seed)
        k = (max(int(a["label"]) for a in anns) + 1) if self.class_ids is None else len(self.class_ids)
        self._metainfo = dict(metainfo or {}, num_classes=k, layout=layout)

    # -- mmengine dataset protocol -----------------------------------------
    @property
    def metainfo(self) -> dict:
        return dict(self._metainfo)

    def full_init(self) -> None:  # mmengine calls this on lazy datasets
        return None

    def __len__(self) -> int:
        return len(self.anns)

    # -- loading -----------------------------------------------------------
    def _keypoints(self, ann: dict) -> Tuple[np.ndarray, np.ndarray]:
        kp = np.asarray(ann["keypoint"], np.float32)
        if kp.ndim != 4 or kp.shape[-1] < 2:
            raise DataError(f"{self.ann_file}: sample {ann['frame_dir']!r} keypoint shape {kp.shape}, "
                            "expected [M,T,V,2]")
        if kp.shape[2] != LAYOUTS[self.layout]:
            raise DataError(f"{self.ann_file}: sample {ann['frame_dir']!r} has {kp.shape[2]} joints, "
                            f"layout {self.layout!r} has {LAYOUTS[self.layout]}")
        score = ann.get("keypoint_score")
        score = (np.ones(kp.shape[:3], np.float32) if score is None
                 else np.asarray(score, np.float32).reshape(kp.shape[:3]))
        xy = kp[..., :2]
        bad = ~np.isfinite(xy).all(-1)
        xy = np.where(bad[..., None], 0.0, xy)
        score = np.where(bad | ~np.isfinite(score), 0.0, score)
        m = kp.shape[0]
        if m >= self.num_persons:
            xy, score = xy[: self.num_persons], score[: self.num_persons]
        else:
            pad = self.num_persons - m
            xy = np.concatenate([xy, np.zeros((pad,) + xy.shape[1:], np.float32)])
            score = np.concatenate([score, np.zeros((pad,) + score.shape[1:], np.float32)])
        return xy.astype(np.float32), score.astype(np.float32)

    def _crops(self, h: int, w: int, rng: Optional[np.random.Generator]) -> Tuple[float, List[Tuple[int, int]]]:
        s = self.scale_size / min(h, w)
        nh, nw = int(round(h * s)), int(round(w * s))
        c = self.image_size
        if rng is not None:
            return s, [(int(rng.integers(0, nh - c + 1)), int(rng.integers(0, nw - c + 1)))]
        cy, cx = (nh - c) // 2, (nw - c) // 2
        if self.num_crops == 1:
            return s, [(cy, cx)]
        if nw >= nh:  # three crops along the long side
            return s, [(cy, 0), (cy, cx), (cy, nw - c)]
        return s, [(0, cx), (cy, cx), (nh - c, cx)]

    def __getitem__(self, idx: int) -> Dict[str, Any]:
        import cv2

        ann = self.anns[idx]
        fd = ann["frame_dir"]
        path = self.video_dir / self.video_pattern.format(frame_dir=fd)
        if not path.is_file():
            raise DataError(f"video for sample {fd!r} not found: {path}")
        xy, score = self._keypoints(ann)
        total = int(ann.get("total_frames", xy.shape[1]))
        total = max(1, min(total, xy.shape[1]))
        rng = None if self.test_mode else np.random.default_rng(
            (self.seed, idx, int(self._epoch_rng.integers(1 << 30))))
        vid_idx = segment_indices(total, self.tv, rng)
        pose_idx = segment_indices(total, self.tp, rng)
        frames, _ = read_frames(path, vid_idx)
        h, w = frames.shape[1:3]
        img_h, img_w = ann.get("img_shape", (h, w))
        # annotation pixels -> video pixels (poses may be annotated at another size)
        sx, sy = w / float(img_w), h / float(img_h)
        s, crops = self._crops(h, w, rng)
        nh, nw = int(round(h * s)), int(round(w * s))
        resized = np.stack([cv2.resize(f, (nw, nh), interpolation=cv2.INTER_AREA) for f in frames])
        c = self.image_size
        imgs, vkps = [], []
        vxy, vsc = xy[:, vid_idx], score[:, vid_idx]
        for (y0, x0) in crops:
            crop = resized[:, y0:y0 + c, x0:x0 + c].astype(np.float32) / 255.0
            imgs.append(((crop - self.mean) / self.std).transpose(0, 3, 1, 2))
            kx = vxy[..., 0] * sx * s - x0
            ky = vxy[..., 1] * sy * s - y0
            vkps.append(np.stack([kx, ky, vsc], -1))
        pxy, psc = xy[:, pose_idx], score[:, pose_idx]
        pose = np.stack([pxy[..., 0] / float(img_w) * 2 - 1, pxy[..., 1] / float(img_h) * 2 - 1, psc], -1)
        pose = np.where(psc[..., None] > 0, pose, 0.0).astype(np.float32)
        import torch

        out = dict(pose=torch.from_numpy(pose), label=int(ann["label"]), frame_dir=fd)
        if self.num_crops == 1 or not self.test_mode:
            out["imgs"] = torch.from_numpy(np.ascontiguousarray(imgs[0]))
            out["video_keypoint"] = torch.from_numpy(vkps[0].astype(np.float32))
        else:
            out["imgs"] = torch.from_numpy(np.ascontiguousarray(np.stack(imgs)))
            out["video_keypoint"] = torch.from_numpy(np.stack(vkps).astype(np.float32))
        return out
