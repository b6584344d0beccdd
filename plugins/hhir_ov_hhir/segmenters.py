"""Segmenters: split a clip into person tracks (masks) and background.

* :class:`OpenCVPersonSegmenter` – the offline default (no downloaded weights). Two modes:
  ``hog`` (camera footage): OpenCV's HOG people detector, identities kept by Hungarian
  matching on box IoU (merged boxes during contact are not assigned), GrabCut masks,
  overlapping pixels split by per-person colour prototypes; ``blobs`` (small clips such
  as the synthetic renders): temporal-median background difference extended to still
  body parts by colour prototypes, identities by clustering chromaticity over the clip.
* :class:`GroundTruthMaskSegmenter` – reads a dataset's ``masks/<clip stem>.npz``.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from hhir_core.errors import DataError
from hhir_core.interfaces import Segmenter
from hhir_core.structures import PersonTracks, VideoClip

from .tracking import assign_identity_pixels, track_boxes


def synthetic_two_person_clip(T: int = 8, size: int = 96, seed: int = 0) -> Tuple[VideoClip, np.ndarray]:
    """A tiny clip of two moving flat-coloured figures over texture, with true masks ``[2,T,H,W]``.

    Why: conformance/speed tests need a clip with known answers and no files.
    """
    import cv2

    rng = np.random.default_rng(seed)
    bg = np.clip(rng.normal(140, 20, (size, size, 3)), 40, 255).astype(np.uint8)
    bg = cv2.GaussianBlur(bg, (0, 0), 2.0)
    frames = np.empty((T, size, size, 3), np.uint8)
    masks = np.zeros((2, T, size, size), bool)
    cols = [(200, 40, 40), (40, 60, 200)]
    for t in range(T):
        fr = bg.copy()
        for p, x0 in enumerate((size * 0.25 + t, size * 0.72 - t)):
            m = np.zeros((size, size), np.uint8)
            cx, top = int(x0), int(size * 0.2)
            cv2.circle(m, (cx, top), max(2, size // 16), 1, -1)
            cv2.rectangle(m, (cx - size // 14, top + size // 14), (cx + size // 14, int(size * 0.6)), 1, -1)
            cv2.line(m, (cx, int(size * 0.6)), (cx - size // 12, int(size * 0.85)), 1, max(2, size // 24))
            cv2.line(m, (cx, int(size * 0.6)), (cx + size // 12, int(size * 0.85)), 1, max(2, size // 24))
            fr[m > 0] = cols[p]
            masks[p, t] = m > 0
        frames[t] = fr
    return VideoClip(frames=frames, fps=30.0, source="synthetic_two_person"), masks


class OpenCVPersonSegmenter(Segmenter):
    """Offline person segmentation with stable identities (see module docstring).

    Args:
        work_width: frames are processed at this width (masks are returned at full size).
        detector: ``"hog"``, ``"blobs"`` or ``"auto"`` (HOG when the working frame's
            shorter side is at least ``hog_min_side`` px, else blobs).
        diff_threshold: per-channel difference to the temporal-median background that
            marks a pixel as moving foreground.
        detect_every: run the HOG detector on every n-th frame (tracks carry over).
        grabcut_iters: GrabCut iterations per frame (HOG mode).
        hog_min_score: minimum HOG SVM score of a detection.
    """

    def __init__(self, work_width: int = 480, detector: str = "auto", diff_threshold: float = 24.0,
                 detect_every: int = 2, grabcut_iters: int = 2, hog_min_side: int = 200,
                 hog_min_score: float = 0.3, min_blob_frac: float = 0.002, min_chroma_gap: float = 0.03,
                 extra_clusters: int = 2) -> None:
        if detector not in ("auto", "hog", "blobs"):
            raise ValueError(f"detector must be auto|hog|blobs, got {detector!r}")
        self.work_width = int(work_width)
        self.detector = detector
        self.diff_threshold = float(diff_threshold)
        self.detect_every = max(1, int(detect_every))
        self.grabcut_iters = int(grabcut_iters)
        self.hog_min_side = int(hog_min_side)
        self.hog_min_score = float(hog_min_score)
        self.min_blob_frac = float(min_blob_frac)
        self.min_chroma_gap = float(min_chroma_gap)
        self.extra_clusters = int(extra_clusters)

    @classmethod
    def tiny(cls, **overrides: Any) -> "OpenCVPersonSegmenter":
        return cls(**{"work_width": 96, **overrides})

    def example_inputs(self, batch_size: int = 2):
        clip, _ = synthetic_two_person_clip()
        return (clip,), {"num_persons": 2}

    # ------------------------------------------------------------------ steps
    def _foreground(self, small: np.ndarray) -> np.ndarray:
        """Moving-foreground masks ``[T,h,w]`` from the difference to the temporal median."""
        import cv2

        idx = np.linspace(0, len(small) - 1, min(len(small), 48)).round().astype(int)
        bg = np.median(small[idx], axis=0).astype(np.int16)
        diff = np.abs(small.astype(np.int16) - bg[None]).max(-1)
        fg = (diff > self.diff_threshold).astype(np.uint8)
        k = np.ones((3, 3), np.uint8)
        return np.stack([cv2.morphologyEx(cv2.morphologyEx(f, cv2.MORPH_OPEN, k), cv2.MORPH_CLOSE, k)
                         for f in fg]).astype(bool)

    def _colour_foreground(self, small: np.ndarray, fg_move: np.ndarray) -> np.ndarray:
        """Extend moving pixels to whole people by colour: ``[T,h,w]``.

        Why: people who stand still (a torso during a punch) vanish from the
        median-background difference. Pixels that moved give the people's colours;
        pixels that never moved and lie far from any motion give the background's;
        every pixel near the motion is labelled by its nearest colour prototype.
        """
        import cv2

        T, h, w = fg_move.shape
        ever = fg_move.any(0).astype(np.uint8)
        if not ever.any():
            return fg_move
        r = max(3, int(0.12 * max(h, w)))
        near = cv2.dilate(ever, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))) > 0
        far = ~(cv2.dilate(ever, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (4 * r + 1, 4 * r + 1))) > 0)
        rng = np.random.default_rng(0)
        fg_px = small[fg_move]
        bg_px = small[:, far] if far.any() else small[:, ~near]
        bg_px = bg_px.reshape(-1, 3)
        if len(fg_px) < 8 or len(bg_px) < 8:
            return fg_move

        def protos(px: np.ndarray, k: int) -> np.ndarray:
            px = px[rng.choice(len(px), min(len(px), 6000), replace=False)].astype(np.float32)
            _, _, c = cv2.kmeans(px, min(k, len(px)), None,
                                 (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 15, 1.0), 1,
                                 cv2.KMEANS_PP_CENTERS)
            return c

        fgp = protos(fg_px, 8)
        # the median background near the motion, minus what looks like the people themselves
        med = np.median(small[np.linspace(0, T - 1, min(T, 48)).round().astype(int)], axis=0)
        loc = med[near & ~ever.astype(bool)].reshape(-1, 3).astype(np.float32)
        if len(loc):
            dloc = ((loc[:, None] - fgp[None]) ** 2).sum(-1).min(1)
            loc = loc[dloc > (2.0 * self.diff_threshold) ** 2]
        bgp = protos(np.concatenate([bg_px.astype(np.float32), loc]) if len(loc) else bg_px, 16)
        out = np.zeros_like(fg_move)
        ys, xs = np.nonzero(near)
        for t in range(T):
            px = small[t, ys, xs].astype(np.float32)
            dfg = ((px[:, None] - fgp[None]) ** 2).sum(-1).min(1)
            dbg = ((px[:, None] - bgp[None]) ** 2).sum(-1).min(1)
            out[t, ys, xs] = dfg < dbg
        k = np.ones((3, 3), np.uint8)
        out = np.stack([cv2.morphologyEx(f.astype(np.uint8), cv2.MORPH_OPEN, k) for f in out]).astype(bool)
        return out | fg_move

    def _colour_identities(self, small: np.ndarray, fg: np.ndarray, moving: np.ndarray,
                           num_persons: int) -> np.ndarray:
        """Split foreground ``[T,h,w]`` into ``[P,T,h,w]`` by clustering chromaticity over the clip.

        Why: people touching form one blob, but each keeps its clothing colour; the
        chromaticity (colour without brightness) ignores shading, and clustering
        over the whole clip gives one identity per cluster for every frame. Of
        ``P + extra_clusters`` clusters (each holding moving pixels and at least 5 % of
        the foreground), the ``P`` with the tightest chromaticity are people (flat
        clothing colour; leaked textured background is spread out);
        people are ordered left to right by mean x; clusters closer than
        ``min_chroma_gap`` are one person.
        """
        import cv2

        T, h, w = fg.shape
        P = int(num_persons)
        K = P + self.extra_clusters
        out = np.zeros((P, T, h, w), bool)
        idx = np.nonzero(fg)
        if len(idx[0]) < 4 * K:
            return out
        px = small[idx].astype(np.float32)
        chroma = px / np.maximum(px.sum(-1, keepdims=True), 1.0)
        feats = np.ascontiguousarray(chroma[:, :2] * 10.0)
        rng = np.random.default_rng(0)
        sub = feats[rng.choice(len(feats), min(len(feats), 8000), replace=False)]
        _, _, centers = cv2.kmeans(sub, K, None, (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 1e-3),
                                   3, cv2.KMEANS_PP_CENTERS)
        lab = ((feats[:, None] - centers[None]) ** 2).sum(-1).argmin(1)
        mov = moving[idx]
        # merge clusters of (nearly) the same chromaticity: shades of one person
        gaps = np.sqrt(((centers[:, None] - centers[None]) ** 2).sum(-1)) / 10.0
        root = list(range(K))
        for k in range(K):
            for j in range(k):
                if gaps[k, j] < self.min_chroma_gap:
                    root[k] = root[j]
        lab = np.asarray(root)[lab]
        # people wear flat colours: rank sizeable clusters by chromaticity spread (tightest first)
        cand = [g for g in set(root) if (lab == g).mean() >= 0.05 and mov[lab == g].any()]
        spread = {g: float(feats[lab == g].std(0).sum()) for g in cand}
        groups = sorted(cand, key=lambda g: spread[g])[:P]
        groups.sort(key=lambda g: idx[2][lab == g].mean())
        for p, g in enumerate(groups):
            sel = lab == g
            out[p, idx[0][sel], idx[1][sel], idx[2][sel]] = True
        k3 = np.ones((3, 3), np.uint8)
        for p in range(len(groups)):
            for t in range(T):
                out[p, t] = cv2.morphologyEx(out[p, t].astype(np.uint8), cv2.MORPH_OPEN, k3) > 0
        return out

    def _blob_boxes(self, fg: np.ndarray) -> List[np.ndarray]:
        import cv2

        out = []
        min_area = self.min_blob_frac * fg.shape[1] * fg.shape[2]
        for f in fg:
            n, _, stats, _ = cv2.connectedComponentsWithStats(f.astype(np.uint8), connectivity=8)
            st = stats[1:]
            st = st[st[:, 4] >= min_area]
            if len(st):
                st = st[st[:, 4] >= 0.15 * st[:, 4].max()]
            out.append(np.array([[x, y, x + w, y + h] for x, y, w, h, _ in st], np.float32).reshape(-1, 4))
        return out

    def _hog_boxes(self, small_bgr: np.ndarray) -> List[np.ndarray]:
        import cv2

        hog = cv2.HOGDescriptor()
        hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())
        out: List[np.ndarray] = []
        for t, f in enumerate(small_bgr):
            if t % self.detect_every:
                out.append(np.zeros((0, 4), np.float32))
                continue
            rects, weights = hog.detectMultiScale(f, winStride=(8, 8), padding=(8, 8), scale=1.05)
            weights = np.ravel(weights) if len(rects) else np.zeros(0)
            keep = [r for r, w in zip(rects, weights) if w >= self.hog_min_score]
            out.append(np.array([[x, y, x + w, y + h] for x, y, w, h in keep], np.float32).reshape(-1, 4))
        return out

    def _grabcut(self, frame_bgr: np.ndarray, boxes: np.ndarray, hint: np.ndarray) -> np.ndarray:
        """Foreground ``[h,w]`` inside the union of ``boxes`` by GrabCut (outside = background)."""
        import cv2

        h, w = frame_bgr.shape[:2]
        ok = boxes[~np.isnan(boxes[:, 0])]
        fg = np.zeros((h, w), bool)
        if not len(ok):
            return fg
        m = 0.15 * float(np.max(ok[:, 3] - ok[:, 1]))
        x1, y1 = int(max(ok[:, 0].min() - m, 0)), int(max(ok[:, 1].min() - m, 0))
        x2, y2 = int(min(ok[:, 2].max() + m, w)), int(min(ok[:, 3].max() + m, h))
        roi = np.ascontiguousarray(frame_bgr[y1:y2, x1:x2])
        gc = np.full(roi.shape[:2], cv2.GC_BGD, np.uint8)
        for b in ok:
            bx1, by1 = int(max(b[0] - x1, 0)), int(max(b[1] - y1, 0))
            bx2, by2 = int(min(b[2] - x1, x2 - x1)), int(min(b[3] - y1, y2 - y1))
            gc[by1:by2, bx1:bx2] = cv2.GC_PR_FGD
        gc[(gc == cv2.GC_PR_FGD) & hint[y1:y2, x1:x2]] = cv2.GC_FGD
        if not (gc == cv2.GC_BGD).any() or not ((gc == cv2.GC_PR_FGD) | (gc == cv2.GC_FGD)).any():
            return fg
        bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
        try:
            cv2.grabCut(roi, gc, None, bgd, fgd, self.grabcut_iters, cv2.GC_INIT_WITH_MASK)
        except cv2.error:
            return fg
        fg[y1:y2, x1:x2] = (gc == cv2.GC_FGD) | (gc == cv2.GC_PR_FGD)
        return fg

    @staticmethod
    def _colour_models(small: np.ndarray, fg: np.ndarray, boxes: np.ndarray, k: int = 6) -> List[Optional[np.ndarray]]:
        """Colour prototypes per person from frames where its box overlaps no other box."""
        import cv2
        from .tracking import box_iou

        P, T = boxes.shape[:2]
        rng = np.random.default_rng(0)
        models: List[Optional[np.ndarray]] = []
        for p in range(P):
            px = []
            for t in range(0, T, max(1, T // 12)):
                b = boxes[:, t]
                if np.isnan(b[p, 0]):
                    continue
                others = [q for q in range(P) if q != p and not np.isnan(b[q, 0])]
                if others and box_iou(b[p:p + 1], b[others]).max() > 0:
                    continue
                x1, y1, x2, y2 = [int(round(v)) for v in b[p]]
                x1, y1 = max(x1, 0), max(y1, 0)
                sel = small[t, y1:y2, x1:x2][fg[t, y1:y2, x1:x2]]
                if len(sel):
                    px.append(sel[rng.choice(len(sel), min(len(sel), 400), replace=False)])
            if not px:
                models.append(None)
                continue
            data = np.concatenate(px).astype(np.float32)
            kk = min(k, len(data))
            _, _, centers = cv2.kmeans(data, kk, None, (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 10, 1.0),
                                       1, cv2.KMEANS_PP_CENTERS)
            models.append(centers)
        return models

    # ------------------------------------------------------------------ main
    def segment(self, clip: VideoClip, num_persons: int = 2) -> PersonTracks:
        """Per-person masks ``[P,T,H,W]`` at the clip's resolution (see class docstring)."""
        import cv2

        frames = np.asarray(clip.frames)
        if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8 or not len(frames):
            raise DataError(f"{clip.source or 'clip'}: frames must be uint8 [T,H,W,3], got "
                            f"{frames.dtype} {frames.shape}")
        T, H, W = frames.shape[:3]
        scale = min(1.0, self.work_width / W)
        w, h = max(1, int(round(W * scale))), max(1, int(round(H * scale)))
        small = np.stack([cv2.resize(f, (w, h), interpolation=cv2.INTER_AREA) for f in frames]) \
            if scale < 1 else frames.copy()
        fg_move = self._foreground(small)
        mode = self.detector
        if mode == "auto":
            mode = "hog" if min(h, w) >= self.hog_min_side else "blobs"
        if mode == "hog":
            small_bgr = small[..., ::-1].copy()
            dets = self._hog_boxes(small_bgr)
            boxes = track_boxes(dets, num_persons)
            P = boxes.shape[0]
            fg = np.stack([self._grabcut(small_bgr[t], boxes[:, t], np.zeros((h, w), bool)) for t in range(T)])
            colours = self._colour_models(small, fg, boxes)
            masks_small = np.stack([assign_identity_pixels(fg[t], boxes[:, t], small[t], colours)
                                    for t in range(T)], 1)
        else:
            fg = self._colour_foreground(small, fg_move)
            masks_small = self._colour_identities(small, fg, fg_move, num_persons)
            P = masks_small.shape[0]
            boxes = masks_to_boxes(masks_small)
        if scale < 1:
            masks = np.zeros((P, T, H, W), bool)
            for p in range(P):
                for t in range(T):
                    masks[p, t] = cv2.resize(masks_small[p, t].astype(np.uint8), (W, H),
                                             interpolation=cv2.INTER_NEAREST) > 0
        else:
            masks = masks_small
        boxes_full = (boxes / scale).astype(np.float32)
        scores = np.array([float(np.mean([m.any() for m in masks[p]])) if T else 0.0 for p in range(P)], np.float32)
        return PersonTracks(masks=masks, boxes=boxes_full, scores=scores)


class GroundTruthMaskSegmenter(Segmenter):
    """Masks from the dataset: ``<mask_root>/<clip stem>.npz`` (key ``masks``, bool ``[P,T,H,W]``).

    Why: the synthetic benchmark ships exact masks; using them isolates the recognizer
    from segmentation errors.
    """

    def __init__(self, mask_root: str = "masks") -> None:
        self.mask_root = str(mask_root)

    @classmethod
    def tiny(cls, **overrides: Any) -> "GroundTruthMaskSegmenter":
        import tempfile

        root = overrides.pop("mask_root", None) or tempfile.mkdtemp(prefix="hhir_gtmask_")
        _, masks = synthetic_two_person_clip()
        np.savez(os.path.join(root, "synthetic_two_person.npz"), masks=masks)
        return cls(mask_root=root, **overrides)

    def example_inputs(self, batch_size: int = 2):
        clip, _ = synthetic_two_person_clip()
        return (clip,), {"num_persons": 2}

    def segment(self, clip: VideoClip, num_persons: int = 2) -> PersonTracks:
        stem = Path(clip.source).stem if clip.source else ""
        path = Path(self.mask_root) / f"{stem}.npz"
        if not stem or not path.is_file():
            raise DataError(f"ground-truth masks for clip {clip.source!r} not found at {path} "
                            "(GroundTruthMaskSegmenter needs masks/<clip stem>.npz; use OpenCVPersonSegmenter otherwise)")
        with np.load(path) as z:
            masks = np.asarray(z["masks"]).astype(bool)
        T, H, W = np.asarray(clip.frames).shape[:3]
        if masks.ndim != 4 or masks.shape[1:] != (T, H, W):
            raise DataError(f"{path}: masks shape {masks.shape} does not match clip [T,H,W]=({T},{H},{W})")
        masks = masks[:num_persons]
        return PersonTracks(masks=masks, boxes=masks_to_boxes(masks), scores=np.ones(len(masks), np.float32))


def masks_to_boxes(masks: np.ndarray) -> np.ndarray:
    """Tight boxes ``[P,T,4]`` of boolean masks (NaN where a mask is empty)."""
    P, T = masks.shape[:2]
    out = np.full((P, T, 4), np.nan, np.float32)
    for p in range(P):
        for t in range(T):
            ys, xs = np.nonzero(masks[p, t])
            if len(xs):
                out[p, t] = (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
    return out
