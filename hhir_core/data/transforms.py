"""Skeleton transforms (registry ``transform``): ``transform(results) -> results``.

``results`` is the sample dict of :class:`~hhir_core.data.ntu.NTUSkeletonDataset`
(``keypoint`` float32 ``[M,T,V,C]``, ``total_frames``, ``label``, ``frame_dir``,
optionally ``keypoint_score [M,T,V]`` and ``img_shape``). A typical pipeline::

    [dict(type='NormalizeSkeleton3D'), dict(type='UniformSampleFrames', clip_len=100),
     dict(type='RandomRotation', max_angle=15), dict(type='PadPersons', num_person=2),
     dict(type='SkeletonFeatures', feats=['j']), dict(type='PackSkeletonInputs')]

The maths follows mmaction2's pose transforms (themselves from 2s-AGCN) so the
baseline configs reproduce mmaction2's numbers; differences are documented per class.
"""
from __future__ import annotations

import math
from typing import Any, Dict, Optional, Sequence, Union

import numpy as np

from ..errors import DataError
from ..structures import LAYOUT_JOINTS as LAYOUTS

#: bone pairs (child, parent), 0-based, per layout (from mmaction2's JointToBone)
BONES = {
    "nturgb+d": ((0, 1), (1, 20), (2, 20), (3, 2), (4, 20), (5, 4), (6, 5), (7, 6), (8, 20),
                 (9, 8), (10, 9), (11, 10), (12, 0), (13, 12), (14, 13), (15, 14), (16, 0),
                 (17, 16), (18, 17), (19, 18), (21, 22), (20, 20), (22, 7), (23, 24),
                 (24, 11)),
    "coco": ((0, 0), (1, 0), (2, 0), (3, 1), (4, 2), (5, 0), (6, 0), (7, 5), (8, 6), (9, 7),
             (10, 8), (11, 0), (12, 0), (13, 11), (14, 12), (15, 13), (16, 14)),
}


class BaseTransform:
    """Callable transform: subclasses implement :meth:`transform` (mmcv's ``BaseTransform`` contract).

    Why not ``mmcv.transforms.BaseTransform`` itself: importing it pulls in torch and OpenCV
    (measured: ``import mmcv.transforms`` 10.1 s vs ``import hhir_core.data.transforms``
    0.6 s on the same loaded 2-core machine), and mmcv is a dependency of the mmaction2 bridge
    only, not of the core.
    """

    def __call__(self, results: Dict[str, Any]) -> Optional[Dict[str, Any]]:
        return self.transform(results)

    def transform(self, results: Dict[str, Any]) -> Optional[Dict[str, Any]]:
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({args})"


def _rotation(axis: np.ndarray, theta: float) -> np.ndarray:
    """Rotation matrix about ``axis`` by ``theta`` (as in mmaction2's PreNormalize3D)."""
    if np.abs(axis).sum() < 1e-6 or abs(theta) < 1e-6:
        return np.eye(3)
    axis = np.asarray(axis, dtype=np.float64)
    axis = axis / np.sqrt(np.dot(axis, axis))
    a = math.cos(theta / 2.0)
    b, c, d = -axis * math.sin(theta / 2.0)
    aa, bb, cc, dd = a * a, b * b, c * c, d * d
    bc, ad, ac, ab, bd, cd = b * c, a * d, a * c, a * b, b * d, c * d
    return np.array([[aa + bb - cc - dd, 2 * (bc + ad), 2 * (bd - ac)],
                     [2 * (bc - ad), aa + cc - bb - dd, 2 * (cd + ab)],
                     [2 * (bd + ac), 2 * (cd - ab), aa + dd - bb - cc]])


def _angle(v1: np.ndarray, v2: Sequence[float]) -> float:
    v2 = np.asarray(v2, dtype=np.float64)
    if np.abs(v1).sum() < 1e-6 or np.abs(v2).sum() < 1e-6:
        return 0.0
    cos = np.dot(v1 / np.linalg.norm(v1), v2 / np.linalg.norm(v2))
    return float(np.arccos(np.clip(cos, -1.0, 1.0)))


#: NTU joints (0-based) that define the canonical pose: spine base -> spine middle along +Z,
#: right -> left shoulder along +X, spine base -> spine at the shoulders as the unit length
SPINE_JOINTS, SHOULDER_JOINTS, SCALE_JOINTS = (0, 1), (8, 4), (0, 20)


class NormalizeSkeleton3D(BaseTransform):
    """Centre, align and (optionally) scale 3-D NTU skeletons by the first frame.

    1. drop frames where the main person is absent (all-zero), as mmaction2 does;
    2. subtract joint ``center_joint`` of person 0 in frame 0 (0 = base of spine,
       hhir's default; mmaction2's PreNormalize3D uses 1 = middle of spine);
    3. rotate so the spine (:data:`SPINE_JOINTS`) is parallel to +Z, then so the
       shoulders (:data:`SHOULDER_JOINTS`) are parallel to +X;
    4. ``scale=True`` divides by the first frame's spine length (:data:`SCALE_JOINTS`),
       so body size does not matter.
    Absent joints (exact zeros) stay zero.
    """

    def __init__(self, center_joint: int = 0, scale: bool = True) -> None:
        self.center_joint = center_joint
        self.scale = scale

    def transform(self, results: Dict[str, Any]) -> Dict[str, Any]:
        kp = np.asarray(results["keypoint"], dtype=np.float32)
        if kp.shape[-1] != 3:
            raise DataError(f"NormalizeSkeleton3D needs 3-D keypoints, sample "
                            f"{results.get('frame_dir')!r} has C={kp.shape[-1]}")
        if not kp.any():
            return results
        present = np.abs(kp).sum(axis=(2, 3)) > 1e-6  # [M,T]
        main = int(np.argmax(present.sum(1)))  # most-present person first
        if main != 0:
            order = [main] + [m for m in range(kp.shape[0]) if m != main]
            kp = kp[order]
            if "keypoint_score" in results:
                results["keypoint_score"] = results["keypoint_score"][order]
        keep = present[main]
        kp = kp[:, keep]
        if "keypoint_score" in results:
            results["keypoint_score"] = results["keypoint_score"][:, keep]
        mask = (np.abs(kp).sum(-1, keepdims=True) > 0)
        center = kp[0, 0, self.center_joint].copy()
        kp = (kp - center) * mask
        v = kp[0, 0, SPINE_JOINTS[1]] - kp[0, 0, SPINE_JOINTS[0]]
        kp = np.einsum("mtvc,kc->mtvk", kp, _rotation(np.cross(v, [0, 0, 1]), _angle(v, [0, 0, 1])))
        v = kp[0, 0, SHOULDER_JOINTS[0]] - kp[0, 0, SHOULDER_JOINTS[1]]
        kp = np.einsum("mtvc,kc->mtvk", kp, _rotation(np.cross(v, [1, 0, 0]), _angle(v, [1, 0, 0])))
        if self.scale:
            length = float(np.linalg.norm(kp[0, 0, SCALE_JOINTS[1]] - kp[0, 0, SCALE_JOINTS[0]]))
            if length > 1e-6:
                kp = kp / length
        results["keypoint"] = kp.astype(np.float32)
        results["total_frames"] = kp.shape[1]
        results["body_center"] = center
        return results


#: (H, W) of NTU RGB+D's RGB videos: the frame of a 2-D sample that carries no ``img_shape``
NTU_IMG_SHAPE = (1080, 1920)


class NormalizeSkeleton2D(BaseTransform):
    """Map pixel coordinates to ``[-1, 1]`` using ``img_shape`` (H, W) of the sample.

    A sample without ``img_shape`` is taken to be an NTU frame (:data:`NTU_IMG_SHAPE`).
    """

    def transform(self, results: Dict[str, Any]) -> Dict[str, Any]:
        h, w = results.get("img_shape", NTU_IMG_SHAPE)
        kp = np.asarray(results["keypoint"], dtype=np.float32).copy()
        kp[..., 0] = (kp[..., 0] - w / 2) / (w / 2)
        kp[..., 1] = (kp[..., 1] - h / 2) / (h / 2)
        results["keypoint"] = kp
        return results


class UniformSampleFrames(BaseTransform):
    """Sample ``clip_len`` frames uniformly and gather them (sampling + decoding).

    Training: the sequence is cut into ``clip_len`` equal segments and one random
    frame is taken per segment; testing: the same with a fixed seed (reproducible),
    ``num_clips`` clips concatenated along T (``PackSkeletonInputs`` splits them).
    Shorter sequences loop from a random (test: fixed) start, as in mmaction2.
    """

    def __init__(self, clip_len: int, num_clips: int = 1, test_mode: bool = False,
                 seed: int = 255) -> None:
        if clip_len < 1 or num_clips < 1:
            raise DataError(f"UniformSampleFrames: clip_len={clip_len}, num_clips={num_clips}")
        self.clip_len, self.num_clips = clip_len, num_clips
        self.test_mode, self.seed = test_mode, seed

    def _one(self, n: int, rng: np.random.Generator, clip: int) -> np.ndarray:
        L = self.clip_len
        if n < L:
            start = (clip if n < self.num_clips else clip * n // self.num_clips) \
                if self.test_mode else int(rng.integers(0, n))
            return np.arange(start, start + L)
        if n < 2 * L:
            extra = rng.choice(L + 1, n - L, replace=False)
            offset = np.zeros(L + 1, dtype=np.int64)
            offset[extra] = 1
            return np.arange(L) + np.cumsum(offset)[:-1]
        bids = np.array([i * n // L for i in range(L + 1)])
        return bids[:L] + rng.integers(np.diff(bids))

    def sample_indices(self, num_frames: int) -> np.ndarray:
        """Frame indices ``[num_clips * clip_len]`` for a sequence of ``num_frames``."""
        if num_frames < 1:
            raise DataError("UniformSampleFrames: empty sequence")
        rng = np.random.default_rng(self.seed) if self.test_mode else np.random.default_rng(
            np.random.randint(0, 2**31 - 1))
        inds = np.concatenate([self._one(num_frames, rng, c) for c in range(self.num_clips)])
        return np.mod(inds, num_frames)

    def transform(self, results: Dict[str, Any]) -> Dict[str, Any]:
        kp = results["keypoint"]
        inds = self.sample_indices(kp.shape[1])
        results["keypoint"] = np.asarray(kp[:, inds], dtype=np.float32)
        if "keypoint_score" in results:
            results["keypoint_score"] = np.asarray(results["keypoint_score"][:, inds],
                                                   dtype=np.float32)
        results["frame_inds"] = inds
        results["clip_len"], results["num_clips"] = self.clip_len, self.num_clips
        results["total_frames"] = len(inds)
        return results


class RandomRotation(BaseTransform):
    """Rotate by random angles (degrees, uniform in ``[-max_angle, max_angle]``).

    3-D: about the X, Y and Z axes (``max_angle`` a number or a 3-tuple);
    2-D: in the image plane about the origin (use after ``NormalizeSkeleton2D``).
    Absent joints (zeros) stay zero. Applied with probability ``prob``.
    """

    def __init__(self, max_angle: Union[float, Sequence[float]] = 15.0, prob: float = 1.0) -> None:
        self.max_angle = (tuple(max_angle) if isinstance(max_angle, (list, tuple))
                          else (float(max_angle),) * 3)
        self.prob = prob

    def transform(self, results: Dict[str, Any]) -> Dict[str, Any]:
        if np.random.rand() >= self.prob:
            return results
        kp = np.asarray(results["keypoint"], dtype=np.float32)
        mask = np.abs(kp).sum(-1, keepdims=True) > 0
        ang = np.deg2rad([np.random.uniform(-a, a) for a in self.max_angle])
        if kp.shape[-1] == 3:
            cx, sx, cy, sy, cz, sz = (np.cos(ang[0]), np.sin(ang[0]), np.cos(ang[1]),
                                      np.sin(ang[1]), np.cos(ang[2]), np.sin(ang[2]))
            rx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
            ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
            rz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
            rot = rz @ ry @ rx
        else:
            c, s = np.cos(ang[2]), np.sin(ang[2])
            rot = np.array([[c, -s], [s, c]])
        results["keypoint"] = ((kp @ rot.T.astype(np.float32)) * mask).astype(np.float32)
        return results


#: (left, right) joint pairs, 0-based, per layout: what a mirror image swaps
LEFT_RIGHT = {
    "nturgb+d": ((4, 8), (5, 9), (6, 10), (7, 11), (12, 16), (13, 17), (14, 18), (15, 19),
                 (21, 23), (22, 24)),
    "coco": ((1, 2), (3, 4), (5, 6), (7, 8), (9, 10), (11, 12), (13, 14), (15, 16)),
}


class RandomFlip(BaseTransform):
    """Mirror the skeleton (negate X, swap left and right joints) with probability ``prob``.

    Why: a left-handed subject's wave is a right-handed one's mirror image; the
    flip shows a model both from every clip (pyskl's ``Flip`` for pose does the
    same). Use after ``NormalizeSkeleton3D``/``2D`` so X is the body's left-right
    axis, centred on 0 (a mirror in any frame is still a valid mirror image). Absent joints (zeros) stay zero; scores are swapped with their joints.
    """

    def __init__(self, prob: float = 0.5, layout: str = "nturgb+d") -> None:
        if layout not in LEFT_RIGHT:
            raise DataError(f"RandomFlip: unknown layout {layout!r}; known: {', '.join(LEFT_RIGHT)}")
        self.prob, self.layout = float(prob), layout
        self.order = np.arange(LAYOUTS[layout])
        for left, right in LEFT_RIGHT[layout]:
            self.order[left], self.order[right] = right, left

    def transform(self, results: Dict[str, Any]) -> Dict[str, Any]:
        if np.random.rand() >= self.prob:
            return results
        kp = np.asarray(results["keypoint"], dtype=np.float32)
        if kp.shape[2] != len(self.order):
            raise DataError(f"RandomFlip(layout={self.layout!r}) expects {len(self.order)} joints, "
                            f"sample {results.get('frame_dir')!r} has {kp.shape[2]}")
        mask = np.abs(kp).sum(-1, keepdims=True) > 0
        kp = kp.copy()
        kp[..., 0] = -kp[..., 0]
        results["keypoint"] = (kp * mask)[:, :, self.order]
        if "keypoint_score" in results:
            results["keypoint_score"] = np.asarray(results["keypoint_score"])[:, :, self.order]
        return results


class PadPersons(BaseTransform):
    """Pad (zeros, or ``mode='loop'`` repeats person 0) or truncate to ``num_person`` bodies."""

    def __init__(self, num_person: int = 2, mode: str = "zero") -> None:
        if mode not in ("zero", "loop"):
            raise DataError(f"PadPersons mode must be 'zero' or 'loop', got {mode!r}")
        self.num_person, self.mode = num_person, mode

    def _pad(self, arr: np.ndarray) -> np.ndarray:
        m = arr.shape[0]
        if m >= self.num_person:
            return arr[:self.num_person]
        pad = np.zeros((self.num_person - m,) + arr.shape[1:], dtype=arr.dtype)
        if self.mode == "loop":
            pad[:] = arr[0]
        return np.concatenate([arr, pad], axis=0)

    def transform(self, results: Dict[str, Any]) -> Dict[str, Any]:
        results["keypoint"] = self._pad(np.asarray(results["keypoint"]))
        if "keypoint_score" in results:
            results["keypoint_score"] = self._pad(np.asarray(results["keypoint_score"]))
        return results


class SkeletonFeatures(BaseTransform):
    """Concatenate joint / bone / motion streams along C: ``feats`` ⊂ {j, b, jm, bm}.

    ``b`` = joint minus its parent joint (``layout`` bone pairs), ``jm``/``bm`` =
    next-frame difference of joints/bones (last frame zero). With
    ``keypoint_score`` (2-D) the score becomes an extra channel of every stream, as in
    mmaction2's GenSkeFeat.
    """

    def __init__(self, feats: Sequence[str] = ("j",), layout: str = "nturgb+d") -> None:
        unknown = set(feats) - {"j", "b", "jm", "bm"}
        if unknown or not feats:
            raise DataError(f"SkeletonFeatures feats must be a non-empty subset of "
                            f"j, b, jm, bm; got {list(feats)}")
        if layout not in BONES:
            raise DataError(f"unknown skeleton layout {layout!r}; known: {', '.join(BONES)}")
        self.feats, self.layout = list(feats), layout

    @staticmethod
    def motion(x: np.ndarray) -> np.ndarray:
        out = np.zeros_like(x)
        out[:, :-1] = np.diff(x, axis=1)
        return out

    def bone(self, x: np.ndarray) -> np.ndarray:
        pairs = BONES[self.layout]
        if x.shape[2] != len(pairs):
            raise DataError(f"layout {self.layout!r} has {len(pairs)} joints, keypoints "
                            f"have {x.shape[2]}")
        child = np.array([p[0] for p in pairs])
        parent = np.array([p[1] for p in pairs])
        out = np.zeros_like(x)
        out[:, :, child] = x[:, :, child] - x[:, :, parent]
        return out

    def transform(self, results: Dict[str, Any]) -> Dict[str, Any]:
        j = np.asarray(results["keypoint"], dtype=np.float32)
        score = results.pop("keypoint_score", None)
        streams: Dict[str, np.ndarray] = {"j": j}
        if "b" in self.feats or "bm" in self.feats:
            streams["b"] = self.bone(j)
        if "jm" in self.feats:
            streams["jm"] = self.motion(j)
        if "bm" in self.feats:
            streams["bm"] = self.motion(streams["b"])
        out = []
        for f in self.feats:
            x = streams[f]
            if score is not None:
                x = np.concatenate([x, np.asarray(score, np.float32)[..., None]], axis=-1)
            out.append(x)
        results["keypoint"] = np.concatenate(out, axis=-1)
        return results


class PackSkeletonInputs(BaseTransform):
    """Final step: the model-facing sample dict.

    ``keypoint`` float32 tensor ``[M,T,V,C]`` (``[num_clips,M,T,V,C]`` when
    ``UniformSampleFrames`` drew several test clips), ``label`` int, ``frame_dir``
    str.
    """

    def transform(self, results: Dict[str, Any]) -> Dict[str, Any]:
        import torch

        kp = np.asarray(results["keypoint"], dtype=np.float32)
        if kp.ndim != 4:
            raise DataError(f"PackSkeletonInputs: keypoint of {results.get('frame_dir')!r} "
                            f"has shape {kp.shape}, expected [M,T,V,C]")
        nc = int(results.get("num_clips", 1))
        if nc > 1:
            m, t, v, c = kp.shape
            kp = kp.reshape(m, nc, t // nc, v, c).transpose(1, 0, 2, 3, 4)
        if not np.isfinite(kp).all():
            raise DataError(f"non-finite keypoints after the pipeline in sample "
                            f"{results.get('frame_dir')!r}")
        return dict(keypoint=torch.from_numpy(np.ascontiguousarray(kp)),
                    label=int(results.get("label", -1)),
                    frame_dir=str(results.get("frame_dir", "")))


__all__ = ["BaseTransform", "NormalizeSkeleton3D", "NormalizeSkeleton2D", "UniformSampleFrames",
           "RandomRotation", "RandomFlip", "PadPersons", "SkeletonFeatures",
           "PackSkeletonInputs", "NTU_IMG_SHAPE", "BONES", "LEFT_RIGHT"]
