"""Person/background branch clips from a video and its person masks (OpenCV masking).

Why here: ``tools/data/split_branches.py``, ``tools/data/build_hhirchat.py`` and
``tools/infer.py`` all turn (video, PersonTracks) into the same three streams.
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict, Sequence

import numpy as np

from hhir_core.errors import DataError
from hhir_core.structures import PersonTracks, VideoClip
from hhir_core.vision import read_video as core_read_video


def read_video(path: str | Path) -> VideoClip:
    """All frames of a video as a clip of RGB uint8 ``[T,H,W,3]`` (the core's reader)."""
    return core_read_video(path)


def branch_frames(clip: VideoClip, tracks: PersonTracks) -> Dict[str, np.ndarray]:
    """``{"p1", "p2", "bg"}`` -> RGB uint8 ``[T,H,W,3]``: each person alone, and the scene without people (black)."""
    frames = np.asarray(clip.frames)
    masks = np.asarray(tracks.masks, bool)
    out = {}
    for p, name in enumerate(("p1", "p2")):
        out[name] = frames * masks[p][..., None] if p < len(masks) else np.zeros_like(frames)
    out["bg"] = frames * (~masks.any(0))[..., None] if len(masks) else frames.copy()
    return out


def write_clip(path: str | Path, frames: np.ndarray, fps: float = 30.0, max_side: int = 0) -> Path:
    """Write RGB frames as mp4 (``max_side`` > 0 downsizes, keeping the aspect ratio)."""
    import cv2

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    T, H, W = frames.shape[:3]
    s = min(1.0, max_side / max(H, W)) if max_side else 1.0
    w, h = max(2, int(round(W * s)) // 2 * 2), max(2, int(round(H * s)) // 2 * 2)
    vw = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), float(fps), (w, h))
    if not vw.isOpened():
        raise DataError(f"{path}: OpenCV cannot open an mp4v VideoWriter")
    for fr in frames:
        vw.write(cv2.cvtColor(cv2.resize(fr, (w, h), interpolation=cv2.INTER_AREA), cv2.COLOR_RGB2BGR))
    vw.release()
    return path


def preview(clip: VideoClip, tracks: PersonTracks, times: Sequence[int] = (), width: int = 320) -> np.ndarray:
    """A preview image (RGB): rows = sampled frames; columns = frame with coloured masks, p1, p2, bg."""
    import cv2

    frames = np.asarray(clip.frames)
    T, H, W = frames.shape[:3]
    times = list(times) or list(np.linspace(0, T - 1, 4).round().astype(int))
    br = branch_frames(clip, tracks)
    colours = np.array([(230, 60, 60), (60, 90, 230)], np.float32)
    h = int(round(H * width / W))
    rows = []
    for t in times:
        over = frames[t].astype(np.float32)
        for p in range(min(2, len(tracks.masks))):
            m = tracks.masks[p, t]
            over[m] = 0.45 * over[m] + 0.55 * colours[p]
            b = tracks.boxes[p, t]
            if not np.isnan(b[0]):
                cv2.rectangle(over, (int(b[0]), int(b[1])), (int(b[2]), int(b[3])), colours[p].tolist(),
                              max(1, W // 300))
        tiles = [over.astype(np.uint8), br["p1"][t], br["p2"][t], br["bg"][t]]
        rows.append(np.concatenate([cv2.resize(x, (width, h), interpolation=cv2.INTER_AREA) for x in tiles], 1))
    img = np.concatenate(rows, 0)
    for i, name in enumerate(("masks", "p1", "p2", "bg")):
        cv2.putText(img, name, (i * width + 6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 0), 2)
    return img
