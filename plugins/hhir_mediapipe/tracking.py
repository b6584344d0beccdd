"""Multi-person BlazePose with identities kept over time.

Per frame: every tracked person has its own single-person BlazePose graph in video mode
(its landmark region follows its own previous landmarks), fed the frame greyed outside the
person's padded last box and over the other people's heads, so it stays on that person
while people touch (the multi-person detector then sees one box). A result that jumps
more than ``max_cost`` from the person's last pose, or duplicates another person, is
dropped and that person's graph restarts. When someone is missing, the multi-person
detector runs on the whole frame (people already found greyed out): lost people are
re-identified by pose distance, newcomers take free slots left to right. Given boxes
(from a segmenter), BlazePose runs on each box's padded crop instead and keeps the pose
that best fits the box (or mask).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, List, Optional, Tuple

import numpy as np

#: joints used for matching and boxes (face detail and fingers are jittery)
BODY = (0, 7, 8, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28)


@dataclass
class PoseTracks:
    """Tracked BlazePose output for ``P`` people over ``T`` frames (frame pixels).

    ``xyz`` ``[P,T,33,3]`` (x, y pixels; z BlazePose's relative depth on the x scale),
    ``score`` ``[P,T,33]`` visibility (0 where the person is absent), ``world``
    ``[P,T,33,3]`` metres (hip-centred), ``boxes`` ``[P,T,4]`` (NaN where absent).
    """
    xyz: np.ndarray
    score: np.ndarray
    world: np.ndarray
    boxes: np.ndarray

    @property
    def present(self) -> np.ndarray:
        return np.isfinite(self.boxes[..., 0])


def pose_box(xy: np.ndarray, score: np.ndarray, margin: float = 0.12, min_score: float = 0.3) -> np.ndarray:
    """Box ``[4]`` around a pose's confident joints, grown by ``margin`` of its size per side."""
    ok = score >= min_score
    pts = xy[ok] if ok.sum() >= 3 else xy
    x1, y1 = pts.min(0)
    x2, y2 = pts.max(0)
    m = margin * max(x2 - x1, y2 - y1)
    return np.array([x1 - m, y1 - 1.5 * m, x2 + m, y2 + m], np.float32)


def pose_distance(a: np.ndarray, sa: np.ndarray, b: np.ndarray, sb: np.ndarray, size: float) -> float:
    """Mean distance of the body joints of two poses ``[33,2]``, in units of ``size``."""
    idx = list(BODY)
    both = (sa[idx] >= 0.3) & (sb[idx] >= 0.3)
    sel = np.asarray(idx)[both] if both.sum() >= 3 else np.asarray(idx)
    return float(np.linalg.norm(a[sel] - b[sel], axis=1).mean() / max(size, 1.0))


def crop_window(box: np.ndarray, pad: float, hw: Tuple[int, int]) -> Tuple[int, int, int, int]:
    """Integer crop ``x1, y1, x2, y2`` of ``box`` grown by ``pad`` of its larger side, clipped."""
    h, w = hw
    x1, y1, x2, y2 = [float(v) for v in box]
    side = max(x2 - x1, y2 - y1)
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    half = side * (1 + 2 * pad) / 2
    return (int(max(0, cx - half)), int(max(0, cy - half)), int(min(w, cx + half)), int(min(h, cy + half)))


class _State:
    """Per-person tracking state of one run."""

    def __init__(self, P: int) -> None:
        self.last_xy: List[Optional[np.ndarray]] = [None] * P
        self.last_sc: List[Optional[np.ndarray]] = [None] * P
        self.last_box: List[Optional[np.ndarray]] = [None] * P
        self.missing = [0] * P
        self.follower: List[Optional[Callable]] = [None] * P

    def set_follower(self, p: int, follower: Optional[Callable]) -> None:
        """Replace person ``p``'s single-person graph, closing the old one (it holds threads)."""
        old = self.follower[p]
        if old is not None and hasattr(old, "close"):
            old.close()
        self.follower[p] = follower


def _paint_head(img: np.ndarray, xy: np.ndarray) -> None:
    """Grey disk over a pose's head (nose, eyes, ears), in place."""
    import cv2

    head = xy[[0, 2, 5, 7, 8]]
    c = head.mean(0)
    r = max(1.3 * float(np.linalg.norm(xy[7] - xy[8])), 0.6 * float(np.ptp(head, 0).max()), 6.0)
    cv2.circle(img, (int(round(c[0])), int(round(c[1]))), int(round(r)), (127, 127, 127), -1)


def _size(box: np.ndarray) -> float:
    return float(max(box[2] - box[0], box[3] - box[1]))


class PoseTracker:
    """Runs BlazePose over a clip and keeps identities (see module doc).

    Args:
        landmarker: multi-person detector + landmarks, callable
            ``rgb -> (xyz [n,33,3], visibility [n,33], world [n,33,3])``.
        make_follower: factory of a single-person video-mode graph, callable
            ``rgb -> (xyz [33,3], visibility [33], world [33,3]) | None``.
        max_side: frames are processed at most this large (coordinates are returned at
            full size); BlazePose's landmark input is 256 px, so 960 loses nothing for
            people taller than a quarter of the frame.
        crop_pad: padding of a search crop, as a fraction of the box's larger side.
        max_cost: largest mean joint distance (in person heights) of a match.
        max_missing: frames a lost track keeps its slot for re-identification.
    """

    def __init__(self, landmarker: Callable, make_follower: Callable, max_side: int = 960, crop_pad: float = 0.15,
                 max_cost: float = 0.25, max_missing: int = 30) -> None:
        self.landmarker, self.make_follower = landmarker, make_follower
        self.max_side, self.crop_pad = int(max_side), float(crop_pad)
        self.max_cost, self.max_missing = float(max_cost), int(max_missing)

    def _detect_crop(self, img: np.ndarray, box: np.ndarray):
        x1, y1, x2, y2 = crop_window(box, self.crop_pad, img.shape[:2])
        if x2 - x1 < 8 or y2 - y1 < 8:
            return np.zeros((0, 33, 3), np.float32), np.zeros((0, 33), np.float32), np.zeros((0, 33, 3), np.float32)
        xyz, vis, world = self.landmarker(img[y1:y2, x1:x2])
        xyz[..., 0] += x1
        xyz[..., 1] += y1
        return xyz, vis, world

    def run(self, frames: np.ndarray, num_persons: int, boxes: Optional[np.ndarray] = None,
            masks: Optional[np.ndarray] = None, progress: bool = False, desc: str = "poses") -> PoseTracks:
        """Track ``num_persons`` people over ``frames`` ``uint8 [T,H,W,3]`` (RGB).

        With ``boxes`` ``[P,T,4]`` (and optionally ``masks`` ``[P,T,H,W]``) person ``p`` is
        whoever BlazePose finds in box ``p``'s crop that best fits the box (or mask).
        """
        import cv2
        from tqdm import tqdm

        T, H, W = frames.shape[:3]
        P = int(num_persons)
        s = min(1.0, self.max_side / max(H, W))
        out = PoseTracks(xyz=np.zeros((P, T, 33, 3), np.float32), score=np.zeros((P, T, 33), np.float32),
                         world=np.zeros((P, T, 33, 3), np.float32), boxes=np.full((P, T, 4), np.nan, np.float32))
        state = _State(P)
        for t in tqdm(range(T), desc=desc, unit="frame", disable=not progress, leave=False):
            img = frames[t] if s >= 1 else cv2.resize(frames[t], (round(W * s), round(H * s)),
                                                      interpolation=cv2.INTER_AREA)
            if boxes is not None:
                for p in range(min(P, len(boxes))):
                    b = boxes[p, t]
                    if not np.isfinite(b).all():
                        continue
                    xyz, vis, world = self._detect_crop(img, b * s)
                    if not len(xyz):
                        continue
                    xyz[..., :2] /= s
                    xyz[..., 2] /= s
                    fit = [_fit_to_region(xyz[i, :, :2], vis[i], b, None if masks is None else masks[p, t])
                           for i in range(len(xyz))]
                    i = int(np.argmax(fit))
                    self._store(out, p, t, xyz[i], vis[i], world[i])
                continue
            self._track_frame(img, s, t, out, state, P)
        for p in range(P):
            state.set_follower(p, None)
        return out

    def _track_frame(self, img: np.ndarray, s: float, t: int, out: PoseTracks, st: "_State", P: int) -> None:
        """One frame without given boxes: follow every track, then look for the missing ones."""
        from scipy.optimize import linear_sum_assignment

        found: List[Optional[list]] = [None] * P
        for p in range(P):
            if st.follower[p] is None:
                continue
            view = np.full_like(img, 127)
            x1, y1, x2, y2 = crop_window(st.last_box[p] * s, self.crop_pad, img.shape[:2])
            view[y1:y2, x1:x2] = img[y1:y2, x1:x2]
            for q in range(P):  # hide the other people's heads from BlazePose's face-led detector
                other = found[q] if found[q] is not None else None
                xy = other[0][:, :2] if other is not None else st.last_xy[q]
                if q != p and xy is not None:
                    _paint_head(view, xy * s)
            res = st.follower[p](view)
            if res is not None:
                xyz, vis, world = res
                xyz /= s
                if pose_distance(st.last_xy[p], st.last_sc[p], xyz[:, :2], vis, _size(st.last_box[p])) <= self.max_cost:
                    found[p] = [xyz, vis, world]
            if found[p] is None:
                st.set_follower(p, None)
        for p in range(P):  # two followers on one person: the one that moved less keeps it
            for q in range(p + 1, P):
                if found[p] is None or found[q] is None:
                    continue
                size = _size(pose_box(found[p][0][:, :2], found[p][1]))
                if pose_distance(found[p][0][:, :2], found[p][1], found[q][0][:, :2], found[q][1], size) < 0.08:
                    moved = [pose_distance(st.last_xy[k], st.last_sc[k], found[k][0][:, :2], found[k][1], 1.0)
                             for k in (p, q)]
                    drop = q if moved[0] <= moved[1] else p
                    found[drop] = None
                    st.set_follower(drop, None)
        for p in range(P):
            if found[p] is not None:
                self._store(out, p, t, *found[p])
        lost = [p for p in range(P) if found[p] is None]
        if lost:  # the multi-person detector on the whole frame, people already found hidden
            view = img.copy()
            for p in range(P):
                if found[p] is not None:
                    _paint_head(view, found[p][0][:, :2] * s)
            cands = [list(c) for c in zip(*self.landmarker(view))]
            for c in cands:
                c[0] /= s
            cands = [c for c in _dedupe(cands) if all(
                f is None or pose_distance(f[0][:, :2], f[1], c[0][:, :2], c[1],
                                           _size(pose_box(c[0][:, :2], c[1]))) > 0.15 for f in found)]
            known = [p for p in lost if st.last_xy[p] is not None and st.missing[p] < self.max_missing]
            used = set()
            if known and cands:  # re-identify people lost for a while (looser than following)
                cost = np.array([[pose_distance(st.last_xy[p], st.last_sc[p], c[0][:, :2], c[1],
                                                _size(st.last_box[p])) for c in cands] for p in known])
                for r, c in zip(*linear_sum_assignment(cost)):
                    if cost[r, c] <= 2 * self.max_cost:
                        self._store(out, known[r], t, *cands[c])
                        st.set_follower(known[r], self.make_follower())
                        used.add(c)
            new = sorted((c for i, c in enumerate(cands) if i not in used),
                         key=lambda c: float(np.median(c[0][:, 0])))
            free = [p for p in lost if p not in known and not np.isfinite(out.boxes[p, t, 0])]
            for p, c in zip(free, new):  # newcomers take free slots, left to right
                self._store(out, p, t, *c)
                st.set_follower(p, self.make_follower())
        for p in range(P):
            if np.isfinite(out.boxes[p, t, 0]):
                st.last_xy[p], st.last_sc[p] = out.xyz[p, t, :, :2], out.score[p, t]
                st.last_box[p], st.missing[p] = out.boxes[p, t], 0
            else:
                st.missing[p] += 1

    @staticmethod
    def _store(out: PoseTracks, p: int, t: int, xyz: np.ndarray, vis: np.ndarray, world: np.ndarray) -> None:
        out.xyz[p, t], out.score[p, t], out.world[p, t] = xyz, vis, world
        out.boxes[p, t] = pose_box(xyz[:, :2], vis)


def _dedupe(cands: List[list], same: float = 0.08) -> List[list]:
    """Drop candidates that are the same person as an earlier, more visible one."""
    order = sorted(range(len(cands)), key=lambda i: -float(cands[i][1][list(BODY)].mean()))
    keep: List[list] = []
    for i in order:
        xy, sc = cands[i][0][:, :2], cands[i][1]
        b = pose_box(xy, sc)
        size = max(b[2] - b[0], b[3] - b[1])
        if all(pose_distance(k[0][:, :2], k[1], xy, sc, size) > same for k in keep):
            keep.append(cands[i])
    return keep


def _fit_to_region(xy: np.ndarray, score: np.ndarray, box: np.ndarray, mask: Optional[np.ndarray]) -> float:
    """How well a pose belongs to a person region: share of its body joints inside the mask
    (or box), weighted by visibility, plus the IoU of its box with the region's box."""
    idx = list(BODY)
    pts, w = xy[idx], np.clip(score[idx], 0.05, 1.0)
    if mask is not None and mask.any():
        h, wd = mask.shape
        xi = np.clip(pts[:, 0].round().astype(int), 0, wd - 1)
        yi = np.clip(pts[:, 1].round().astype(int), 0, h - 1)
        inside = mask[yi, xi].astype(np.float32)
    else:
        inside = ((pts[:, 0] >= box[0]) & (pts[:, 0] <= box[2]) & (pts[:, 1] >= box[1])
                  & (pts[:, 1] <= box[3])).astype(np.float32)
    pb = pose_box(xy, score)
    ix = max(0.0, min(pb[2], box[2]) - max(pb[0], box[0])) * max(0.0, min(pb[3], box[3]) - max(pb[1], box[1]))
    union = (pb[2] - pb[0]) * (pb[3] - pb[1]) + (box[2] - box[0]) * (box[3] - box[1]) - ix
    return float((inside * w).sum() / w.sum() + ix / max(union, 1e-6))
