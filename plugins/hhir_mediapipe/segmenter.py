"""MediaPipePersonSegmenter: person masks from mediapipe's selfie-segmentation model,
split into tracked people by their BlazePose skeletons.

Per frame: the people are tracked with BlazePose (:mod:`.tracking`); the selfie model
runs on the padded crop around all of them (the model's input is 256 px, so a crop keeps
the mask sharp where a whole 1080p frame would blur it); every person pixel goes to the
person whose skeleton (limbs drawn as segments) is nearest, so two people who touch stay
two and keep their identities. Person pixels farther than ``max_reach`` body heights from
every skeleton are background, as is everything else.
"""
from __future__ import annotations

from typing import Any, Dict

import numpy as np

from hhir_core.interfaces import Segmenter
from hhir_core.structures import PersonTracks, VideoClip

from .layouts import BLAZEPOSE_EDGES
from .pose_source import check_frames, demo_clip, make_tracker
from .tracking import PoseTracks, crop_window


class MediaPipePersonSegmenter(Segmenter):
    """Offline pretrained person segmentation with tracked identities (module docstring).

    Args:
        max_side: frames are processed at most this large (masks are returned at full size).
        threshold: person probability above which a pixel is a person's.
        model_selection: selfie model, 0 general (256x256) or 1 landscape (144x256).
        max_reach: largest distance of a person pixel from its skeleton, in body heights.
        crop_pad, max_cost: BlazePose tracking (see ``PoseTracker``).
        progress: show a progress bar over frames.
    """

    optional_requires = ("mediapipe",)

    def __init__(self, max_side: int = 960, threshold: float = 0.5, model_selection: int = 0,
                 max_reach: float = 0.25, crop_pad: float = 0.15, max_cost: float = 0.25,
                 min_detection_confidence: float = 0.5, progress: bool = False) -> None:
        from .runtime import require_mediapipe

        require_mediapipe()
        self.max_side, self.threshold, self.model_selection = int(max_side), float(threshold), int(model_selection)
        self.max_reach, self.crop_pad, self.max_cost = float(max_reach), float(crop_pad), float(max_cost)
        self.min_detection_confidence, self.progress = float(min_detection_confidence), bool(progress)
        #: the tracked poses of the last ``segment`` call (same identities as the masks)
        self.last_poses: PoseTracks | None = None

    def split(self, prob: np.ndarray, xy: np.ndarray, score: np.ndarray, present: np.ndarray) -> np.ndarray:
        """Per-person masks ``[P,h,w]`` of one frame from the person probability ``[h,w]`` and
        the skeletons ``xy [P,33,2]`` (same pixel grid)."""
        import cv2

        h, w = prob.shape
        P = len(xy)
        fg = prob > self.threshold
        dist = np.full((P, h, w), np.inf, np.float32)
        for p in range(P):
            if not present[p]:
                continue
            bones = np.full((h, w), 255, np.uint8)
            for a, b in BLAZEPOSE_EDGES:
                if score[p, a] >= 0.2 and score[p, b] >= 0.2:
                    cv2.line(bones, tuple(int(v) for v in xy[p, a]), tuple(int(v) for v in xy[p, b]), 0, 2)
            if (bones == 0).any():
                dist[p] = cv2.distanceTransform(bones, cv2.DIST_L2, 3)
                height = float(np.ptp(xy[p, score[p] >= 0.2, 1])) if (score[p] >= 0.2).sum() > 1 else h
                dist[p][dist[p] > self.max_reach * max(height, 1.0)] = np.inf
        owner = dist.argmin(0)
        reach = np.isfinite(dist.min(0))
        return np.stack([fg & reach & (owner == p) for p in range(P)]) if P else np.zeros((0, h, w), bool)

    def segment(self, clip: VideoClip, num_persons: int = 2) -> PersonTracks:
        import cv2
        from tqdm import tqdm

        from .runtime import SelfieSegmenter

        frames = check_frames(clip, "MediaPipePersonSegmenter")
        T, H, W = frames.shape[:3]
        P = int(num_persons)
        tracker = make_tracker(self.max_side, self.crop_pad, self.max_cost, self.min_detection_confidence,
                               0.5, P)
        try:
            tr = tracker.run(frames, P, progress=self.progress, desc="BlazePose")
        finally:
            tracker.landmarker.close()
        self.last_poses = tr
        s = min(1.0, self.max_side / max(H, W))
        h, w = round(H * s), round(W * s)
        selfie = SelfieSegmenter(self.model_selection)
        masks = np.zeros((P, T, H, W), bool)
        try:
            for t in tqdm(range(T), desc="person masks", unit="frame", disable=not self.progress, leave=False):
                present = tr.present[:, t]
                if not present.any():
                    continue
                img = frames[t] if s >= 1 else cv2.resize(frames[t], (w, h), interpolation=cv2.INTER_AREA)
                b = tr.boxes[present, t] * s
                x1, y1, x2, y2 = crop_window(np.array([b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()]),
                                             0.1, (h, w))
                prob = np.zeros((h, w), np.float32)
                prob[y1:y2, x1:x2] = selfie(img[y1:y2, x1:x2])
                small = self.split(prob, tr.xyz[:, t, :, :2] * s, tr.score[:, t], present)
                for p in range(P):
                    if small[p].any():
                        masks[p, t] = (cv2.resize(small[p].astype(np.uint8), (W, H), interpolation=cv2.INTER_NEAREST)
                                       > 0) if s < 1 else small[p]
        finally:
            selfie.close()
        boxes = np.full((P, T, 4), np.nan, np.float32)
        for p in range(P):
            for t in range(T):
                if masks[p, t].any():
                    ys, xs = np.nonzero(masks[p, t].any(1))[0], np.nonzero(masks[p, t].any(0))[0]
                    boxes[p, t] = (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
        scores = np.array([masks[p].reshape(T, -1).any(1).mean() * (tr.score[p][tr.present[p]].mean()
                           if tr.present[p].any() else 0.0) for p in range(P)], np.float32)
        return PersonTracks(masks=masks, boxes=boxes, scores=scores)

    @classmethod
    def tiny_config(cls) -> Dict[str, Any]:
        return dict(max_side=256)

    def example_inputs(self, batch_size: int = 2):
        return (demo_clip(),), {"num_persons": 2}
