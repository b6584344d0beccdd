"""LanguageHead role: the language side of a method.

Two kinds share the role (``kind`` says which):

* ``causal`` – a causal LM. Prompts contain placeholders ``<name>`` that are
  replaced by ``soft_tokens[name]`` (``[B,L,D]`` embeddings).
  ``forward(prompts: list[str], answers: list[str], soft_tokens: dict) -> dict(loss=scalar)``
  (loss on answer tokens only); ``chat_loss(conversations, soft_tokens)`` for
  multi-turn chats (loss on every assistant turn); ``generate(prompts, soft_tokens,
  max_new_tokens) -> list[str]``; ``score_classes(prompts, soft_tokens, class_names)
  -> [B,K]`` summed log-likelihoods of each class name after the prompt.
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
