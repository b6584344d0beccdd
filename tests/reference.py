"""Slow, obviously-correct reference implementations that tests and benchmarks compare against.

They live here, not in the library: nothing but a test or a benchmark calls them.
"""
from __future__ import annotations

from typing import Any, Optional, Sequence, Tuple

import torch
from torch import Tensor

from hhir_core.llm.prompting import Piece, prompt_pieces


@torch.no_grad()
def score_classes_naive(head: Any, prompts: Sequence[Any], soft_tokens: Optional[Any],
                        class_names: Sequence[str], reduction: str = "sum") -> Tensor:
    """``CausalLMHead.score_classes`` with one full forward per (prompt, class), no shared cache."""
    eos = head.tokenizer.eos_token_id
    out = torch.empty(len(prompts), len(class_names))
    for k, ids in enumerate(head.candidate_ids(class_names)):
        samples = []
        for p in prompts:
            pieces = prompt_pieces(p, eos)
            pieces.append(Piece(ids=list(ids), train=True))
            samples.append(pieces)
        batch = head.prompts.build(samples, soft_tokens, padding_side="left", device=head.device)
        logp = torch.log_softmax(head.llm(inputs_embeds=batch.inputs_embeds,
                                          attention_mask=batch.attention_mask,
                                          position_ids=batch.position_ids).logits.float(), -1)
        n = len(ids)
        tgt = batch.labels[:, -n:]  # left padding: candidate tokens are the last n
        lp = logp[:, -n - 1:-1].gather(-1, tgt.unsqueeze(-1)).squeeze(-1).sum(-1)
        out[:, k] = lp / n if reduction == "mean" else lp
    return out


def naive_nearest_code(x: Tensor, codes: Tensor, c: float = 1.0) -> Tuple[Tensor, Tensor]:
    """``hhir_llm_ar.poincare.nearest_code`` by broadcasting ``[N, K, D]`` distances and argmin."""
    from hhir_llm_ar.poincare import distance

    d = distance(x.unsqueeze(1), codes.unsqueeze(0), c)
    best, idx = d.min(dim=-1)
    return idx, best
