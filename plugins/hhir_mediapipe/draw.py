"""Drawing skeletons on frames (the preview video of tools/data/extract_poses.py)."""
from __future__ import annotations

from typing import Optional, Sequence, Tuple

import numpy as np

#: person colours (RGB), person p uses COLOURS[p % len]
COLOURS: Tuple[Tuple[int, int, int], ...] = ((230, 60, 60), (60, 120, 240), (60, 200, 90),
                                             (240, 200, 40), (200, 80, 220), (40, 210, 220))


def draw_skeletons(frame: np.ndarray, xy: np.ndarray, score: np.ndarray,
                   edges: Sequence[Tuple[int, int]], min_score: float = 0.3,
                   masks: Optional[np.ndarray] = None) -> np.ndarray:
    """A copy of ``frame`` (RGB) with ``P`` skeletons ``xy [P,V,2]`` drawn (and masks tinted)."""
    import cv2

    out = np.ascontiguousarray(frame).copy()
    h, w = out.shape[:2]
    thick = max(2, int(round(max(h, w) / 400)))
    if masks is not None:
        for p, m in enumerate(masks):
            if m.any():
                out[m] = (0.6 * out[m] + 0.4 * np.array(COLOURS[p % len(COLOURS)])).astype(np.uint8)
    for p in range(len(xy)):
        col = COLOURS[p % len(COLOURS)]
        for a, b in edges:
            if score[p, a] >= min_score and score[p, b] >= min_score:
                cv2.line(out, tuple(int(v) for v in xy[p, a]), tuple(int(v) for v in xy[p, b]), col, thick,
                         cv2.LINE_AA)
        for j in range(xy.shape[1]):
            if score[p, j] >= min_score:
                cv2.circle(out, tuple(int(v) for v in xy[p, j]), thick + 1, (255, 255, 255), -1, cv2.LINE_AA)
    return out
