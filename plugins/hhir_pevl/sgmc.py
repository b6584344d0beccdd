"""SGMC: semantic-guided multi-level contrast of PeVL.

Similarities between B videos and K texts (all ``[B,K]``):

* ``S_VS = cos(V, S)`` — video vs sentence embedding;
* ``S_PS = cos(P, S)`` — pose vs sentence embedding;
* ``S_FW`` — frame–word: on the cosine matrix ``A = F_b W_kᵀ`` ``[T,W]``,
  attention applied twice: softmax over words gives a score per frame, then a
  softmax-weighted sum over frames; the mirrored order (frames first, then
  words); the mean of both. Padding words are masked, so ``S_FW`` does not
  depend on padding.

``S`` is the mean of the enabled similarities. The semantic-content-guided
loss reweights each negative by how far its text is from the ground truth.
"""
from __future__ import annotations

from typing import Dict, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import nn

SIMILARITIES = ("vs", "ps", "fw")


def cosine_matrix(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``[B,D] x [K,D] -> [B,K]`` cosine similarities."""
    return F.normalize(a, dim=-1) @ F.normalize(b, dim=-1).t()


def _attend(scores: torch.Tensor, valid: torch.Tensor, dim: int, temperature: float) -> torch.Tensor:
    """Softmax-weighted sum of ``scores`` along ``dim`` over ``valid`` entries."""
    logits = (scores / temperature).masked_fill(~valid, float("-inf"))
    w = torch.softmax(logits, dim=dim).nan_to_num(0.0)
    return (w * scores.masked_fill(~valid, 0.0)).sum(dim=dim)


def frame_word_similarity(frames: torch.Tensor, words: torch.Tensor, word_mask: torch.Tensor,
                          temperature: float = 0.01) -> torch.Tensor:
    """``S_FW`` for frames ``[B,T,D]``, words ``[K,W,D]``, mask ``[K,W]`` -> ``[B,K]``."""
    f = F.normalize(frames, dim=-1)
    w = F.normalize(words, dim=-1)
    a = torch.einsum("btd,kwd->bktw", f, w)                                  # [B,K,T,W]
    valid = word_mask.bool()[None, :, None, :].expand_as(a)
    # words first (one score per frame), then frames
    per_frame = _attend(a, valid, dim=-1, temperature=temperature)         # [B,K,T]
    frame_first_valid = valid.any(dim=-1)
    s1 = _attend(per_frame, frame_first_valid, dim=-1, temperature=temperature)
    # mirrored: frames first (one score per word), then words
    per_word = _attend(a, valid, dim=-2, temperature=temperature)          # [B,K,W]
    s2 = _attend(per_word, valid[:, :, 0, :], dim=-1, temperature=temperature)
    return 0.5 * (s1 + s2)


class SGMCSimilarity(nn.Module):
    """Combine the enabled similarities (``vs``, ``ps``, ``fw``) by their mean."""

    def __init__(self, similarities: Sequence[str] = SIMILARITIES, fw_temperature: float = 0.01) -> None:
        super().__init__()
        bad = [s for s in similarities if s not in SIMILARITIES]
        if bad or not similarities:
            raise ValueError(f"sgmc.similarities must be a non-empty subset of {SIMILARITIES}, got {similarities}")
        self.similarities = tuple(similarities)
        self.fw_temperature = fw_temperature

    def forward(self, video: Optional[torch.Tensor], pose: Optional[torch.Tensor],
                frames: Optional[torch.Tensor], sentence: torch.Tensor,
                words: Optional[torch.Tensor] = None,
                word_mask: Optional[torch.Tensor] = None) -> Dict[str, torch.Tensor]:
        """Return ``{"sim": [B,K], "vs"|"ps"|"fw": [B,K]}`` for the enabled parts."""
        parts: Dict[str, torch.Tensor] = {}
        if "vs" in self.similarities:
            parts["vs"] = cosine_matrix(video, sentence)
        if "ps" in self.similarities:
            parts["ps"] = cosine_matrix(pose, sentence)
        if "fw" in self.similarities:
            parts["fw"] = frame_word_similarity(frames, words, word_mask, self.fw_temperature)
        parts["sim"] = torch.stack([parts[k] for k in self.similarities]).mean(0)
        return parts


def negative_strengths(text_emb: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Strength of every negative text for every row: ``[B,B]``, rows sum to 1 over negatives.

    ``s_ij ∝ 1 − cos(t_j, t_i)`` over negatives j (texts of another label), 0 on
    positives (same label, including i itself).
    """
    cos = cosine_matrix(text_emb, text_emb)
    neg = labels[:, None] != labels[None, :]
    raw = (1.0 - cos).clamp(min=0) * neg
    total = raw.sum(dim=1, keepdim=True)
    # all negatives identical to the ground truth text: fall back to uniform
    uniform = neg.float() / neg.sum(dim=1, keepdim=True).clamp(min=1)
    return torch.where(total > 1e-8, raw / total.clamp(min=1e-8), uniform)


def guided_kl_loss(logits: torch.Tensor, labels: torch.Tensor, text_emb: Optional[torch.Tensor] = None,
                   guided: bool = True, strengths: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Semantic-content-guided contrastive loss, both directions.

    Args:
        logits: ``[B,B]`` scaled similarities (``S/τ``) of video i vs the label
            text of sample j.
        labels: ``[B]``; same-label pairs are positives (ground-truth
            similarity ``q_ij = 1[y_i=y_j] / #positives``).
        text_emb: ``[B,D]`` ground-truth text embedding of each sample (for the
            strengths); strengths: override ``[B,B]`` (rows sum to 1 over negatives).
        guided: ``False`` gives the vanilla contrastive-KL loss (ActionCLIP style).

    With strengths ``s_ij`` the row distribution is
    ``p_ij ∝ w_ij·e^{S_ij/τ}``, ``w = 1`` on positives and ``w = n_neg·s_ij`` on
    negatives — the paper's ``(B−1)·Σ s_j e^{S_ij/τ}`` when every other sample is
    a negative. Equal strengths give ``w = 1``, i.e. the vanilla loss.
    """
    labels = labels.view(-1)
    pos = (labels[:, None] == labels[None, :]).float()
    target = pos / pos.sum(dim=1, keepdim=True)
    logits = logits.float()
    if guided:
        if strengths is None:
            if text_emb is None:
                raise ValueError("guided_kl_loss needs text_emb or strengths")
            strengths = negative_strengths(text_emb.float(), labels)
        n_neg = (1.0 - pos).sum(dim=1, keepdim=True)
        weight = torch.where(pos.bool(), torch.ones_like(pos), n_neg * strengths)
        log_w = weight.clamp(min=1e-12).log()
        # texts -> videos: row j is text j; its negatives are the videos of other
        # labels, weighted by the same (symmetric) text distance, normalised per row
        logits, logits_t = logits + log_w, logits.t() + log_w
    else:
        logits_t = logits.t()
    loss_v = F.kl_div(F.log_softmax(logits, dim=1), target, reduction="batchmean")
    loss_t = F.kl_div(F.log_softmax(logits_t, dim=1), target, reduction="batchmean")
    return 0.5 * (loss_v + loss_t)
