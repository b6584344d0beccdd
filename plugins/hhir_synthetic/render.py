"""Rendering of synthetic samples: RGB clips, per-person masks, branch clips, HHIRChat JSON.

Why draw stick-figure "people" with OpenCV: video methods (OV-HHIR, PeVL, SKI's VideoCLIP)
need pixels whose content is exactly the skeleton's motion, with ground-truth masks for the
person/background branches, at a cost of milliseconds per clip. Each person is a flat colour
(two shades: left/right body side) over a random textured background; people are drawn far
to near, so a mask holds only the *visible* pixels of its person (masks are disjoint).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import numpy as np

from hhir_core.errors import DataError

from . import motion as sm
from .classes import CLASS_TABLE

# limbs drawn as thick lines: (joint a, joint b, body side: -1 left, 0 centre, +1 right)
_LIMBS = (
    (sm.BASE, sm.MID, 0), (sm.MID, sm.SS, 0), (sm.SS, sm.NECK, 0),
    (sm.LSH, sm.LEL, -1), (sm.LEL, sm.LWR, -1), (sm.LWR, sm.LTIP, -1),
    (sm.RSH, sm.REL, 1), (sm.REL, sm.RWR, 1), (sm.RWR, sm.RTIP, 1),
    (sm.LHIP, sm.LKN, -1), (sm.LKN, sm.LAN, -1), (sm.LAN, sm.LFT, -1),
    (sm.RHIP, sm.RKN, 1), (sm.RKN, sm.RAN, 1), (sm.RAN, sm.RFT, 1),
)
_TORSO = (sm.LSH, sm.SS, sm.RSH, sm.RHIP, sm.BASE, sm.LHIP)
_SHIFT = 4  # cv2 sub-pixel drawing precision (2**4)


def person_shades(colour: Sequence[int]) -> dict[int, tuple[int, int, int]]:
    """The flat BGR shades used for one person: centre/right = colour, left = 25 % darker."""
    c = tuple(int(v) for v in colour)
    dark = tuple(int(v * 0.75) for v in c)
    return {0: c, 1: c, -1: dark}


def make_background(rng: np.random.Generator, size: int) -> np.ndarray:
    """Random textured background (gradient + blobs + noise), never near-black (branches use black)."""
    import cv2

    h = w = size
    c1, c2 = rng.uniform(50, 200, 3), rng.uniform(50, 200, 3)
    ang = rng.uniform(0, 2 * np.pi)
    yy, xx = np.mgrid[0:h, 0:w] / float(size)
    g = (np.cos(ang) * xx + np.sin(ang) * yy)
    g = (g - g.min()) / max(g.max() - g.min(), 1e-6)
    img = c1[None, None] * (1 - g[..., None]) + c2[None, None] * g[..., None]
    for _ in range(int(rng.integers(1, 5))):  # "furniture": soft rectangles / ellipses
        col = rng.uniform(40, 210, 3).tolist()
        x0, y0 = int(rng.integers(0, w)), int(rng.integers(0, h))
        x1, y1 = x0 + int(rng.integers(8, w // 2)), y0 + int(rng.integers(8, h // 2))
        if rng.random() < 0.5:
            cv2.rectangle(img, (x0, y0), (x1, y1), col, -1)
        else:
            cv2.ellipse(img, (((x0 + x1) / 2, (y0 + y1) / 2), (abs(x1 - x0), abs(y1 - y0)), 0.0), col, -1)
    img = cv2.GaussianBlur(img, (0, 0), 1.2)
    img += rng.normal(0, 8.0, img.shape)  # texture
    return np.clip(img, 30, 255).astype(np.uint8)


def _draw_person(canvas: np.ndarray, pts: np.ndarray, shades: dict, limb_px: float, head_px: float) -> None:
    """Draw one person (pts [25,2] pixels) on ``canvas`` (colour image or single-channel mask)."""
    import cv2

    P = np.round(pts * (1 << _SHIFT)).astype(np.int32)
    th = max(1, int(round(limb_px)))
    cv2.fillPoly(canvas, [P[list(_TORSO)]], shades[0], lineType=cv2.LINE_8, shift=_SHIFT)
    for a, b, side in _LIMBS:
        cv2.line(canvas, tuple(P[a]), tuple(P[b]), shades[side], th, cv2.LINE_8, _SHIFT)
    cv2.circle(canvas, tuple(P[sm.HEAD]), max(1, int(round(head_px))) << _SHIFT, shades[0], -1, cv2.LINE_8, _SHIFT)


def render_frames(render: dict, size: int, draw_bg: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Frames [T,H,W,3] uint8 (BGR) and visible-person masks [M,T,H,W] bool for one sample."""
    pts, depth = np.asarray(render["points"]), np.asarray(render["depth"])
    M, T = pts.shape[:2]
    rng = np.random.default_rng(render["seed"])
    bg = make_background(rng, size) if draw_bg else np.full((size, size, 3), 127, np.uint8)
    # a few sensor-noise variants of the background, cycled over time
    bgs = np.clip(bg[None].astype(np.int16) + rng.normal(0, 3.0, (4, size, size, 1)).astype(np.int16),
                  0, 255).astype(np.uint8)
    frames = np.empty((T, size, size, 3), np.uint8)
    masks = np.zeros((M, T, size, size), bool)
    f = float(render["scale"])
    shades = [person_shades(c) for c in render["colours"]]
    ids = {0: 1, 1: 1, -1: 2}  # label image: 1 = main shade, 2 = left-side shade
    lab = np.zeros((size, size), np.uint8)
    for t in range(T):
        fr = frames[t]
        fr[:] = bgs[t % 4]
        order = np.argsort(-depth[:, t], kind="stable")  # far to near
        for m in order:
            z = max(float(depth[m, t]), 0.3)
            lab[:] = 0
            _draw_person(lab, pts[m, t], ids, f * 0.075 / z, f * 0.1 / z)
            cur = lab > 0
            fr[lab == 1] = shades[m][0]
            fr[lab == 2] = shades[m][-1]
            masks[:, t] &= ~cur  # nearer people hide farther ones
            masks[m, t] = cur
    return frames, masks


def _save_masks(path: Path, masks: np.ndarray) -> None:
    """``.npz`` with key ``masks`` (np.load-compatible), fast deflate level 1."""
    import zipfile

    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        with zf.open("masks.npy", "w", force_zip64=True) as fh:
            np.lib.format.write_array(fh, np.ascontiguousarray(masks), allow_pickle=False)


def _write_video(path: Path, frames: np.ndarray, fps: int) -> None:
    import cv2

    T, H, W = frames.shape[:3]
    vw = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), float(fps), (W, H))
    if not vw.isOpened():
        raise DataError(f"{path}: OpenCV cannot open an mp4v VideoWriter (opencv-python build without video I/O?)")
    for fr in frames:
        vw.write(fr)
    vw.release()


def render_sample(smp: dict, out_dir: Path, cfg) -> None:
    """Write video, masks and the three branch clips of one generated sample into ``out_dir``."""
    fd = smp["meta"]["frame_dir"]
    frames, masks = render_frames(smp["render"], cfg.size)
    _write_video(out_dir / "videos" / f"{fd}.mp4", frames, cfg.fps)
    _save_masks(out_dir / "masks" / f"{fd}.npz", masks)
    anyp = masks.any(0)
    p1 = frames * masks[0][..., None]
    p2 = frames * masks[1][..., None] if masks.shape[0] > 1 else np.zeros_like(frames)
    bg = frames * (~anyp)[..., None]
    for name, clip in (("p1", p1), ("p2", p2), ("bg", bg)):
        _write_video(out_dir / "branches" / f"{fd}_{name}.mp4", clip, cfg.fps)


HHIRCHAT_QUESTION = "Describe interaction between <p1> and <p2> in <bg>?"
ONE_WORD_QUESTION = "Describe the activity in one word."


def hhirchat_entry(meta: dict, descriptions: list[str]) -> dict:
    """One HHIRChat record (see docs/synthetic.md): branch clip paths relative to the dataset folder."""
    fd, label = meta["frame_dir"], meta["label"]
    cls = CLASS_TABLE[label]
    answer = "Slapping." if label == 49 and meta.get("info", {}).get("variant") == "slap" else cls.answer
    return {
        "id": fd, "video": f"videos/{fd}.mp4", "p1": f"branches/{fd}_p1.mp4", "p2": f"branches/{fd}_p2.mp4",
        "bg": f"branches/{fd}_bg.mp4", "mask": f"masks/{fd}.npz", "label": label, "label_name": cls.name,
        "conversations": [
            {"from": "human", "value": HHIRCHAT_QUESTION},
            {"from": "gpt", "value": descriptions[0]},
            {"from": "human", "value": ONE_WORD_QUESTION},
            {"from": "gpt", "value": answer},
        ],
    }


def write_hhirchat(out_dir: Path, metas: Sequence[dict], descs: dict, splits: dict) -> None:
    """hhirchat_train.json / hhirchat_val.json split by the cross-subject protocol."""
    by = {m["frame_dir"]: m for m in metas}
    for part in ("train", "val"):
        entries = [hhirchat_entry(by[fd], descs[fd]) for fd in splits[f"xsub_{part}"]]
        (out_dir / f"hhirchat_{part}.json").write_text(json.dumps(entries, indent=1, ensure_ascii=False))
