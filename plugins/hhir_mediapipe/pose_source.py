"""MediaPipePoseSource: BlazePose (bundled in the mediapipe wheel) as a PoseSource.

Top-down per tracked person (see :mod:`.tracking`): boxes come from the sample
(``sample["boxes"]``, e.g. a segmenter's ``PersonTracks.boxes``), from a configured
Segmenter, or from BlazePose's own detector. Output layouts: ``mediapipe33`` (the 33
landmarks, 2-D pixels), ``coco`` (17, 2-D pixels) and ``nturgb+d`` (25, 3-D metres in
camera space from BlazePose's world landmarks; derived joints in :mod:`.layouts`).
Scores are BlazePose's landmark visibility; absent people are zero-filled, score 0.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Union

import numpy as np

from hhir_core.errors import ConfigError, DataError
from hhir_core.interfaces import PoseSource
from hhir_core.structures import SkeletonSeq, VideoClip

from .layouts import LAYOUTS, to_coco, to_ntu, world_to_camera
from .tracking import PoseTracker, PoseTracks


def demo_clip(T: int = 3, size: int = 128, persons: int = 2) -> VideoClip:
    """A small clip of ``persons`` drawn stick figures side by side on texture.

    Why: the conformance kit needs an input BlazePose really finds people in, without files.
    """
    import cv2

    rng = np.random.default_rng(0)
    width = size * persons
    frames = np.empty((T, size, width, 3), np.uint8)
    shirts = ((40, 40, 160), (160, 50, 40), (40, 140, 60))
    for t in range(T):
        f = np.clip(rng.normal(150, 25, (size, width, 3)), 0, 255).astype(np.uint8)
        for p in range(persons):
            cx, col = size // 2 + p * size + t, shirts[p % 3]
            cv2.circle(f, (cx, size // 5), size // 12, (225, 190, 160), -1)
            cv2.line(f, (cx, size // 4), (cx, size * 3 // 5), col, size // 10)
            for dx in (-1, 1):
                cv2.line(f, (cx, size // 3), (cx + dx * size // 5, size // 2), col, size // 24)
                cv2.line(f, (cx, size * 3 // 5), (cx + dx * size // 8, size * 9 // 10), (60, 60, 60), size // 20)
        frames[t] = f
    return VideoClip(frames=frames, fps=30.0, source="mediapipe_demo")


def read_clip(sample: dict) -> VideoClip:
    """The sample's ``clip``, or its ``filename`` read with OpenCV."""
    clip = sample.get("clip")
    if clip is not None:
        return clip
    path = sample.get("filename")
    if path is None:
        raise DataError(f"MediaPipePoseSource needs sample['clip'] (a VideoClip) or sample['filename']; "
                        f"got keys {sorted(sample)}")
    from hhir_core.vision import read_video

    return read_video(path)


def check_frames(clip: VideoClip, who: str) -> np.ndarray:
    frames = np.asarray(clip.frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8 or not len(frames):
        raise DataError(f"{clip.source or 'clip'}: {who} needs uint8 RGB frames [T,H,W,3], got "
                        f"{frames.dtype} {frames.shape}")
    return frames


def make_tracker(max_side: int, crop_pad: float, max_cost: float, min_detection_confidence: float,
                 min_presence_confidence: float, num_persons: int) -> PoseTracker:
    """A :class:`PoseTracker` on the wheel's BlazePose models."""
    from .runtime import Landmarker, TrackingPose

    det = Landmarker(max(1, num_persons), min_detection_confidence, min_presence_confidence)
    return PoseTracker(det, lambda: TrackingPose(min_detection_confidence, min_presence_confidence),
                       max_side=max_side, crop_pad=crop_pad, max_cost=max_cost)


def tracks_to_skeleton(tr: PoseTracks, layout: str, img_hw, focal_px: Optional[float] = None) -> SkeletonSeq:
    """Tracked BlazePose landmarks as a :class:`SkeletonSeq` in ``layout``."""
    xy, score = tr.xyz[..., :2].copy(), tr.score.copy()
    if layout == "mediapipe33":
        return SkeletonSeq(keypoint=xy.astype(np.float32), score=score, layout=layout, img_shape=tuple(img_hw))
    if layout == "coco":
        kp, sc = to_coco(xy, score)
        return SkeletonSeq(keypoint=kp.astype(np.float32), score=sc, layout=layout, img_shape=tuple(img_hw))
    P, T = score.shape[:2]
    cam = np.zeros((P, T, 33, 3), np.float32)
    for p in range(P):
        for t in range(T):
            if tr.present[p, t]:
                cam[p, t] = world_to_camera(tr.world[p, t], xy[p, t], score[p, t], img_hw, focal_px)
    kp, sc = to_ntu(cam, score)
    kp[~tr.present] = 0.0
    return SkeletonSeq(keypoint=kp.astype(np.float32), score=sc, layout=layout, img_shape=tuple(img_hw))


class MediaPipePoseSource(PoseSource):
    """BlazePose poses of up to ``num_persons`` tracked people (module docstring).

    Args:
        layout: ``coco`` (17 2-D, pixels), ``mediapipe33`` (33 2-D) or ``nturgb+d`` (25 3-D, m).
        num_persons: ``M`` of the output (person ``m`` is the same individual in every frame).
        detector: ``"blazepose"`` (its own detector + tracking), ``"boxes"`` (the sample must
            hold ``boxes [P,T,4]``) or a segmenter config dict (its boxes and masks).
        max_side: frames are processed at most this large.
        crop_pad, max_cost: see :class:`~hhir_mediapipe.tracking.PoseTracker`.
        focal_px: camera focal length for the 3-D layout (default: Kinect v2's colour camera).
        progress: show a progress bar over frames.
    """

    optional_requires = ("mediapipe",)

    def __init__(self, layout: str = "coco", num_persons: int = 2,
                 detector: Union[str, Dict[str, Any]] = "blazepose", max_side: int = 960,
                 crop_pad: float = 0.15, max_cost: float = 0.25, min_detection_confidence: float = 0.5,
                 min_presence_confidence: float = 0.5, focal_px: Optional[float] = None,
                 progress: bool = False) -> None:
        if layout not in LAYOUTS:
            raise ConfigError(f"MediaPipePoseSource layout={layout!r}: use one of {', '.join(LAYOUTS)}")
        if isinstance(detector, str) and detector not in ("blazepose", "boxes"):
            raise ConfigError(f"MediaPipePoseSource detector={detector!r}: use 'blazepose', 'boxes' "
                              "or a segmenter config dict")
        self.layout, self.num_persons, self.detector = layout, int(num_persons), detector
        self.focal_px, self.progress = focal_px, bool(progress)
        self._tracker_args = (int(max_side), float(crop_pad), float(max_cost), float(min_detection_confidence),
                              float(min_presence_confidence))
        from .runtime import require_mediapipe

        require_mediapipe()

    def track(self, sample: dict) -> PoseTracks:
        """The tracked BlazePose landmarks of ``sample`` (frame pixels), before layout mapping.

        ``sample["pose_tracks"]`` (what :class:`MediaPipePersonSegmenter` tracked while
        segmenting, its ``last_poses``) is used as is, so the masks and the poses share
        identities and BlazePose does not run twice.
        """
        given = sample.get("pose_tracks")
        if isinstance(given, PoseTracks):
            return given
        frames = check_frames(read_clip(sample), "MediaPipePoseSource")
        boxes, masks = sample.get("boxes"), sample.get("masks")
        if boxes is None and self.detector == "boxes":
            raise DataError(f"MediaPipePoseSource(detector='boxes'): sample {sample.get('frame_dir', '?')!r} "
                            "has no 'boxes'")
        if boxes is None and isinstance(self.detector, dict):
            from hhir_core.registry import build

            seg = build("segmenter", dict(self.detector))
            tracks = seg.segment(read_clip(sample), self.num_persons)
            if isinstance(getattr(seg, "last_poses", None), PoseTracks):
                return seg.last_poses
            boxes, masks = tracks.boxes, tracks.masks
        tracker = make_tracker(*self._tracker_args, num_persons=self.num_persons)
        try:
            return tracker.run(frames, self.num_persons,
                               boxes=None if boxes is None else np.asarray(boxes, np.float32),
                               masks=None if masks is None else np.asarray(masks, bool),
                               progress=self.progress, desc="BlazePose")
        finally:
            tracker.landmarker.close()

    def to_skeleton(self, tracks: PoseTracks, img_hw) -> SkeletonSeq:
        """``tracks`` (from :meth:`track`) in this source's layout."""
        return tracks_to_skeleton(tracks, self.layout, img_hw, self.focal_px)

    def poses(self, sample: dict) -> SkeletonSeq:
        clip = read_clip(sample)
        tr = self.track(dict(sample, clip=clip))
        return self.to_skeleton(tr, np.asarray(clip.frames).shape[1:3])

    @classmethod
    def tiny_config(cls) -> Dict[str, Any]:
        return dict(layout="coco", num_persons=2, max_side=256)

    def example_inputs(self, batch_size: int = 2):
        return (dict(clip=demo_clip()),), {}

    def check_output(self, output, args, kwargs) -> None:
        super().check_output(output, args, kwargs)
        t = len(args[0]["clip"].frames)
        v, c = {"coco": (17, 2), "mediapipe33": (33, 2), "nturgb+d": (25, 3)}[self.layout]
        assert output.keypoint.shape == (self.num_persons, t, v, c), output.keypoint.shape
        assert output.score.shape == output.keypoint.shape[:3]
