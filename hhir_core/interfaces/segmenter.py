"""Segmenter role: split a video into per-person tracks and background.

Contract: ``segment(clip: VideoClip, num_persons: int = 2) -> PersonTracks``
with ``masks`` bool ``[P,T,H,W]`` (P <= num_persons, identities stable over
time: person ``p`` is the same individual in every frame), ``boxes`` float32
``[P,T,4]`` (x1, y1, x2, y2 in pixels, NaN where the person is absent),
``scores`` float32 ``[P]``. The background is everything no mask covers.
"""
from __future__ import annotations

import abc

from .base import RoleComponent


class Segmenter(RoleComponent):
    role = "segmenter"
    main_method = "segment"

    @abc.abstractmethod
    def segment(self, clip, num_persons: int = 2):
        """Return :class:`~hhir_core.structures.PersonTracks` for ``clip``."""

    def check_output(self, output, args, kwargs) -> None:
        import numpy as np
        clip = args[0]
        t, h, w = clip.frames.shape[:3]
        assert output.masks.dtype == np.bool_, f"masks dtype {output.masks.dtype} != bool"
        assert output.masks.shape[1:] == (t, h, w), f"masks shape {output.masks.shape}"
        assert output.boxes.shape == (output.masks.shape[0], t, 4), f"boxes {output.boxes.shape}"
