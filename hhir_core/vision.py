"""Vision helpers that more than one method uses: the CLIP image encoder, a video reader and
a person detector.

Import-light: torch, transformers and OpenCV are imported inside the functions.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict, Optional, Tuple, Union

import numpy as np

from .errors import ConfigError, DataError
from .structures import VideoClip

#: CLIP's RGB normalisation of frames in [0, 1]
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


def load_clip_vision(model: Union[str, Dict[str, Any]], defaults: Optional[Dict[str, Any]] = None,
                     key: str = "model", missing_hint: str = "") -> Any:
    """``CLIPVisionModelWithProjection`` from a hub id / local directory, or random-init tiny.

    ``model=dict(tiny=True, seed=0, **CLIPVisionConfig kwargs)`` (over ``defaults``) builds a
    randomly initialised model from its own seeded RNG, so the weights depend on ``seed``
    only: a frozen random encoder is not stored in trainable-only checkpoints, and the model
    that ``tools/test.py`` rebuilds must get the same weights; building it also leaves the
    global RNG (and so every other module's initialisation) untouched.
    """
    import torch
    from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

    if isinstance(model, dict):
        cfg = dict(model)
        if not cfg.pop("tiny", False):
            raise ConfigError(f"{key}: a dict config must set tiny=True (random init); otherwise "
                              "give a hub id or a local directory")
        seed = int(cfg.pop("seed", 0))
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return CLIPVisionModelWithProjection(CLIPVisionConfig(**{**dict(defaults or {}), **cfg}))
    try:
        return CLIPVisionModelWithProjection.from_pretrained(model)
    except OSError as exc:
        from .preflight import hub_download_command

        raise ConfigError(f"{key}={model!r} could not be loaded ({exc}). Download it first "
                          f"({hub_download_command(str(model))}) or give a local directory with a "
                          f"CLIP checkpoint{missing_hint}") from exc


def read_video(path: Union[str, os.PathLike], max_frames: Optional[int] = None) -> VideoClip:
    """Every frame of a video file (or the first ``max_frames``) as a :class:`VideoClip`
    of RGB ``uint8 [T, H, W, 3]`` frames with the file's frame rate (OpenCV).

    A missing, unreadable or empty file is a :class:`DataError` naming it.
    """
    import cv2

    path = Path(path)
    if not path.is_file():
        raise DataError(f"video {path} does not exist")
    cap = cv2.VideoCapture(str(path))
    frames = []
    try:
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 30.0)
        while not max_frames or len(frames) < max_frames:
            ok, frame = cap.read()
            if not ok:
                break
            frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    finally:
        cap.release()
    if not frames:
        raise DataError(f"video {path} has no frame OpenCV can decode")
    return VideoClip(frames=np.stack(frames), fps=fps, source=str(path))


def detect_people(image: np.ndarray, min_score: float = 0.0, stride: int = 8
                  ) -> Tuple[np.ndarray, np.ndarray]:
    """People boxes ``[N, 4]`` (x1, y1, x2, y2, float32) and scores ``[N]`` in an image.

    OpenCV's HOG people detector (Dalal-Triggs SVM): offline, no weights to download.
    ``image`` is ``uint8 [H, W, 3]`` (HOG takes the strongest gradient over the channels, so
    RGB and BGR give the same boxes); frames whose shorter side is under the detector's
    128-px window are upscaled for detection and the boxes scaled back.
    """
    import cv2

    hog = cv2.HOGDescriptor()
    hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())
    up = max(1.0, 128.0 / min(image.shape[:2]))
    img = cv2.resize(image, None, fx=up, fy=up) if up > 1 else image
    rects, weights = hog.detectMultiScale(img, winStride=(stride, stride), padding=(8, 8), scale=1.05)
    if len(rects) == 0:
        return np.zeros((0, 4), np.float32), np.zeros(0, np.float32)
    rects = np.asarray(rects, np.float32) / up
    scores = np.ravel(weights).astype(np.float32)
    boxes = np.concatenate([rects[:, :2], rects[:, :2] + rects[:, 2:]], axis=1)
    keep = scores >= min_score
    return boxes[keep], scores[keep]


__all__ = ["CLIP_MEAN", "CLIP_STD", "load_clip_vision", "read_video", "detect_people"]
