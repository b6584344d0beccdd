"""Tokenizer role: turn continuous tokens into LLM-ready tokens.

Contract (a ``torch.nn.Module``): ``forward(tokens [B,N,D_in]) -> TokenizerOutput``
with ``embeds`` float ``[B,L,D_llm]`` (``D_llm == self.llm_dim``), optional
``ids`` long ``[B,L]`` (codebook indices; ``None`` for continuous tokenizers)
and ``losses`` (a dict of scalar tensors, possibly empty). Tokenizers that
own an encoder/decoder (VQ-VAE) may accept raw skeleton input instead; they say
so with ``input_kind``.
"""
from __future__ import annotations

import abc

from .base import RoleComponent


class Tokenizer(RoleComponent):
    role = "tokenizer"
    input_kind: str = "tokens"

    @property
    @abc.abstractmethod
    def llm_dim(self) -> int:
        """Width of the produced embeddings (the LLM's word-embedding size)."""

    @abc.abstractmethod
    def forward(self, x, **extra):
        """Return a :class:`~hhir_core.structures.TokenizerOutput`."""

    def check_output(self, output, args, kwargs) -> None:
        e = output.embeds
        assert e.dim() == 3 and e.shape[0] == args[0].shape[0], f"embeds {tuple(e.shape)}"
        assert e.shape[-1] == self.llm_dim, f"embeds width {e.shape[-1]} != llm_dim {self.llm_dim}"
        if output.ids is not None:
            assert output.ids.shape == e.shape[:2], f"ids {tuple(output.ids.shape)}"
            assert not output.ids.is_floating_point(), "ids must be integers"
        for k, v in output.losses.items():
            assert v.dim() == 0, f"loss {k} is not a scalar"
