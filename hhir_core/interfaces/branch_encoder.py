"""BranchEncoder role: encode one input stream into a token sequence.

Contract (a ``torch.nn.Module``): ``forward(x, **extra) -> Tensor [B,N,D]``
float, with ``D == self.out_dim``. ``x`` is the stream the encoder declares in
``input_kind``: ``skeleton`` ``[B,M,T,V,C]``, ``frames`` ``[B,T,3,H,W]``
(float, normalised), ``tokens`` ``[B,N,D_in]``. ``pool(tokens) -> [B,D]``
gives one vector per sample (mean over tokens unless overridden).
"""
from __future__ import annotations

import abc

from .base import RoleComponent


class BranchEncoder(RoleComponent):
    role = "branch_encoder"
    input_kind: str = "skeleton"

    @property
    @abc.abstractmethod
    def out_dim(self) -> int:
        """Width ``D`` of the output tokens."""

    @abc.abstractmethod
    def forward(self, x, **extra):
        """Return tokens ``[B,N,D]``."""

    def pool(self, tokens):
        """One vector per sample ``[B,D]`` (mean over tokens)."""
        return tokens.mean(dim=1)

    def check_output(self, output, args, kwargs) -> None:
        assert output.dim() == 3, f"expected [B,N,D], got {tuple(output.shape)}"
        assert output.shape[0] == args[0].shape[0], "batch size changed"
        assert output.shape[-1] == self.out_dim, f"last dim {output.shape[-1]} != out_dim {self.out_dim}"
        assert output.is_floating_point(), f"dtype {output.dtype} is not floating"
