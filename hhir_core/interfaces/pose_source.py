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
    """Sample -> :class:`~hhir_core.structures.SkeletonSeq` ``[M,T,V,C]`` with its layout."""

    role = "pose_source"
    main_method = "poses"

    @abc.abstractmethod
    def poses(self, sample: dict):
        """Return a :class:`~hhir_core.structures.SkeletonSeq` for ``sample``."""

    def check_output(self, output, args, kwargs) -> None:
        import numpy as np

        from ..structures import LAYOUT_JOINTS, SkeletonSeq

        assert isinstance(output, SkeletonSeq), \
            f"must return a SkeletonSeq, got {type(output).__name__}"
        kp = np.asarray(output.keypoint)
        assert kp.ndim == 4 and kp.dtype == np.float32, f"keypoint {kp.shape} {kp.dtype}"
        assert np.isfinite(kp).all(), "non-finite keypoints"
        assert output.layout in LAYOUT_JOINTS, \
            f"layout {output.layout!r} is not one of {sorted(LAYOUT_JOINTS)}"
        assert kp.shape[2] == LAYOUT_JOINTS[output.layout], \
            f"{kp.shape[2]} joints but layout {output.layout!r} has {LAYOUT_JOINTS[output.layout]}"
        if output.score is not None:
            assert np.asarray(output.score).shape == kp.shape[:3], \
                f"score {np.asarray(output.score).shape} != keypoint[:3] {kp.shape[:3]}"
