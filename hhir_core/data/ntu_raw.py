"""Reader of raw NTU RGB+D ``.skeleton`` files — the one module that parses that format.

Format (Kinect v2 text, see docs/data.md): line 1 = frame count F; per frame a body
count B; per body a line of 10 fields (tracking id first), the joint count (25),
then one line per joint ``x y z depthX depthY colorX colorY orientW orientX orientY
orientZ trackingState``. ``x y z`` are metres in camera space; ``colorX colorY``
pixels in the 1920x1080 colour image.

Bodies are followed by their tracking id across frames. Like the reference
converters (mmaction2's ``gen_ntu_rgbd_raw.py``, 2s-AGCN), the ``max_bodies`` most
*active* bodies are kept, activity = summed standard deviation of x, y and z over
the frames where the body is present (motion variance); this drops the spurious
extra bodies Kinect sometimes reports.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Union

import numpy as np

from ..errors import DataError

NUM_JOINTS = 25
COLOR_SHAPE = (1080, 1920)  # (H, W) of the Kinect v2 colour stream


@dataclass
class RawSkeleton:
    """All bodies of one ``.skeleton`` file, indexed by tracking id."""
    name: str
    num_frames: int
    #: tracking id -> float32 [T, 25, 12] (zeros where the body is absent)
    bodies: Dict[str, np.ndarray] = field(default_factory=dict)

    def xyz(self, body: str) -> np.ndarray:
        return self.bodies[body][..., 0:3]

    def color_xy(self, body: str) -> np.ndarray:
        return self.bodies[body][..., 5:7]

    def tracking_state(self, body: str) -> np.ndarray:
        return self.bodies[body][..., 11]


def read_skeleton_file(path: Union[str, Path]) -> RawSkeleton:
    """Parse one ``.skeleton`` file; a malformed file raises ``DataError`` with the line."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"skeleton file {str(path)!r} does not exist")
    lines = path.read_text(encoding="utf-8", errors="replace").split("\n")
    pos = 0

    def next_line() -> str:
        nonlocal pos
        while pos < len(lines) and not lines[pos].strip():
            pos += 1
        if pos >= len(lines):
            raise DataError(f"skeleton file {str(path)!r} ends early (truncated) at line {pos}")
        pos += 1
        return lines[pos - 1]

    def count(what: str) -> int:
        value = int(next_line())
        if value < 0:
            raise ValueError(f"negative {what} {value}")
        return value

    try:
        num_frames = count("frame count")
        frames: List[Dict[str, np.ndarray]] = []
        for _ in range(num_frames):
            num_bodies = count("body count")
            bodies: Dict[str, np.ndarray] = {}
            for _ in range(num_bodies):
                body_id = next_line().split()[0]
                num_joints = count("joint count")
                joints = np.array([[float(x) for x in next_line().split()[:12]]
                                   for _ in range(num_joints)], dtype=np.float64)
                if joints.shape != (num_joints, 12):
                    raise ValueError(f"joint lines need 12 numbers, got shape {joints.shape}")
                bodies[body_id] = joints
            frames.append(bodies)
    except DataError:
        raise
    except (ValueError, IndexError) as exc:
        raise DataError(f"skeleton file {str(path)!r} is malformed near line {pos}: "
                        f"{exc}") from exc
    order: List[str] = []
    for f in frames:
        order += [b for b in f if b not in order]
    out = RawSkeleton(name=path.name.split(".")[0], num_frames=num_frames)
    for b in order:
        arr = np.zeros((num_frames, NUM_JOINTS, 12), dtype=np.float32)
        for t, f in enumerate(frames):
            if b in f:
                j = f[b][:NUM_JOINTS]
                arr[t, :len(j)] = j
        out.bodies[b] = arr
    return out


def body_activity(xyz: np.ndarray) -> float:
    """Motion variance: sum over x, y, z of the std over present frames ``[T,V,3]``."""
    present = np.abs(xyz).sum(axis=(1, 2)) != 0
    s = xyz[present]
    if len(s) == 0:
        return 0.0
    return float(s[..., 0].std() + s[..., 1].std() + s[..., 2].std())


def skeleton_to_annotation(raw: RawSkeleton, max_bodies: int = 2, kind: str = "3d",
                           label: Optional[int] = None) -> Dict:
    """One annotation dict (mmaction2/pyskl convention) from a parsed file.

    ``kind='3d'``: ``keypoint`` = x y z ``[M,T,25,3]``; ``kind='2d'``: ``keypoint`` =
    colour-image pixels ``[M,T,25,2]``, ``keypoint_score`` = tracking state / 2
    (0 not tracked, 0.5 inferred, 1 tracked), ``img_shape`` = (1080, 1920).
    The label defaults to the A-number of the file name minus one.
    """
    from .ntu_classes import parse_frame_dir

    if kind not in ("3d", "2d"):
        raise DataError(f"kind must be '3d' or '2d', got {kind!r}")
    if label is None:
        info = parse_frame_dir(raw.name)
        if info is None:
            raise DataError(f"cannot read the action (A-number) from {raw.name!r}; pass label=")
        label = info["action"] - 1
    for b in raw.bodies:
        bad = ~np.isfinite(raw.bodies[b][..., 0:7])
        if bad.any():
            frames = np.nonzero(bad.any(axis=(1, 2)))[0]
            raise DataError(f"skeleton file {raw.name!r}: body {b} has NaN or infinite joint "
                            f"coordinates in {len(frames)} frame(s) (first: frame {frames[0]})")
    ranked = sorted(raw.bodies, key=lambda b: -body_activity(raw.xyz(b)))[:max_bodies]
    ranked = [b for b in ranked if np.abs(raw.xyz(b)).sum() > 0]
    anno: Dict = dict(frame_dir=raw.name, label=int(label), total_frames=raw.num_frames)
    if not ranked:
        shape = (0, raw.num_frames, NUM_JOINTS, 3 if kind == "3d" else 2)
        anno["keypoint"] = np.zeros(shape, np.float32)
        return anno
    if kind == "3d":
        anno["keypoint"] = np.stack([raw.xyz(b) for b in ranked]).astype(np.float32)
    else:
        anno["keypoint"] = np.stack([raw.color_xy(b) for b in ranked]).astype(np.float32)
        anno["keypoint_score"] = (np.stack([raw.tracking_state(b) for b in ranked]) / 2.0
                                  ).astype(np.float32)
        anno["img_shape"] = anno["original_shape"] = COLOR_SHAPE
    return anno


def read_missing_list(path: Union[str, Path]) -> List[str]:
    """Names in an official missing-skeleton list (one per line; ``#`` comments ignored)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"missing-samples list {str(path)!r} does not exist")
    names = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if line:
            names.append(line.split(".")[0])
    return names
