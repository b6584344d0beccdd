"""Class scoring by log-likelihood, with the prompt's KV cache shared across classes.

Two implementations: :func:`score_candidates` runs every class name in full (the
reference), :func:`score_candidates_trie` runs each distinct prefix of the class
names once (a tree-masked pass over their token trie) and can stop at an exact
top-``k`` (first-token and prefix log-probs bound the names below them).

Why: scoring every class name after the prompt always yields a valid class and
a full ranking (top-5), and it is cheap when the prompt is run once and only the
few class-name tokens are run per candidate. The prompt cache (``[B, ...]``) is
expanded to ``[B*C, ...]`` for a chunk of ``C`` candidates at a time, so memory
stays bounded for large class lists.
"""
from __future__ import annotations

from typing import Any, Callable, List, Optional, Sequence

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


# ----------------------------------------------------------------------------- token trie
class _Trie:
    """The class names' token trie: node ``i`` is a distinct non-empty prefix."""

    def __init__(self, candidates: Sequence[Sequence[int]]) -> None:
        index: dict = {}
        self.token: List[int] = []
        self.parent: List[int] = []
        self.depth: List[int] = []
        self.children: List[List[int]] = []
        self.paths: List[List[int]] = []  # per candidate: its prefix nodes, length 1..n
        for cand in candidates:
            parent, path = -1, []
            for j in range(len(cand)):
                key = tuple(cand[:j + 1])
                node = index.get(key)
                if node is None:
                    node = index[key] = len(self.token)
                    self.token.append(int(cand[j]))
                    self.parent.append(parent)
                    self.depth.append(j)
                    self.children.append([])
                    if parent >= 0:
                        self.children[parent].append(node)
                path.append(node)
                parent = node
            self.paths.append(path)
        self.roots = [n for n in range(len(self.token)) if self.parent[n] < 0]

    def ancestors(self, node: int) -> List[int]:
        out = []
        while node >= 0:
            out.append(node)
            node = self.parent[node]
        return out


class _TrieSearch:
    """Prompt KV cache + the trie nodes run so far, per sample; expands nodes in rounds.

    Running node ``n`` (its token as a query that sees the prompt and ``n``'s
    ancestors) gives the next-token distribution after the prefix ``n``, i.e. the
    exact prefix log-prob ``g`` of all of ``n``'s children at once. Nodes of one
    round may descend from each other (a 4-D tree mask), so the whole trie can run
    in one pass; a prefix shared by several names runs once, and the prompt's
    cache is never copied per candidate.
    """

    def __init__(self, model: Any, prompt: LLMBatch, trie: _Trie,
                 embed_ids: Callable[[torch.Tensor], torch.Tensor], pad_id: int,
                 head_rows: int = 512) -> None:
        self.model, self.trie, self.embed_ids, self.pad_id = model, trie, embed_ids, pad_id
        self.head_rows = head_rows
        self.split = decoder_and_head(model)
        self.prompt_mask = prompt.attention_mask.bool()  # [B, P]: real prompt positions
        self.dtype = prompt.inputs_embeds.dtype
        self.dev = prompt.inputs_embeds.device
        out = model(inputs_embeds=prompt.inputs_embeds, attention_mask=prompt.attention_mask,
                    position_ids=prompt.position_ids, use_cache=True, logits_to_keep=1)
        self.kv = [(layer.keys, layer.values) for layer in out.past_key_values.layers]
        self.next_pos = prompt.position_ids[:, -1] + 1
        first = torch.log_softmax(out.logits[:, -1].float(), -1)
        roots = torch.tensor([trie.token[n] for n in trie.roots], dtype=torch.long, device=self.dev)
        B = first.shape[0]
        root_lp = first[:, roots].tolist()
        #: per sample: known prefix log-probs, cache column of each run node, run nodes
        self.g = [dict(zip(trie.roots, row)) for row in root_lp]
        self.col: List[dict] = [{} for _ in range(B)]
        self.cols = 0  # node columns after the prompt (shared by all samples, padded)

    def run(self, todo: Sequence[tuple]) -> None:
        """Run the nodes ``todo = [(sample, [node, ...]), ...]`` (ancestors first or earlier)."""
        trie, dev = self.trie, self.dev
        B = len(self.g)
        Q = max(len(nodes) for _, nodes in todo)
        rows = torch.tensor([b for b, _ in todo], dtype=torch.long, device=dev)
        R, P, T = len(todo), self.prompt_mask.shape[1], self.cols
        ids = torch.full((R, Q), self.pad_id, dtype=torch.long)
        depth = torch.zeros(R, Q, dtype=torch.long)
        keep = torch.zeros(R, Q, P + T + Q, dtype=torch.bool)
        keep[:, :, :P] = self.prompt_mask.index_select(0, rows).cpu()[:, None, :]  # prompt
        for r, (b, nodes) in enumerate(todo):
            col = self.col[b]
            for q, n in enumerate(nodes):
                col[n] = T + q
            for q, n in enumerate(nodes):
                ids[r, q] = trie.token[n]
                depth[r, q] = trie.depth[n]
                for a in trie.ancestors(n):
                    keep[r, q, P + col[a]] = True
            for q in range(len(nodes), Q):
                keep[r, q, P + T + q] = True  # padding queries see themselves only
        mask = torch.zeros(keep.shape, dtype=self.dtype)
        mask.masked_fill_(~keep, torch.finfo(self.dtype).min)
        from transformers import DynamicCache

        cache = DynamicCache(ddp_cache_data=[(k.index_select(0, rows), v.index_select(0, rows))
                                             for k, v in self.kv])
        kw = dict(inputs_embeds=self.embed_ids(ids.to(dev)), attention_mask=mask[:, None].to(dev),
                  position_ids=self.next_pos.index_select(0, rows)[:, None] + depth.to(dev),
                  past_key_values=cache, use_cache=True)
        if self.split is not None:
            hidden = self.split[0](**kw).last_hidden_state
        else:
            logits_all = self.model(**kw).logits
        new_kv = []  # append Q node columns for every sample (zeros where not run; never seen)
        for (k, v), layer in zip(self.kv, cache.layers):
            add_k = k.new_zeros(B, k.shape[1], Q, k.shape[3])
            add_v = v.new_zeros(B, v.shape[1], Q, v.shape[3])
            add_k[rows] = layer.keys[:, :, -Q:]
            add_v[rows] = layer.values[:, :, -Q:]
            new_kv.append((torch.cat([k, add_k], 2), torch.cat([v, add_v], 2)))
        self.kv = new_kv
        self.cols += Q
        # children's prefix log-probs from each run node's next-token distribution
        where = [(r, q) for r, (_, nodes) in enumerate(todo) for q in range(len(nodes))]
        flat = torch.tensor([r * Q + q for r, q in where], dtype=torch.long, device=dev)
        for s in range(0, len(where), self.head_rows):
            idx = flat[s:s + self.head_rows]
            if self.split is not None:
                logits = self.split[1](hidden.reshape(R * Q, -1).index_select(0, idx)).float()
            else:
                logits = logits_all.reshape(R * Q, -1).index_select(0, idx).float()
            logp = torch.log_softmax(logits, -1)
            for i, (r, q) in enumerate(where[s:s + self.head_rows]):
                b, nodes = todo[r]
                n = nodes[q]
                kids = trie.children[n]
                if kids:
                    lp = logp[i, [trie.token[c] for c in kids]].tolist()
                    base = self.g[b][n]
                    for c, x in zip(kids, lp):
                        self.g[b][c] = base + x


@torch.no_grad()
def score_candidates_trie(model: Any, prompt: LLMBatch, candidates: Sequence[Sequence[int]],
                          embed_ids: Callable[[torch.Tensor], torch.Tensor], pad_id: int,
                          reduction: str = "sum", top_k: Optional[int] = None,
                          width: Optional[int] = None, return_exact: bool = False):
    """The log-likelihoods of :func:`score_candidates`, through a token trie of the candidates.

    ``top_k=None`` runs every distinct proper prefix of the candidates once per
    sample, in one tree-masked pass after the prompt: the same ``[B, K]`` as the
    exhaustive reference, to float tolerance.

    ``top_k=k`` is an exact top-``k`` search: the log-prob of a known prefix bounds
    the score of every name below it from above (each further token adds a
    log-prob <= 0; for ``reduction='mean'`` the bound is divided by the name's
    length). Each round runs, per sample, the deepest known prefix of the
    ``width`` (default ``k``) best-bounded unfinished names, one token deeper, until
    the ``k`` highest entries of the sample are finished names and every open bound
    lies strictly below the ``k``-th. The top-``k`` set and order are then those of
    exhaustive scoring; every other entry holds its bound (capped one float32 step
    below the ``k``-th score). The work follows the model's confidence: a trained
    model finishes its top names in about as many rounds as they have tokens.
    ``return_exact=True`` also returns the ``[B, K]`` mask of entries that are exact
    scores rather than bounds.
    """
    if prompt.attention_mask[:, -1].min() == 0:
        raise ValueError("score_candidates_trie needs a left-padded prompt batch")
    if reduction not in ("sum", "mean"):
        raise ValueError(f"reduction must be 'sum' or 'mean', got {reduction!r}")
    K = len(candidates)
    if K == 0:
        raise ValueError("no candidates to score")
    if any(len(c) == 0 for c in candidates):
        raise ValueError("a candidate tokenized to zero tokens")
    if top_k is not None and int(top_k) < 1:
        raise ValueError(f"top_k must be >= 1 or None, got {top_k}")
    trie = _Trie(candidates)
    search = _TrieSearch(model, prompt, trie, embed_ids, pad_id)
    B = prompt.inputs_embeds.shape[0]
    div = [float(len(c)) if reduction == "mean" else 1.0 for c in candidates]
    known = [[0] * K for _ in range(B)]  # per sample and name: depth of its deepest known prefix

    def bounds(b: int) -> List[float]:
        g, d = search.g[b], known[b]
        out = []
        for c, path in enumerate(trie.paths):
            while d[c] + 1 < len(path) and path[d[c] + 1] in g:
                d[c] += 1
            out.append(g[path[d[c]]] / div[c])
        return out

    if top_k is None:
        internal = [n for n in range(len(trie.token)) if trie.children[n]]
        if internal:
            search.run([(b, internal) for b in range(B)])
    else:
        k = min(int(top_k), K)
        width = max(k, int(width or k))
        while True:
            todo = []
            for b in range(B):
                bound = bounds(b)
                done = [known[b][c] == len(trie.paths[c]) - 1 for c in range(K)]
                order = sorted(range(K), key=lambda c: (-bound[c], not done[c]))
                kth = bound[order[k - 1]]
                # certified: the k best are finished names, every open bound strictly below
                if all(done[c] for c in order[:k]) and \
                        all(done[c] or bound[c] < kth for c in order[k:]):
                    continue
                nodes: List[int] = []
                for c in order:
                    if known[b][c] < len(trie.paths[c]) - 1:
                        node = trie.paths[c][known[b][c]]
                        if node not in nodes:
                            nodes.append(node)
                        if len(nodes) >= width:
                            break
                todo.append((b, nodes))
            if not todo:
                break
            search.run(todo)
    scores = torch.tensor([bounds(b) for b in range(B)], dtype=torch.float32)
    exact = torch.tensor([[known[b][c] == len(trie.paths[c]) - 1 for c in range(K)]
                          for b in range(B)])
    if top_k is not None and not bool(exact.all()):
        # bounds are strictly below the k-th score; keep them so after rounding to float32
        kth = scores.masked_fill(~exact, float("-inf")).topk(k, -1).values[:, -1:]
        below = torch.nextafter(kth, torch.full_like(kth, float("-inf")))
        scores = torch.where(exact, scores, torch.minimum(scores, below))
    dev = prompt.inputs_embeds.device
    return (scores.to(dev), exact.to(dev)) if return_exact else scores.to(dev)
