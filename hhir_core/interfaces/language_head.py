"""LanguageHead role: the language side of a method.

Two kinds share the role (``kind`` says which):

* ``causal`` – a causal LM. ``forward(prefix_embeds [B,L,D], prompts: list[str],
  answers: list[str]) -> dict(loss=scalar)`` (loss on answer tokens only);
  ``generate(prefix_embeds, prompts, max_new_tokens) -> list[str]``;
  ``score_classes(prefix_embeds, prompts, class_names) -> [B,K]`` log-likelihoods.
* ``text_encoder`` – ``forward(texts: list[str]) -> [N,D]`` sentence embeddings
  (``encode_words`` optionally returns ``(word_embeds [N,W,D], mask [N,W])``).
"""
from __future__ import annotations

import abc

from .base import RoleComponent


class LanguageHead(RoleComponent):
    role = "language_head"
    kind: str = "causal"

    @property
    @abc.abstractmethod
    def embed_dim(self) -> int:
        """Input-embedding width (causal) or output width (text encoder)."""

    @abc.abstractmethod
    def forward(self, *args, **kwargs):
        """See the module docstring for each ``kind``."""
