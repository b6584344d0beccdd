"""Segmenters: split a clip into person tracks (masks) and background.

* :class:`OpenCVPersonSegmenter` – the offline default (no downloaded weights). Two modes:
  ``hog`` (camera footage): OpenCV's HOG people detector, identities kept by Hungarian
  matching on box IoU (merged boxes during contact are not assigned), GrabCut masks,
  overlapping pixels split by per-person colour prototypes; ``blobs`` (small static-camera
  clips such as the synthetic renders): person and scene colour prototypes learned from
  the moving pixels against the temporal-median background, every pixel near the motion
  labelled by its nearest prototype (so still body parts are found too), and prototypes
  grouped into people by moving together over the whole clip (identities cannot swap).
* :class:`GroundTruthMaskSegmenter` – reads a dataset's ``masks/<clip stem>.npz``.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, List, Optional, Tuple

import numpy as np

from hhir_core.errors import DataError
from hhir_core.interfaces import Segmenter
from hhir_core.structures import PersonTracks, VideoClip

from .tracking import assign_identity_pixels, group_by_comotion, track_boxes

#: per-channel difference to the temporal-median background that marks a moving pixel
#: (also the colour scale of the blobs-mode decisions)
DIFF_THRESHOLD = 24.0
#: HOG mode: detector every n-th frame (tracks carry over), GrabCut iterations per frame,
#: minimum SVM score of a detection, and the shorter working side from which HOG is used
DETECT_EVERY, GRABCUT_ITERS, HOG_MIN_SCORE, HOG_MIN_SIDE = 2, 2, 0.3, 200
#: blobs mode: k-means colour prototypes for people / scene, and the fraction of the frame
#: width within which person prototypes that move together are one person
PERSON_PROTOS, BG_PROTOS, MERGE_FRAC = 8, 16, 0.12



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

    The detector mode follows the frame size: HOG when the working frame's shorter side
    is at least :data:`HOG_MIN_SIDE` px (camera footage), blobs below (small renders).
    """

    def __init__(self, work_width: int = 480) -> None:
        self.work_width = int(work_width)

    @classmethod
    def tiny(cls, **overrides: Any) -> "OpenCVPersonSegmenter":
        return cls(**{"work_width": 96, **overrides})

    def example_inputs(self, batch_size: int = 2):
        clip, _ = synthetic_two_person_clip()
        return (clip,), {"num_persons": 2}

    # ------------------------------------------------------------------ steps
    def _motion(self, small: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Temporal-median background ``[h,w,3]`` and moving-pixel masks ``[T,h,w]``.

        Specks under 3 px (compression flicker) are dropped; no morphological opening,
        because limbs of people 2-3 px wide would vanish with it.
        """
        f = small.astype(np.float32)
        idx = np.linspace(0, len(f) - 1, min(len(f), 48)).round().astype(int)
        bg = np.median(f[idx], axis=0)
        moving = np.abs(f - bg[None]).max(-1) > DIFF_THRESHOLD
        return bg, np.stack([_drop_specks(m, 3) for m in moving])

    def _colour_models(self, small: np.ndarray, bg: np.ndarray, moving: np.ndarray
                       ) -> Optional[Tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Person and background colour prototypes learned from the motion, and the search region.

        Why: people who stand still (a torso during a punch) are part of the median
        background, so motion alone finds only their moving limbs. At a moving pixel one
        of (current colour, background-median colour) is a person and the other is the
        scene (a limb arrived, or a limb left and uncovered the scene). Pixels far from
        any motion give the scene's colours; in pairs where one member clearly matches
        them and the other clearly does not, the other one is a person colour. Ambiguous
        pairs (both unlike the far scene: a person over furniture) are not used, and
        still pixels near the people whose colour is unlike every person colour (the
        furniture) join the scene's colours.
        """
        import cv2

        T, h, w = moving.shape
        ever = moving.any(0).astype(np.uint8)
        if ever.sum() < 8:
            return None
        r = max(3, int(0.12 * max(h, w)))
        near = cv2.dilate(ever, _disk(r)) > 0
        far = ~(cv2.dilate(ever, _disk(2 * r)) > 0)
        if far.sum() < 50:
            far = ~near
        if far.sum() < 8:
            return None
        f = small.astype(np.float32)
        scene = _kmeans(bg[far], BG_PROTOS)
        ts, ys, xs = np.nonzero(moving)
        cur, med = f[ts, ys, xs], bg[ys, xs]
        d_cur, d_med = _nearest(cur, scene)[0], _nearest(med, scene)[0]
        lo, hi = DIFF_THRESHOLD ** 2, (2 * DIFF_THRESHOLD) ** 2
        confident = (np.minimum(d_cur, d_med) < lo) & (np.maximum(d_cur, d_med) > hi)
        if confident.sum() < 16:
            return None
        cur_is_person = (d_cur >= d_med)[:, None]
        person = _kmeans(np.where(cur_is_person, cur, med)[confident], PERSON_PROTOS)
        other = [_kmeans(np.where(cur_is_person, med, cur)[confident], PERSON_PROTOS)]
        still = bg[near & ~ever.astype(bool)]
        if len(still):
            still = still[_nearest(still, person)[0] > (1.5 * DIFF_THRESHOLD) ** 2]
            if len(still) >= 16:
                other.append(_kmeans(still, PERSON_PROTOS))
        return person, np.concatenate([scene] + other), near

    def _classify(self, small: np.ndarray, person: np.ndarray, scene: np.ndarray, near: np.ndarray
                  ) -> np.ndarray:
        """Per-pixel person-prototype index ``[T,h,w]`` (-1 = background) near the motion.

        A pixel is a person's when its colour is nearer to a person prototype than to any
        scene prototype; the margin is smoothed over ~1 px so texture noise does not
        flip single pixels.
        """
        import cv2

        T, h, w = small.shape[:3]
        out = np.full((T, h, w), -1, np.int32)
        ys, xs = np.nonzero(near)
        margin = np.zeros((h, w), np.float32)
        for t in range(T):
            px = small[t, ys, xs].astype(np.float32)
            dp, kp = _nearest(px, person)
            ds, _ = _nearest(px, scene)
            margin[:] = 0
            margin[ys, xs] = np.sqrt(dp) - np.sqrt(ds)
            fg = cv2.GaussianBlur(margin, (0, 0), 0.7)[ys, xs] < 0
            out[t, ys[fg], xs[fg]] = kp[fg]
        return out

    def _blob_masks(self, small: np.ndarray, num_persons: int) -> np.ndarray:
        """Blobs mode: person masks ``[P,T,h,w]`` (empty when nothing moves)."""
        T, h, w = small.shape[:3]
        P = int(num_persons)
        out = np.zeros((P, T, h, w), bool)
        bg, moving = self._motion(small)
        models = self._colour_models(small, bg, moving)
        if models is None:
            return out
        person, scene, near = models
        labels = self._classify(small, person, scene, near)
        groups = group_by_comotion(labels, len(person), P, moving, MERGE_FRAC * w)
        for p, g in enumerate(groups):
            out[p] = np.isin(labels, g)
        return out

    def _hog_boxes(self, small_bgr: np.ndarray) -> List[np.ndarray]:
        from hhir_core.vision import detect_people

        out: List[np.ndarray] = []
        for t, f in enumerate(small_bgr):
            if t % DETECT_EVERY:
                out.append(np.zeros((0, 4), np.float32))
                continue
            out.append(detect_people(f, min_score=HOG_MIN_SCORE)[0])
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
            cv2.grabCut(roi, gc, None, bgd, fgd, GRABCUT_ITERS, cv2.GC_INIT_WITH_MASK)
        except cv2.error:
            return fg
        fg[y1:y2, x1:x2] = (gc == cv2.GC_FGD) | (gc == cv2.GC_PR_FGD)
        return fg

    @staticmethod
    def _box_colour_models(small: np.ndarray, fg: np.ndarray, boxes: np.ndarray, k: int = 6) -> List[Optional[np.ndarray]]:
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
        mode = "hog" if min(h, w) >= HOG_MIN_SIDE else "blobs"
        if mode == "hog":
            small_bgr = small[..., ::-1].copy()
            dets = self._hog_boxes(small_bgr)
            boxes = track_boxes(dets, num_persons)
            P = boxes.shape[0]
            fg = np.stack([self._grabcut(small_bgr[t], boxes[:, t], np.zeros((h, w), bool)) for t in range(T)])
            colours = self._box_colour_models(small, fg, boxes)
            masks_small = np.stack([assign_identity_pixels(fg[t], boxes[:, t], small[t], colours)
                                    for t in range(T)], 1)
        else:
            masks_small = self._blob_masks(small, num_persons)
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


def _disk(r: int) -> np.ndarray:
    import cv2

    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))


def _drop_specks(mask: np.ndarray, min_area: int) -> np.ndarray:
    """``mask`` without 8-connected components smaller than ``min_area`` px."""
    import cv2

    n, lab, st, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    keep = np.zeros(n, bool)
    keep[1:] = st[1:, 4] >= min_area
    return keep[lab]


def _kmeans(px: np.ndarray, k: int, max_samples: int = 6000) -> np.ndarray:
    """``k`` colour prototypes ``[k,3]`` of pixels ``[N,3]`` (k-means on a fixed-seed subsample)."""
    import cv2

    px = np.asarray(px, np.float32).reshape(-1, 3)
    if len(px) > max_samples:
        px = px[np.random.default_rng(0).choice(len(px), max_samples, replace=False)]
    k = max(1, min(int(k), len(px)))
    cv2.setRNGSeed(0)
    _, _, centers = cv2.kmeans(np.ascontiguousarray(px), k, None,
                               (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 0.5), 2,
                               cv2.KMEANS_PP_CENTERS)
    return centers


def _nearest(px: np.ndarray, protos: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Squared distance to, and index of, the nearest prototype for each pixel ``[N,3]``."""
    d = ((np.asarray(px, np.float32)[:, None, :] - protos[None]) ** 2).sum(-1)
    return d.min(1), d.argmin(1)
