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


def group_by_comotion(labels: np.ndarray, num_protos: int, num_persons: int, moving: np.ndarray,
                      merge_dist: float) -> List[List[int]]:
    """Group colour prototypes into ``num_persons`` people: ``[[proto ids of person 1], ...]``.

    ``labels`` ``[T,H,W]`` holds each pixel's prototype (-1 = background). Why: one person
    wears several colours (shading, clothing parts) whose pixels move together, so the
    distance between two prototypes is their centroids' mean distance over the frames
    where both appear (weighted by the smaller pixel count; vertical offsets count half,
    as clothing parts stack vertically). Prototypes are merged (average linkage) while
    closer than ``merge_dist`` px; of the resulting groups the ``num_persons`` with the
    most moving pixels are the people (furniture and texture leaks barely move). The
    grouping holds for the whole clip, so identities cannot swap between frames;
    people are ordered left to right by mean x.
    """
    T, H, W = labels.shape
    K = int(num_protos)
    xs, ys = np.arange(W, dtype=np.float64), np.arange(H, dtype=np.float64)
    n = np.zeros((K, T))
    cx = np.zeros((K, T))
    cy = np.zeros((K, T))
    n_moving = np.zeros(K)
    for k in range(K):
        m = labels == k
        n_moving[k] = (m & moving).sum()
        n[k] = m.sum((1, 2))
        ok = n[k] > 0
        cx[k, ok] = (m.sum(1) @ xs)[ok] / n[k, ok]
        cy[k, ok] = (m.sum(2) @ ys)[ok] / n[k, ok]
    mass = n.sum(1)
    dist = np.full((K, K), np.inf)
    for k in range(K):
        for j in range(K):
            w = np.minimum(n[k], n[j])
            if w.sum() > 0:
                dist[k, j] = (w * np.hypot(cx[k] - cx[j], 0.5 * (cy[k] - cy[j]))).sum() / w.sum()
    groups = [[k] for k in range(K) if mass[k] > 0]

    def link(a: List[int], b: List[int]) -> float:
        pairs = [(i, j) for i in a for j in b if np.isfinite(dist[i, j])]
        if not pairs:
            return np.inf
        wts = np.array([mass[i] * mass[j] for i, j in pairs])
        return float((wts * np.array([dist[i, j] for i, j in pairs])).sum() / wts.sum())

    while len(groups) > num_persons:
        d, a, b = min((link(groups[a], groups[b]), a, b)
                      for a in range(len(groups)) for b in range(a + 1, len(groups)))
        if d > merge_dist:
            break
        groups[a] = groups[a] + groups[b]
        del groups[b]
    groups = sorted(groups, key=lambda g: -n_moving[g].sum())[:num_persons]
    groups = [g for g in groups if mass[g].sum() > 0]

    def mean_x(g: List[int]) -> float:
        return float((n[g] * cx[g]).sum() / max(n[g].sum(), 1e-9))

    return sorted(groups, key=mean_x)
