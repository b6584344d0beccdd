"""Pictures of an :class:`~hhir_core.apis.InferenceResult`: what the model saw and said.

* :func:`overlay_frames` — the input video with person masks / boxes and poses drawn and
  the top label written on it; a skeleton input is drawn on a dark canvas instead.
* :func:`action_sentence_image` — a strip of the code ids a tokenizing model read, each
  cell coloured by how often that code was used in training.
* :func:`save_visualisation` — ``result.json`` plus the above as ``visualisation.mp4`` /
  ``action_sentence.png`` in a folder.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, Optional, Sequence

import numpy as np

PERSON_COLOURS = ((230, 60, 60), (60, 110, 240), (60, 200, 90), (230, 200, 40))


def _bones(layout: str, num_joints: int) -> Sequence:
    from ..data.transforms import BONES

    pairs = BONES.get(layout, ())
    return [(a, b) for a, b in pairs if a != b and a < num_joints and b < num_joints]


def _draw_pose(img: np.ndarray, xy: np.ndarray, score: Optional[np.ndarray], layout: str,
               colour: Sequence[int]) -> None:
    import cv2

    ok = np.isfinite(xy).all(-1) & (np.abs(xy).sum(-1) > 0)
    if score is not None:
        ok &= score > 0.05
    thick = max(1, img.shape[1] // 240)
    for a, b in _bones(layout, len(xy)):
        if ok[a] and ok[b]:
            cv2.line(img, tuple(int(v) for v in xy[a]), tuple(int(v) for v in xy[b]), colour, thick,
                     cv2.LINE_AA)
    for j in np.flatnonzero(ok):
        cv2.circle(img, tuple(int(v) for v in xy[j]), thick + 1, (255, 255, 255), -1, cv2.LINE_AA)


def _caption(img: np.ndarray, lines: Sequence[str]) -> None:
    import cv2

    scale = max(0.45, img.shape[1] / 900)
    y = int(28 * scale) + 4
    for line in lines:
        (w, h), _ = cv2.getTextSize(line, cv2.FONT_HERSHEY_SIMPLEX, scale, 2)
        cv2.rectangle(img, (4, y - h - 6), (12 + w, y + 6), (0, 0, 0), -1)
        cv2.putText(img, line, (8, y), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 0), 2, cv2.LINE_AA)
        y += h + 14


def _skeleton_canvas(keypoint: np.ndarray, size: int = 360) -> np.ndarray:
    """Project ``[M,T,V,C]`` joints (x, y; camera-space y up) into ``size`` px frames: ``[M,T,V,2]``."""
    xy = keypoint[..., :2].astype(np.float32).copy()
    present = np.abs(xy).sum(-1) > 0
    if not present.any():
        return np.zeros_like(xy)
    lo, hi = xy[present].min(0), xy[present].max(0)
    span = float(max(hi - lo)) or 1.0
    px = (xy - lo) / span * (size * 0.8) + size * 0.1
    if keypoint.shape[-1] == 3:  # metres, y up: flip to image rows
        px[..., 1] = size - px[..., 1]
    px[~present] = 0
    return px


def overlay_frames(result: Any, max_side: int = 640) -> np.ndarray:
    """RGB uint8 ``[T,H,W,3]`` frames showing the input with masks, poses and the top label."""
    import cv2

    label = f"{result.topk[0][0]} ({result.topk[0][1]:.2f})" if result.topk else ""
    lines = [label] + ([f"gt: {result.label}"] if result.label else [])
    poses = result.poses if result.poses is not None else result.skeleton
    if result.clip is not None:
        frames = np.asarray(result.clip.frames)
        t, h, w = frames.shape[:3]
        s = min(1.0, max_side / max(h, w))
        out = np.stack([cv2.resize(f, (int(w * s) // 2 * 2, int(h * s) // 2 * 2), interpolation=cv2.INTER_AREA)
                        for f in frames]).astype(np.float32)
        tracks = result.tracks
        if tracks is not None and len(tracks.masks):
            for p, masks in enumerate(np.asarray(tracks.masks, bool)):
                colour = np.array(PERSON_COLOURS[p % len(PERSON_COLOURS)], np.float32)
                for i in range(min(t, len(masks))):
                    m = cv2.resize(masks[i].astype(np.uint8), (out.shape[2], out.shape[1]),
                                   interpolation=cv2.INTER_NEAREST).astype(bool)
                    out[i][m] = 0.5 * out[i][m] + 0.5 * colour
        out = out.astype(np.uint8)
        if tracks is not None:
            for p, boxes in enumerate(np.asarray(tracks.boxes, np.float32)):
                for i in range(min(t, len(boxes))):
                    if np.isfinite(boxes[i]).all():
                        x1, y1, x2, y2 = (boxes[i] * s).astype(int)
                        cv2.rectangle(out[i], (x1, y1), (x2, y2), PERSON_COLOURS[p % 4], 2)
        pixel_poses = poses is not None and np.asarray(poses.keypoint).shape[-1] == 2
        if pixel_poses:
            kp = np.asarray(poses.keypoint, np.float32) * s
            score = None if poses.score is None else np.asarray(poses.score)
            for i in range(min(t, kp.shape[1])):
                for m in range(kp.shape[0]):
                    _draw_pose(out[i], kp[m, i], None if score is None else score[m, i], poses.layout,
                               PERSON_COLOURS[m % 4])
    elif poses is not None:
        kp = _skeleton_canvas(np.asarray(poses.keypoint, np.float32))
        size = 360
        out = np.full((kp.shape[1], size, size, 3), 24, np.uint8)
        for i in range(kp.shape[1]):
            for m in range(kp.shape[0]):
                _draw_pose(out[i], kp[m, i], None, poses.layout, PERSON_COLOURS[m % 4])
    else:
        out = np.zeros((1, 240, 320, 3), np.uint8)
    for frame in out:
        _caption(frame, lines)
    return out


def branch_preview(result: Any, times: int = 4, width: int = 240) -> np.ndarray:
    """RGB grid: rows = sampled frames; columns = masks drawn, each person alone, background."""
    import cv2

    frames = np.asarray(result.clip.frames)
    masks = np.asarray(result.tracks.masks, bool)
    t, h, w = frames.shape[:3]
    height = int(round(h * width / w))
    rows = []
    for i in np.linspace(0, t - 1, times).round().astype(int):
        over = frames[i].astype(np.float32)
        for p in range(len(masks)):
            m = masks[p, i]
            over[m] = 0.5 * over[m] + 0.5 * np.array(PERSON_COLOURS[p % 4], np.float32)
        tiles = [over.astype(np.uint8)] + [frames[i] * masks[p, i][..., None] for p in range(len(masks))]
        tiles.append(frames[i] * (~masks[:, i].any(0))[..., None] if len(masks) else frames[i])
        rows.append(np.concatenate([cv2.resize(x.astype(np.uint8), (width, height), interpolation=cv2.INTER_AREA)
                                    for x in tiles], 1))
    grid = np.concatenate(rows, 0)
    names = ["masks"] + [f"person {p + 1}" for p in range(len(masks))] + ["background"]
    for k, name in enumerate(names):
        cv2.putText(grid, name, (k * width + 6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 0), 1, cv2.LINE_AA)
    return grid


def action_sentence_image(code_ids: Sequence[int], usage: Optional[Sequence[float]] = None,
                          title: str = "", path: Optional[str] = None) -> np.ndarray:
    """A strip of code-id cells (colour = share of training tokens using that code)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(code_ids)
    values = np.asarray(usage if usage is not None else [0.0] * n, np.float32)
    vmax = float(values.max()) if values.size and values.max() > 0 else 1.0
    fig, ax = plt.subplots(figsize=(max(4.0, 0.9 * n + 1.5), 1.9), dpi=100)
    cmap = plt.get_cmap("viridis")
    for i, (code, u) in enumerate(zip(code_ids, values)):
        colour = cmap(float(u) / vmax) if usage is not None else (0.75, 0.8, 0.9, 1.0)
        ax.add_patch(plt.Rectangle((i, 0), 0.94, 1, color=colour))
        lum = 0.299 * colour[0] + 0.587 * colour[1] + 0.114 * colour[2]
        ax.text(i + 0.47, 0.5, str(int(code)), ha="center", va="center", fontsize=12,
                color="black" if lum > 0.5 else "white", fontweight="bold")
    ax.set_xlim(0, max(n, 1))
    ax.set_ylim(0, 1)
    ax.axis("off")
    ax.set_title(title or f"action sentence: {n} codes" +
                 (" (colour: share of training tokens)" if usage is not None else ""), fontsize=10)
    if usage is not None:
        sm = plt.cm.ScalarMappable(cmap=cmap, norm=plt.Normalize(0, vmax))
        fig.colorbar(sm, ax=ax, orientation="vertical", fraction=0.03, pad=0.01)
    fig.tight_layout()
    fig.canvas.draw()
    img = np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()
    if path:
        fig.savefig(path)
    plt.close(fig)
    return img


def write_video(path: Path, frames: np.ndarray, fps: float = 30.0) -> Path:
    """RGB frames -> an mp4 file (OpenCV ``mp4v``)."""
    import cv2

    from ..errors import DataError

    h, w = frames.shape[1:3]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), float(fps), (w, h))
    if not writer.isOpened():
        raise DataError(f"{path}: OpenCV cannot open an mp4 writer")
    for frame in frames:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def save_visualisation(result: Any, out_dir: str) -> Dict[str, str]:
    """``result.json`` and the pictures of one result in ``out_dir``; returns ``{kind: path}``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files: Dict[str, str] = {}
    path = out / "result.json"
    path.write_text(json.dumps(result.to_dict(), indent=2))
    files["json"] = str(path)
    if result.clip is not None or result.poses is not None or result.skeleton is not None:
        fps = float(getattr(result.clip, "fps", 30.0) or 30.0) if result.clip is not None else 15.0
        files["video"] = str(write_video(out / "visualisation.mp4", overlay_frames(result), fps))
    if result.code_ids is not None:
        png = out / "action_sentence.png"
        action_sentence_image(result.code_ids, result.extras.get("code_usage"), path=str(png))
        files["action_sentence"] = str(png)
    return files


__all__ = ["branch_preview", "overlay_frames", "action_sentence_image", "save_visualisation", "write_video"]
