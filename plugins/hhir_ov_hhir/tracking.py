"""Box tracking with stable identities (Hungarian matching on box IoU).

Why a module of its own: every offline segmenter needs the same rule for "person p is the
same individual in every frame", and it is testable without any video.
"""
from __future__ import annotations

from typing import List, Sequence

import numpy as np


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU matrix ``[len(a), len(b)]`` of x1,y1,x2,y2 boxes."""
    a = np.asarray(a, np.float64).reshape(-1, 4)
    b = np.asarray(b, np.float64).reshape(-1, 4)
    x1 = np.maximum(a[:, None, 0], b[None, :, 0])
    y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a[:, None, 2], b[None, :, 2])
    y2 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1e-9)


def track_boxes(detections: Sequence[np.ndarray], num_persons: int, min_iou: float = 0.2,
                smooth: float = 0.5) -> np.ndarray:
    """Link per-frame detections into ``num_persons`` tracks ``[P,T,4]``.

    Identities are fixed at the first frame holding ``num_persons`` detections
    (ordered left to right) and kept by Hungarian matching on IoU. A detection that
    overlaps two tracks (people touching, a merged box) is not given to either: both
    keep their last box, so identities do not swap during contact. Frames before the
    first full frame reuse the initial boxes; a frame without any detection copies
    the previous boxes. ``smooth`` blends the matched box with the previous one.
    Returns NaN boxes only when no frame has any detection.
    """
    from scipy.optimize import linear_sum_assignment

    T, P = len(detections), int(num_persons)
    out = np.full((P, T, 4), np.nan, np.float32)
    dets = [np.asarray(d, np.float32).reshape(-1, 4) for d in detections]
    start = next((t for t, d in enumerate(dets) if len(d) >= P), None)
    if start is None:  # never P people at once: take the frame with the most
        counts = [len(d) for d in dets]
        if max(counts, default=0) == 0:
            return out
        start = int(np.argmax(counts))
    first = dets[start]
    first = first[np.argsort(-((first[:, 2] - first[:, 0]) * (first[:, 3] - first[:, 1])))][:P]
    first = first[np.argsort((first[:, 0] + first[:, 2]) / 2)]
    cur = np.full((P, 4), np.nan, np.float32)
    cur[:len(first)] = first

    def step(t: int) -> None:
        d = dets[t]
        alive = ~np.isnan(cur[:, 0])
        if len(d) and alive.any():
            iou = np.zeros((P, len(d)))
            iou[alive] = box_iou(cur[alive], d)
            merged = (iou > min_iou).sum(0) >= 2  # one box over two people
            cost = 1.0 - iou
            cost[:, merged] = 2.0
            rows, cols = linear_sum_assignment(cost)
            for r, c in zip(rows, cols):
                if cost[r, c] <= 1.0 - min_iou:
                    cur[r] = smooth * cur[r] + (1 - smooth) * d[c]
            used = set(cols[cost[rows, cols] <= 1.0 - min_iou].tolist())
            free = [c for c in range(len(d)) if c not in used and not merged[c]]
            for r in np.where(~alive)[0]:  # a person not yet seen: take a free detection
                if free:
                    cur[r] = d[free.pop(0)]
        out[:, t] = cur

    for t in range(start, T):
        step(t)
    cur[:] = out[:, start]
    for t in range(start - 1, -1, -1):
        step(t)
    # persons first seen later: back-fill their earliest box
    for p in range(P):
        ok = ~np.isnan(out[p, :, 0])
        if ok.any() and not ok.all():
            idx = np.where(ok)[0]
            for t in np.where(~ok)[0]:
                out[p, t] = out[p, idx[np.argmin(np.abs(idx - t))]]
    return out


def assign_identity_pixels(fg: np.ndarray, boxes: np.ndarray, frame: np.ndarray,
                           colour_models: List[np.ndarray] | None) -> np.ndarray:
    """Split a foreground mask ``[H,W]`` into disjoint person masks ``[P,H,W]``.

    A pixel inside one person's box goes to that person; inside several boxes it goes
    to the person whose colour prototypes are nearest (when ``colour_models`` are
    known) or else whose box centre is nearest.
    """
    P = boxes.shape[0]
    H, W = fg.shape
    inside = np.zeros((P, H, W), bool)
    for p in range(P):
        if np.isnan(boxes[p, 0]):
            continue
        x1, y1, x2, y2 = boxes[p]
        x1, y1 = max(int(np.floor(x1)), 0), max(int(np.floor(y1)), 0)
        x2, y2 = min(int(np.ceil(x2)), W), min(int(np.ceil(y2)), H)
        inside[p, y1:y2, x1:x2] = True
    inside &= fg[None]
    masks = inside.copy()
    multi = inside.sum(0) >= 2
    if multi.any():
        ys, xs = np.nonzero(multi)
        if colour_models is not None and all(m is not None and len(m) for m in colour_models):
            px = frame[ys, xs].astype(np.float32)
            dist = np.stack([np.min(((px[:, None] - m[None]) ** 2).sum(-1), 1) for m in colour_models])
        else:
            cx = (boxes[:, 0] + boxes[:, 2]) / 2
            cy = (boxes[:, 1] + boxes[:, 3]) / 2
            dist = np.stack([(xs - cx[p]) ** 2 + 0.25 * (ys - cy[p]) ** 2 for p in range(P)]).astype(np.float64)
        dist = np.where(inside[:, ys, xs], dist, np.inf)
        best = np.argmin(dist, 0)
        masks[:, ys, xs] = False
        masks[best, ys, xs] = True
    return masks
