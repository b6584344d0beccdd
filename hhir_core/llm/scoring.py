"""Class scoring by log-likelihood, with the prompt's KV cache shared across classes.

Why: scoring every class name after the prompt always yields a valid class and
a full ranking (top-5), and it is cheap when the prompt is run once and only the
few class-name tokens are run per candidate. The prompt cache (``[B, ...]``) is
expanded to ``[B*C, ...]`` for a chunk of ``C`` candidates at a time, so memory
stays bounded for large class lists.
"""
from __future__ import annotations

from typing import Any, Callable, List, Sequence

import torch

from .prompting import LLMBatch


def _expand_cache(cache: Any, repeats: int):
    """A fresh ``DynamicCache`` with every layer's keys/values repeated per candidate."""
    from transformers import DynamicCache

    data = []
    for layer in cache.layers:
        data.append((layer.keys.repeat_interleave(repeats, 0),
                     layer.values.repeat_interleave(repeats, 0)))
    return DynamicCache(ddp_cache_data=data)


@torch.no_grad()
def score_candidates(model: Any, prompt: LLMBatch, candidates: Sequence[Sequence[int]],
                     embed_ids: Callable[[torch.Tensor], torch.Tensor], pad_id: int,
                     chunk_size: int = 64, reduction: str = "sum") -> torch.Tensor:
    """Log-likelihood of each candidate token sequence after each (left-padded) prompt.

    Returns ``[B, K]``: the sum (or ``reduction='mean'``: per-token mean) of
    ``log p(token_j | prompt, token_<j)`` over each candidate's tokens.
    """
    if prompt.attention_mask[:, -1].min() == 0:
        raise ValueError("score_candidates needs a left-padded prompt batch")
    B = prompt.inputs_embeds.shape[0]
    K = len(candidates)
    if K == 0:
        raise ValueError("no candidates to score")
    if any(len(c) == 0 for c in candidates):
        raise ValueError("a candidate tokenized to zero tokens")
    dev = prompt.inputs_embeds.device
    out = model(inputs_embeds=prompt.inputs_embeds, attention_mask=prompt.attention_mask,
                position_ids=prompt.position_ids, use_cache=True)
    cache = out.past_key_values
    first_logp = torch.log_softmax(out.logits[:, -1].float(), -1)  # [B, V]
    next_pos = prompt.position_ids[:, -1] + 1  # [B]
    scores = torch.empty(B, K, dtype=torch.float32, device=dev)
    for start in range(0, K, chunk_size):
        cands = candidates[start:start + chunk_size]
        C = len(cands)
        N = max(len(c) for c in cands)
        ids = torch.full((C, N), pad_id, dtype=torch.long, device=dev)
        cmask = torch.zeros(C, N, dtype=torch.long, device=dev)
        for i, c in enumerate(cands):
            ids[i, :len(c)] = torch.tensor(list(c), dtype=torch.long)
            cmask[i, :len(c)] = 1
        first = first_logp[:, ids[:, 0]]  # [B, C]
        if N == 1:
            total = first
            count = torch.ones(1, C, device=dev)
        else:
            # feed all but the last candidate token; token j+1 is predicted at position j
            emb = embed_ids(ids[:, :-1])  # [C, N-1, D]
            emb = emb.unsqueeze(0).expand(B, -1, -1, -1).reshape(B * C, N - 1, -1)
            mask = torch.cat([prompt.attention_mask.repeat_interleave(C, 0),
                              cmask[:, :-1].repeat(B, 1)], 1)
            pos = next_pos.repeat_interleave(C, 0)[:, None] + torch.arange(N - 1, device=dev)
            o = model(inputs_embeds=emb, attention_mask=mask, position_ids=pos,
                      past_key_values=_expand_cache(cache, C), use_cache=True)
            logp = torch.log_softmax(o.logits.float(), -1)  # [B*C, N-1, V]
            tgt = ids[:, 1:].repeat(B, 1)  # [B*C, N-1]
            tok_lp = logp.gather(-1, tgt.unsqueeze(-1)).squeeze(-1)
            tok_lp = (tok_lp * cmask[:, 1:].repeat(B, 1)).view(B, C, N - 1)
            total = first + tok_lp.sum(-1)
            count = cmask.sum(-1).float()[None]
        scores[:, start:start + C] = total / count if reduction == "mean" else total
    return scores
