"""PoseSource role: produce skeletons for a sample.

Contract: ``poses(sample: dict) -> SkeletonSeq``; ``sample`` holds at least one
of ``clip`` (:class:`VideoClip`), ``keypoint`` (an annotation array) or
``frame_dir``/``filename``. The result has ``keypoint`` float32 ``[M,T,V,C]``,
optional ``score`` float32 ``[M,T,V]`` and a ``layout`` name (``nturgb+d``
25x3, ``coco`` 17x2, ``toyota`` 13x2). Missing persons are zero-filled with
score 0, never dropped, so ``M`` is what was asked for.
"""
from __future__ import annotations

import abc

from .base import RoleComponent


class PoseSource(RoleComponent):
    role = "pose_source"
    main_method = "poses"

    @abc.abstractmethod
    def poses(self, sample: dict):
        """Return a :class:`~hhir_core.structures.SkeletonSeq` for ``sample``."""

    def check_output(self, output, args, kwargs) -> None:
        import numpy as np
        kp = np.asarray(output.keypoint)
        assert kp.ndim == 4 and kp.dtype == np.float32, f"keypoint {kp.shape} {kp.dtype}"
        assert np.isfinite(kp).all(), "non-finite keypoints"
