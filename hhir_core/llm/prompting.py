"""The ONE place where prompts and chats become LLM inputs.

Why one module: training (loss on answers), generation and class scoring must
tokenize a prompt identically, or a model trained on one layout is evaluated on
another. Everything here is chat-template free, so it works for base models,
instruct models and the tiny test model alike.

Layouts
-------
* plain (``forward``/``generate``/``score_classes`` with ``str`` prompts)::

      [bos?] {prompt} ␣{answer}<eos>        loss on " {answer}<eos>" only

  the answer (or candidate class name) is tokenized as ``" " + answer`` so the
  space attaches to its first word, the way BPE tokenizers see running text.
* chat (``chat_loss``, or a conversation given instead of a ``str`` prompt)::

      [bos?] User: {human 1}\\nAssistant: {gpt 1}<eos>\\nUser: {human 2}\\nAssistant: {gpt 2}<eos>

  loss on every `` {gpt}<eos>`` span; a conversation used as a prompt ends
  with a human turn and is rendered up to ``Assistant:``.

Placeholders ``<name>`` (for every key ``name`` of ``soft_tokens``) are replaced
by that sample's soft-token embeddings; they may appear in any text that is not
trained on (prompts, human turns). ``soft_tokens[name]`` is a tensor
``[B, L, D]`` or a list of ``B`` tensors ``[L_b, D]`` (variable length). A
``<word>`` that is not a soft-token key stays literal text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import torch

from hhir_core.errors import HHIRError

Conversation = List[Mapping[str, str]]
PromptLike = Union[str, Conversation]
SoftTokens = Mapping[str, Union[torch.Tensor, Sequence[torch.Tensor]]]

HUMAN_ROLES = ("human", "user")
GPT_ROLES = ("gpt", "assistant")
IGNORE_INDEX = -100


class PromptError(HHIRError):
    """A prompt, conversation or soft-token batch is malformed."""


@dataclass
class Piece:
    """A span of one sequence: text (tokenized), raw ids, or a soft-token slot."""

    text: Optional[str] = None
    ids: Optional[List[int]] = None
    soft: Optional[str] = None
    train: bool = False  # contributes to the loss


@dataclass
class LLMBatch:
    """Padded model inputs built from pieces."""

    inputs_embeds: torch.Tensor  # [B, T, D]
    attention_mask: torch.Tensor  # [B, T] long
    position_ids: torch.Tensor  # [B, T] long
    labels: torch.Tensor  # [B, T] long, IGNORE_INDEX outside trained spans
    lengths: torch.Tensor  # [B] number of real tokens
    #: per soft-token name, ``[B, T]`` bool: the positions its embeddings fill
    soft_positions: Optional[Dict[str, torch.Tensor]] = None


# ------------------------------------------------------------------- rendering
def answer_text(answer: str) -> str:
    """How an answer/candidate is tokenized after a prompt: with one leading space."""
    return answer if answer.startswith((" ", "\n")) else " " + answer


def plain_pieces(prompt: str, answer: Optional[str], eos_id: Optional[int]) -> List[Piece]:
    """Pieces of the plain layout; ``answer=None`` renders the prompt only."""
    pieces = [Piece(text=prompt)]
    if answer is not None:
        pieces.append(Piece(text=answer_text(answer), train=True))
        if eos_id is not None:
            pieces.append(Piece(ids=[eos_id], train=True))
    return pieces


def chat_pieces(conversation: Conversation, eos_id: Optional[int],
                for_generation: bool = False) -> List[Piece]:
    """Pieces of the chat layout (loss on every gpt turn).

    With ``for_generation=True`` the conversation must end with a human turn and
    is rendered up to ``Assistant:`` so the model continues with the answer.
    """
    if not conversation:
        raise PromptError("empty conversation")
    pieces: List[Piece] = []
    first = True
    for i, turn in enumerate(conversation):
        role = str(turn.get("from", turn.get("role", ""))).lower()
        value = turn.get("value", turn.get("content"))
        if value is None:
            raise PromptError(f"conversation turn {i} has no 'value': {dict(turn)!r}")
        if role in HUMAN_ROLES:
            pieces.append(Piece(text=("" if first else "\n") + f"User: {value}\nAssistant:"))
        elif role in GPT_ROLES:
            if first:
                raise PromptError("a conversation must start with a human turn")
            pieces.append(Piece(text=answer_text(str(value)), train=True))
            if eos_id is not None:
                pieces.append(Piece(ids=[eos_id], train=True))
        else:
            raise PromptError(f"conversation turn {i} has unknown role {role!r} "
                              f"(expected one of {HUMAN_ROLES + GPT_ROLES})")
        first = False
    if for_generation:
        last = str(conversation[-1].get("from", conversation[-1].get("role", ""))).lower()
        if last not in HUMAN_ROLES:
            raise PromptError("a conversation used as a prompt must end with a human turn")
        for p in pieces:
            p.train = False
    return pieces


def prompt_pieces(prompt: PromptLike, eos_id: Optional[int]) -> List[Piece]:
    """Pieces for generation/scoring: a plain prompt or a conversation ending in a human turn."""
    if isinstance(prompt, str):
        return plain_pieces(prompt, None, eos_id)
    return chat_pieces(prompt, eos_id, for_generation=True)


# ------------------------------------------------------------------- placeholders
def split_placeholders(text: str, names: Sequence[str]) -> List[Union[str, Tuple[str]]]:
    """Split ``text`` at ``<name>`` placeholders; placeholders come back as ``(name,)``."""
    if not names:
        return [text] if text else []
    pattern = re.compile("<(" + "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)) + ")>")
    out: List[Union[str, Tuple[str]]] = []
    pos = 0
    for m in pattern.finditer(text):
        if m.start() > pos:
            out.append(text[pos:m.start()])
        out.append((m.group(1),))
        pos = m.end()
    if pos < len(text):
        out.append(text[pos:])
    return out


def _soft_rows(soft_tokens: Optional[SoftTokens], batch_size: int) -> Dict[str, List[torch.Tensor]]:
    """Per-sample ``[L_b, D]`` views of every soft-token entry, with shape checks."""
    rows: Dict[str, List[torch.Tensor]] = {}
    for name, value in (soft_tokens or {}).items():
        if isinstance(value, torch.Tensor):
            if value.dim() != 3:
                raise PromptError(f"soft_tokens[{name!r}] must be [B,L,D], got {tuple(value.shape)}")
            seq = list(value.unbind(0))
        else:
            seq = list(value)
            for t in seq:
                if not isinstance(t, torch.Tensor) or t.dim() != 2:
                    raise PromptError(f"soft_tokens[{name!r}] list items must be [L,D] tensors")
        if len(seq) != batch_size:
            raise PromptError(f"soft_tokens[{name!r}] has batch {len(seq)} but there are "
                              f"{batch_size} prompts")
        rows[name] = seq
    return rows


# ------------------------------------------------------------------- builder
class PromptBuilder:
    """Tokenizes pieces, splices soft tokens and pads into an :class:`LLMBatch`.

    ``embed_ids`` maps a 1-D LongTensor of token ids to ``[n, D]`` embeddings
    (the head's word embeddings, including any added vocabulary tokens).
    """

    def __init__(self, tokenizer: Any, embed_ids: Callable[[torch.Tensor], torch.Tensor],
                 embed_dim: int, cache_size: int = 4096) -> None:
        self.tokenizer = tokenizer
        self.embed_ids = embed_ids
        self.embed_dim = embed_dim
        self.eos_id = tokenizer.eos_token_id
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else self.eos_id
        self.bos_ids = self._detect_bos()
        self._cache: Dict[str, List[int]] = {}
        self._cache_size = cache_size

    def _detect_bos(self) -> List[int]:
        """Prepend BOS only where the tokenizer itself would (LLaMA yes, SmolLM2 no)."""
        bos = self.tokenizer.bos_token_id
        if bos is None:
            return []
        ids = self.tokenizer("a", add_special_tokens=True)["input_ids"]
        return [bos] if ids and ids[0] == bos else []

    def encode(self, text: str) -> List[int]:
        """Token ids of ``text`` without special tokens (memoised: prompts repeat)."""
        ids = self._cache.get(text)
        if ids is None:
            ids = list(self.tokenizer(text, add_special_tokens=False)["input_ids"])
            if len(self._cache) >= self._cache_size:
                self._cache.clear()
            self._cache[text] = ids
        return ids

    def build(self, samples: Sequence[List[Piece]], soft_tokens: Optional[SoftTokens] = None,
              padding_side: str = "right", strict: bool = True,
              device: Optional[torch.device] = None, dtype: Optional[torch.dtype] = None) -> LLMBatch:
        """Assemble padded ``inputs_embeds``/mask/positions/labels for a batch of samples.

        ``strict``: every soft-token key must be used by each sample (catches
        typos such as ``<token>`` for ``<tokens>``).
        """
        if padding_side not in ("left", "right"):
            raise PromptError(f"padding_side must be 'left' or 'right', got {padding_side!r}")
        rows = _soft_rows(soft_tokens, len(samples))
        names = list(rows)
        seqs: List[Tuple[torch.Tensor, torch.Tensor]] = []
        slot_rows: List[torch.Tensor] = []  # per sample: index into names per position, -1 = text
        for b, pieces in enumerate(samples):
            # 1) resolve to (ids | soft) chunks
            chunks: List[Tuple[str, Any, bool]] = []
            if self.bos_ids:
                chunks.append(("ids", list(self.bos_ids), False))
            used = set()
            for p in pieces:
                if p.ids is not None:
                    chunks.append(("ids", list(p.ids), p.train))
                    continue
                parts = split_placeholders(p.text or "", names if not p.train else ())
                for part in parts:
                    if isinstance(part, tuple):
                        used.add(part[0])
                        chunks.append(("soft", part[0], False))
                    else:
                        chunks.append(("ids", self.encode(part), p.train))
            if strict and set(names) - used:
                raise PromptError(f"sample {b}: soft tokens {sorted(set(names) - used)} have no "
                                  f"placeholder in its prompt (write '<name>' where they go)")
            # 2) one embedding call for all text ids of the sample
            all_ids = [i for kind, v, _ in chunks if kind == "ids" for i in v]
            id_tensor = torch.tensor(all_ids, dtype=torch.long, device=device)
            text_emb = self.embed_ids(id_tensor) if all_ids else None
            if dtype is None and text_emb is not None:
                dtype = text_emb.dtype
            embs, labels, slots, off = [], [], [], 0
            for kind, v, train in chunks:
                if kind == "ids":
                    n = len(v)
                    if n == 0:
                        continue
                    embs.append(text_emb[off:off + n])
                    slots.append(torch.full((n,), -1, dtype=torch.long, device=device))
                    labels.append(id_tensor[off:off + n] if train
                                  else torch.full((n,), IGNORE_INDEX, dtype=torch.long, device=device))
                    off += n
                else:
                    t = rows[v][b]
                    if t.shape[-1] != self.embed_dim:
                        raise PromptError(f"soft_tokens[{v!r}] width {t.shape[-1]} != LLM embedding "
                                          f"width {self.embed_dim}")
                    embs.append(t.to(device=device, dtype=dtype) if dtype is not None else t.to(device))
                    labels.append(torch.full((t.shape[0],), IGNORE_INDEX, dtype=torch.long, device=device))
                    slots.append(torch.full((t.shape[0],), names.index(v), dtype=torch.long,
                                            device=device))
            if not embs:
                raise PromptError(f"sample {b} is empty")
            seqs.append((torch.cat(embs, 0), torch.cat(labels, 0)))
            slot_rows.append(torch.cat(slots, 0))
        batch = pad_sequences(seqs, self.embed_ids(torch.tensor([self.pad_id], device=device))[0],
                              padding_side)
        pad = [torch.full((batch.inputs_embeds.shape[1] - len(s),), -1, dtype=torch.long,
                          device=s.device) for s in slot_rows]
        slot = torch.stack([torch.cat([s, p]) if padding_side == "right" else torch.cat([p, s])
                            for s, p in zip(slot_rows, pad)])
        batch.soft_positions = {name: slot == i for i, name in enumerate(names)}
        return batch


def pad_sequences(seqs: Sequence[Tuple[torch.Tensor, torch.Tensor]], pad_embed: torch.Tensor,
                  padding_side: str) -> LLMBatch:
    """Pad ``(embeds [n,D], labels [n])`` pairs; positions count real tokens only."""
    lengths = torch.tensor([e.shape[0] for e, _ in seqs], dtype=torch.long)
    T = int(lengths.max())
    D = seqs[0][0].shape[-1]
    dev = seqs[0][0].device
    dtype = seqs[0][0].dtype
    embeds, labels, masks = [], [], []
    pad_embed = pad_embed.to(dtype=dtype, device=dev).detach()
    for e, lab in seqs:
        n = e.shape[0]
        pe = pad_embed.expand(T - n, D)
        pl = torch.full((T - n,), IGNORE_INDEX, dtype=torch.long, device=dev)
        m = torch.ones(n, dtype=torch.long, device=dev)
        pm = torch.zeros(T - n, dtype=torch.long, device=dev)
        if padding_side == "right":
            embeds.append(torch.cat([e, pe], 0)); labels.append(torch.cat([lab, pl])); masks.append(torch.cat([m, pm]))
        else:
            embeds.append(torch.cat([pe, e], 0)); labels.append(torch.cat([pl, lab])); masks.append(torch.cat([pm, m]))
    mask = torch.stack(masks)
    position_ids = (mask.cumsum(-1) - 1).clamp(min=0)
    return LLMBatch(torch.stack(embeds), mask, position_ids, torch.stack(labels), lengths.to(dev))
