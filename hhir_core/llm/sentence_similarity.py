"""Cosine similarity between sentence embeddings of paired texts (OV-HHIR's metric).

Why: OV-HHIR reports the cosine similarity between the sentence embeddings of
generated and reference descriptions (mean ± std over samples). The offline
encoder is all-MiniLM-L6-v2 (mean pooling, as sentence-transformers does).
"""
from __future__ import annotations

from typing import Any, Optional, Sequence

import torch

_DEFAULT: dict = {}


class SentenceSimilarity:
    """Callable ``(texts_a, texts_b) -> Tensor[N]`` of per-pair cosine similarities.

    The encoder is built once and reused; ``batch_size`` bounds memory.
    """

    def __init__(self, model: Any = "minilm", batch_size: int = 64, encoder: Optional[Any] = None) -> None:
        from .text_encoder import TextEncoderHead

        self.encoder = encoder if encoder is not None else TextEncoderHead(model=model, freeze=True,
                                                                           cache_size=0)
        self.encoder.eval()
        self.batch_size = int(batch_size)

    @torch.no_grad()
    def embed(self, texts: Sequence[str]) -> torch.Tensor:
        """L2-normalised sentence embeddings ``[N, D]``."""
        texts = list(texts)
        parts = [self.encoder(texts[i:i + self.batch_size]) for i in range(0, len(texts), self.batch_size)]
        emb = torch.cat(parts) if parts else torch.empty(0, self.encoder.embed_dim)
        return torch.nn.functional.normalize(emb.float(), dim=-1)

    def __call__(self, texts_a: Sequence[str], texts_b: Sequence[str]) -> torch.Tensor:
        if len(texts_a) != len(texts_b):
            raise ValueError(f"sentence_similarity needs paired lists, got {len(texts_a)} and {len(texts_b)}")
        return (self.embed(texts_a) * self.embed(texts_b)).sum(-1)


def sentence_similarity(texts_a: Sequence[str], texts_b: Sequence[str], model: Any = "minilm") -> torch.Tensor:
    """Per-pair cosine similarity ``[N]`` between ``texts_a[i]`` and ``texts_b[i]`` (encoder cached per model)."""
    key = model if isinstance(model, str) else repr(model)
    sim = _DEFAULT.get(key)
    if sim is None:
        sim = _DEFAULT[key] = SentenceSimilarity(model=model)
    return sim(texts_a, texts_b)
