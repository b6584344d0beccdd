"""Loading mediapipe and its bundled BlazePose models (no download, no file written).

Why a bundle is built here: the mediapipe wheel ships BlazePose as bare ``.tflite`` files
for its legacy single-person graph. The multi-person ``PoseLandmarker`` task wants a
``.task`` bundle whose models carry input-normalisation metadata, so the bundle is
assembled in memory from the wheel's own files (detector input scaled to [-1, 1],
landmark model input to [0, 1], as in mediapipe's pose graphs).
"""
from __future__ import annotations

import contextlib
import functools
import io
import os
import sys
import zipfile
from pathlib import Path
from typing import Any, Iterator, Optional, Tuple

import numpy as np

from hhir_core.errors import PluginError

INSTALL_HINT = ("install the optional extra: pip install 'hhir[mediapipe]' (or: pip install "
                "--no-deps mediapipe==0.10.21 attrs absl-py flatbuffers 'protobuf>=4.25.3,<5')")


def require_mediapipe() -> Any:
    """Import mediapipe, or raise one clear :class:`PluginError` saying how to install it."""
    os.environ.setdefault("GLOG_minloglevel", "2")  # mediapipe's C++ info/warning lines
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        import mediapipe as mp
    except ImportError as exc:
        raise PluginError(f"hhir_mediapipe needs mediapipe ({exc}); {INSTALL_HINT}") from exc
    try:
        import google.protobuf as pb

        if int(pb.__version__.split(".")[0]) >= 5:
            raise PluginError(f"mediapipe 0.10.21's segmentation graph fails with protobuf "
                              f"{pb.__version__}; {INSTALL_HINT}")
    except ImportError:  # pragma: no cover - mediapipe itself needs protobuf
        pass
    return mp


@contextlib.contextmanager
def quiet_native_logs() -> Iterator[None]:
    """Silence C++ stderr (absl INFO/WARNING lines such as "GPU support is not available")
    while a mediapipe graph is built; Python-level errors still propagate as exceptions."""
    if os.environ.get("HHIR_MEDIAPIPE_LOGS"):
        yield
        return
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # captured or replaced stderr
        yield
        return
    sys.stderr.flush()
    saved = os.dup(fd)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
        yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)
        os.close(devnull)


def model_path(rel: str) -> Path:
    """Path of a model file inside the installed mediapipe wheel."""
    mp = require_mediapipe()
    path = Path(mp.__file__).parent / "modules" / rel
    if not path.is_file():
        raise PluginError(f"mediapipe {getattr(mp, '__version__', '?')} has no {rel}; "
                          f"hhir_mediapipe is tested with mediapipe==0.10.21 ({INSTALL_HINT})")
    return path


@functools.lru_cache(maxsize=1)
def pose_landmarker_bundle() -> bytes:
    """The ``.task`` bundle (zip bytes) of the wheel's pose detector + full landmark model."""
    require_mediapipe()
    from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer as mw

    def with_input_norm(rel: str, mean: float, std: float) -> bytes:
        buf = bytearray(model_path(rel).read_bytes())
        writer = mw.MetadataWriter.create(buf).add_general_info(Path(rel).stem)
        return bytes(writer.add_image_input(norm_mean=[mean], norm_std=[std]).populate()[0])

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("pose_detector.tflite",
                   with_input_norm("pose_detection/pose_detection.tflite", 127.5, 127.5))
        z.writestr("pose_landmarks_detector.tflite",
                   with_input_norm("pose_landmark/pose_landmark_full.tflite", 0.0, 255.0))
    return out.getvalue()


class Landmarker:
    """BlazePose on one RGB image: up to ``num_poses`` people, landmarks in pixels."""

    def __init__(self, num_poses: int = 2, min_detection_confidence: float = 0.5,
                 min_presence_confidence: float = 0.5) -> None:
        mp = require_mediapipe()
        from mediapipe.tasks import python as mpt
        from mediapipe.tasks.python import vision

        self._mp = mp
        opts = vision.PoseLandmarkerOptions(
            base_options=mpt.BaseOptions(model_asset_buffer=pose_landmarker_bundle()),
            running_mode=vision.RunningMode.IMAGE, num_poses=int(num_poses),
            min_pose_detection_confidence=float(min_detection_confidence),
            min_pose_presence_confidence=float(min_presence_confidence),
            output_segmentation_masks=False)
        with quiet_native_logs():
            self._task = vision.PoseLandmarker.create_from_options(opts)

    def __call__(self, rgb: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(xyz [n,33,3] pixels (z on the x scale), visibility [n,33], world [n,33,3] m)``."""
        h, w = rgb.shape[:2]
        img = self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
        res = self._task.detect(img)
        n = len(res.pose_landmarks)
        xyz = np.zeros((n, 33, 3), np.float32)
        vis = np.zeros((n, 33), np.float32)
        world = np.zeros((n, 33, 3), np.float32)
        for i, (lms, wlms) in enumerate(zip(res.pose_landmarks, res.pose_world_landmarks)):
            xyz[i] = [(p.x * w, p.y * h, p.z * w) for p in lms]
            vis[i] = [p.visibility if p.visibility is not None else 1.0 for p in lms]
            world[i] = [(p.x, p.y, p.z) for p in wlms]
        return xyz, vis, world

    def close(self) -> None:
        self._task.close()


class SelfieSegmenter:
    """mediapipe's selfie-segmentation model: soft person probability ``[h,w]`` of an RGB image."""

    def __init__(self, model_selection: int = 0) -> None:
        mp = require_mediapipe()
        with quiet_native_logs():
            self._seg = mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=int(model_selection))

    def __call__(self, rgb: np.ndarray) -> np.ndarray:
        return np.asarray(self._seg.process(np.ascontiguousarray(rgb)).segmentation_mask, np.float32)

    def close(self) -> None:
        self._seg.close()


class TrackingPose:
    """mediapipe's single-person BlazePose graph in video mode, for one tracked person.

    Why: in video mode the landmark model's next region comes from the person's own
    previous landmarks, not from the detector, so it stays on that person while people
    touch (the detector then sees one box). Only ``model_complexity=1`` (the full model)
    ships in the wheel; the others would be downloaded, so they are not offered.
    """

    def __init__(self, min_detection_confidence: float = 0.5, min_tracking_confidence: float = 0.5,
                 smooth_landmarks: bool = True) -> None:
        mp = require_mediapipe()
        with quiet_native_logs():
            self._pose = mp.solutions.pose.Pose(
                static_image_mode=False, model_complexity=1, smooth_landmarks=bool(smooth_landmarks),
                enable_segmentation=False, min_detection_confidence=float(min_detection_confidence),
                min_tracking_confidence=float(min_tracking_confidence))

    def __call__(self, rgb: np.ndarray) -> Optional[Tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """``(xyz [33,3] pixels, visibility [33], world [33,3] m)`` or ``None`` (nobody found)."""
        h, w = rgb.shape[:2]
        res = self._pose.process(np.ascontiguousarray(rgb))
        if res.pose_landmarks is None:
            return None
        lms = res.pose_landmarks.landmark
        xyz = np.array([(p.x * w, p.y * h, p.z * w) for p in lms], np.float32)
        vis = np.array([p.visibility for p in lms], np.float32)
        world = np.array([(p.x, p.y, p.z) for p in res.pose_world_landmarks.landmark], np.float32)
        return xyz, vis, world

    def close(self) -> None:
        self._pose.close()
