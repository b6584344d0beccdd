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
    """Video -> per-person tracks (masks, boxes, scores); the rest is background."""

    role = "segmenter"
    main_method = "segment"

    @abc.abstractmethod
    def segment(self, clip, num_persons: int = 2):
        """Return :class:`~hhir_core.structures.PersonTracks` for ``clip``."""

    def check_output(self, output, args, kwargs) -> None:
        import numpy as np

        from ..structures import PersonTracks

        assert isinstance(output, PersonTracks), \
            f"must return a PersonTracks, got {type(output).__name__}"
        clip = args[0]
        num_persons = kwargs.get("num_persons", args[1] if len(args) > 1 else 2)
        t, h, w = clip.frames.shape[:3]
        assert output.masks.dtype == np.bool_, f"masks dtype {output.masks.dtype} != bool"
        assert output.masks.shape[1:] == (t, h, w), f"masks shape {output.masks.shape}"
        p = output.masks.shape[0]
        assert p <= num_persons, f"{p} tracks for num_persons={num_persons}"
        assert output.boxes.shape == (p, t, 4), f"boxes {output.boxes.shape}"
        assert np.asarray(output.scores).shape == (p,), f"scores {np.asarray(output.scores).shape}"
