"""Distiller role: losses that transfer knowledge from a teacher to a student.

Contract (a ``torch.nn.Module``): ``forward(student: dict, teacher: dict,
targets=None) -> dict[str, Tensor]`` of scalar losses (already weighted).
``student``/``teacher`` hold what the method produces (e.g. ``logits`` ``[B,K]``,
``features`` ``[B,D]``). Whether gradients reach the teacher is the
distiller's documented choice (``mode``: ``online``/``offline``).
"""
from __future__ import annotations

import abc

from .base import RoleComponent


class Distiller(RoleComponent):
    """Teacher/student outputs -> weighted scalar losses."""

    role = "distiller"
    #: ``True``: gradients reach the teacher (trained together); ``False``: the method
    #: freezes the teacher (offline distillation)
    online: bool = True

    @abc.abstractmethod
    def forward(self, student: dict, teacher: dict, targets=None):
        """Return a dict of scalar losses."""

    def check_output(self, output, args, kwargs) -> None:
        assert isinstance(output, dict) and output, "must return a non-empty dict of losses"
        for k, v in output.items():
            assert v.dim() == 0, f"loss {k} is not a scalar"
