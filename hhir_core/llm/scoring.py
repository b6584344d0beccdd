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


def decoder_and_head(model: Any):
    """``(decoder, lm_head)`` when logits are exactly ``lm_head(decoder(...))``, else ``None``.

    Why: scoring and the answer-token loss need log-probs only at a few positions
    (candidate / answer tokens); running the output layer (``D x 49k`` here,
    ``5120 x 32k`` for LLaMA-13B) on every prompt and padded position dominated
    the cost. Models that post-process logits (soft-capping, logit scales) fall
    back to the full forward.
    """
    cfg = getattr(model, "config", None)
    if cfg is not None and (getattr(cfg, "final_logit_softcapping", None) or
                            getattr(cfg, "logit_scale", None) not in (None, 1, 1.0)):
        return None
    try:
        dec, head = model.get_decoder(), model.get_output_embeddings()
    except (AttributeError, NotImplementedError, ValueError):
        return None
    if dec is None or head is None or dec is model:
        return None
    return dec, head


def _length_chunks(lengths: Sequence[int], chunk_size: int, slack: float = 1.3) -> List[List[int]]:
    """Group candidate indices, sorted by length, so padding adds at most ~30% compute.

    A chunk closes when it holds ``chunk_size`` candidates or when padding every
    member to the next candidate's length would exceed ``slack`` x the real work.
    """
    order = sorted(range(len(lengths)), key=lambda k: lengths[k])
    chunks: List[List[int]] = []
    cur: List[int] = []
    real = 0
    for k in order:
        n = lengths[k] - 1  # positions this candidate needs in the extra pass
        if cur and (len(cur) >= chunk_size or (len(cur) + 1) * n > slack * (real + n) + 2):
            chunks.append(cur)
            cur, real = [], 0
        cur.append(k)
        real += n
    if cur:
        chunks.append(cur)
    return chunks


@torch.no_grad()
def score_candidates(model: Any, prompt: LLMBatch, candidates: Sequence[Sequence[int]],
                     embed_ids: Callable[[torch.Tensor], torch.Tensor], pad_id: int,
                     chunk_size: int = 64, reduction: str = "sum") -> torch.Tensor:
    """Log-likelihood of each candidate token sequence after each (left-padded) prompt.

    Returns ``[B, K]``: the sum (or ``reduction='mean'``: per-token mean) of
    ``log p(token_j | prompt, token_<j)`` over each candidate's tokens.
    Candidates are processed in chunks of similar length (sorted), so little
    compute goes to padding; the output layer runs only at real positions.
    """
    if prompt.attention_mask[:, -1].min() == 0:
        raise ValueError("score_candidates needs a left-padded prompt batch")
    if reduction not in ("sum", "mean"):
        raise ValueError(f"reduction must be 'sum' or 'mean', got {reduction!r}")
    B = prompt.inputs_embeds.shape[0]
    K = len(candidates)
    if K == 0:
        raise ValueError("no candidates to score")
    if any(len(c) == 0 for c in candidates):
        raise ValueError("a candidate tokenized to zero tokens")
    dev = prompt.inputs_embeds.device
    out = model(inputs_embeds=prompt.inputs_embeds, attention_mask=prompt.attention_mask,
                position_ids=prompt.position_ids, use_cache=True, logits_to_keep=1)
    cache = out.past_key_values
    first_logp = torch.log_softmax(out.logits[:, -1].float(), -1)  # [B, V]
    next_pos = prompt.position_ids[:, -1] + 1  # [B]
    split = decoder_and_head(model)
    scores = torch.empty(B, K, dtype=torch.float32, device=dev)
    for idx in _length_chunks([len(c) for c in candidates], chunk_size):
        cands = [candidates[k] for k in idx]
        C = len(cands)
        N = max(len(c) for c in cands)
        ids = torch.full((C, N), pad_id, dtype=torch.long, device=dev)
        cmask = torch.zeros(C, N, dtype=torch.long, device=dev)
        for i, c in enumerate(cands):
            ids[i, :len(c)] = torch.tensor(list(c), dtype=torch.long)
            cmask[i, :len(c)] = 1
        total = first_logp[:, ids[:, 0]]  # [B, C]
        count = cmask.sum(-1).float()[None]  # [1, C]
        if N > 1:
            # feed all but the last candidate token; token j+1 is predicted at position j
            emb = embed_ids(ids[:, :-1])  # [C, N-1, D]
            emb = emb.unsqueeze(0).expand(B, -1, -1, -1).reshape(B * C, N - 1, -1)
            mask = torch.cat([prompt.attention_mask.repeat_interleave(C, 0),
                              cmask[:, :-1].repeat(B, 1)], 1)
            pos = next_pos.repeat_interleave(C, 0)[:, None] + torch.arange(N - 1, device=dev)
            kw = dict(inputs_embeds=emb, attention_mask=mask, position_ids=pos,
                      past_key_values=_expand_cache(cache, C), use_cache=True)
            tgt = ids[:, 1:].repeat(B, 1)  # [B*C, N-1]
            valid = cmask[:, 1:].repeat(B, 1).bool()  # predicted token exists
            tok_lp = torch.zeros(B * C, N - 1, dtype=torch.float32, device=dev)
            if split is not None:
                dec, head = split
                hidden = dec(**kw).last_hidden_state[valid]  # [n_valid, D]
                logits = head(hidden).float()
                tok_lp[valid] = logits.gather(-1, tgt[valid][:, None]).squeeze(-1) \
                    - torch.logsumexp(logits, -1)
            else:
                logp = torch.log_softmax(model(**kw).logits.float(), -1)
                tok_lp = logp.gather(-1, tgt.unsqueeze(-1)).squeeze(-1) * valid
            total = total + tok_lp.view(B, C, N - 1).sum(-1)
        res = total / count if reduction == "mean" else total
        scores[:, idx] = res
    return scores
