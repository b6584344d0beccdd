"""``CausalLMHead``: a (frozen, optionally LoRA-tuned) causal LM (the ``CausalLM`` contract).

Why: LLM-AR, SKI-LVLM and OV-HHIR all feed soft tokens (projected skeleton /
video features) into a causal LM and need the same four operations — loss on
answer tokens, multi-turn chat loss, greedy generation and class scoring. This
class is those operations; prompt layout lives in :mod:`.prompting`, scoring
in :mod:`.scoring`, loading in :mod:`.loading`, LoRA in :mod:`.lora`.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

import torch
from torch import nn

from hhir_core.errors import ConfigError, HHIRError
from hhir_core.interfaces.language_head import CausalLM

from .loading import ModelSpec, load_causal_lm
from .lora import apply_lora
from .prompting import (
    IGNORE_INDEX,
    Conversation,
    PromptBuilder,
    PromptLike,
    SoftTokens,
    answer_text,
    chat_pieces,
    plain_pieces,
    prompt_pieces,
)
from .scoring import decoder_and_head, score_candidates, score_candidates_trie

NEW_TOKENS_FILE = "new_tokens.safetensors"


class CausalLMHead(nn.Module, CausalLM):
    """A causal LM with soft-token prompts.

    Args:
        model: ``"smollm2"`` (offline default), a hub id, a local folder, a
            ``.gguf`` file, or ``dict(tiny=True, hidden_size=64, ...)``.
        lora: ``dict(r, alpha, dropout, target_modules)`` or ``None``.
        freeze: keep the LLM's own weights frozen (the default; LoRA weights and
            added tokens still train).
        full_finetune: train every LLM weight (the paper's ablation); exclusive
            with ``lora``. ``freeze=False`` without LoRA means the same.
        dtype: LLM weight dtype.
        new_tokens: add this many vocabulary tokens named
            ``new_token_format.format(i)`` (LLM-AR's option); initialise them
            with :meth:`add_vocab_tokens` (default: the mean word embedding).
        train_new_tokens: whether added tokens' embeddings are trainable.
        score_chunk_size: candidates per forward pass in :meth:`score_classes`.
        gradient_checkpointing: trade compute for memory on large LLMs.
    """

    def __init__(self, model: ModelSpec = "smollm2", lora: Optional[Mapping[str, Any]] = None,
                 freeze: bool = True, full_finetune: bool = False, dtype: Any = "float32",
                 new_tokens: int = 0, new_token_format: str = "<act_{}>",
                 train_new_tokens: bool = True, score_chunk_size: int = 32,
                 gradient_checkpointing: bool = False) -> None:
        super().__init__()
        if full_finetune and lora:
            raise ConfigError("`full_finetune=True` and `lora=...` are exclusive: full fine-tuning "
                              "trains every LLM weight (set lora=None)")
        llm, tokenizer = load_causal_lm(model, dtype=dtype)
        self.model_spec = model if isinstance(model, str) else dict(model)
        self.tokenizer = tokenizer
        self.full_finetune = bool(full_finetune or (not freeze and not lora))
        if gradient_checkpointing:
            # non-reentrant: LoRA weights still get gradients when no input requires grad
            llm.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        for p in llm.parameters():
            p.requires_grad_(self.full_finetune)
        self.lora_cfg = dict(lora) if lora else None
        self.llm = apply_lora(llm, lora) if lora else llm
        self.base_vocab = int(self._word_embeddings().weight.shape[0])
        self._embed_dim = int(self._word_embeddings().weight.shape[1])
        self.score_chunk_size = int(score_chunk_size)
        self.new_token_format = new_token_format
        self.train_new_tokens = bool(train_new_tokens)
        self.new_token_names: List[str] = []
        self.new_token_embeds: Optional[nn.Parameter] = None
        self.prompts = PromptBuilder(tokenizer, self.embed_ids, self._embed_dim)
        if new_tokens:
            names = [new_token_format.format(i) for i in range(int(new_tokens))]
            self.add_vocab_tokens(names, None)
        #: state-dict prefixes of frozen weights (checkpoint hooks skip them)
        self.frozen_state_prefixes = [] if self.full_finetune else ["llm."]

    # ------------------------------------------------------------------ basics
    @classmethod
    def tiny_config(cls) -> Dict[str, Any]:
        """Tiny random LLaMA on the SmolLM2 tokenizer, with a small LoRA (plain data)."""
        return dict(model=dict(tiny=True, hidden_size=64, num_layers=2, num_heads=4),
                    lora=dict(r=4, alpha=8, dropout=0.0, target_modules=["q_proj", "v_proj"]))

    def example_inputs(self, batch_size: int = 2):
        g = torch.Generator().manual_seed(0)
        soft = torch.randn(batch_size, 3, self.embed_dim, generator=g)
        prompts = ["Given a sequence of action tokens <tokens>, please predict the corresponding action."] * batch_size
        answers = ["hand waving", "punching"][:batch_size] + ["clapping"] * max(0, batch_size - 2)
        return (), dict(prompts=prompts, answers=answers, soft_tokens={"tokens": soft})

    def check_output(self, output, args, kwargs) -> None:
        loss = output["loss"]
        assert loss.dim() == 0 and torch.isfinite(loss), f"loss {loss}"
        assert loss.requires_grad, "loss has no gradient path (nothing trainable?)"

    @property
    def embed_dim(self) -> int:
        """LLM word-embedding width (576 for SmolLM2-135M, 5120 for LLaMA-13B)."""
        return self._embed_dim

    @property
    def device(self) -> torch.device:
        return self._word_embeddings().weight.device

    def _word_embeddings(self) -> nn.Embedding:
        return self.llm.get_input_embeddings()

    def input_embeddings(self) -> torch.Tensor:
        """``[V, D]`` word-embedding matrix (detached; base vocabulary only), e.g. for MMD."""
        return self._word_embeddings().weight.detach()

    def embed_ids(self, ids: torch.Tensor) -> torch.Tensor:
        """Embeddings of token ids, including tokens added with :meth:`add_vocab_tokens`."""
        emb = self._word_embeddings()
        if self.new_token_embeds is None:
            return emb(ids)
        is_new = ids >= self.base_vocab
        out = emb(ids.clamp(max=self.base_vocab - 1))
        if bool(is_new.any()):
            extra = self.new_token_embeds.to(out.dtype)[(ids - self.base_vocab).clamp(min=0)]
            out = torch.where(is_new.unsqueeze(-1), extra, out)
        return out

    # ------------------------------------------------------------ vocabulary
    def add_vocab_tokens(self, names: Sequence[str], init_embeds: Optional[torch.Tensor]) -> List[int]:
        """Add (or re-initialise) vocabulary tokens; return their ids.

        Why a side table instead of resizing the LLM's embedding: the added
        tokens are input-only (action words in prompts), so the frozen LLM and
        its output layer stay untouched, LoRA/PEFT export stays standard, and
        only these ``[K, D]`` rows train. ``init_embeds`` is ``[len(names), D]``
        (e.g. LLM-AR's codebook vectors); ``None`` = mean word embedding.
        """
        names = list(names)
        new = [n for n in names if n not in self.new_token_names]
        if new:
            self.tokenizer.add_tokens(new, special_tokens=False)
            start = len(self.new_token_names)
            for i, n in enumerate(new):
                tid = self.tokenizer.convert_tokens_to_ids(n)
                if tid != self.base_vocab + start + i:
                    raise HHIRError(f"token {n!r} got id {tid}, expected {self.base_vocab + start + i}: "
                                    f"the tokenizer already knows a token with that name")
            self.new_token_names.extend(new)
            mean = self.input_embeddings().float().mean(0)
            rows = mean.expand(len(new), -1).clone()
            old = self.new_token_embeds.data if self.new_token_embeds is not None else rows[:0]
            self.new_token_embeds = nn.Parameter(torch.cat([old.to(rows), rows], 0).to(self.device),
                                                 requires_grad=self.train_new_tokens)
        ids = [self.base_vocab + self.new_token_names.index(n) for n in names]
        if init_embeds is not None:
            init = torch.as_tensor(init_embeds)
            if init.shape != (len(names), self.embed_dim):
                raise HHIRError(f"init_embeds must be [{len(names)}, {self.embed_dim}], got {tuple(init.shape)}")
            with torch.no_grad():
                idx = torch.tensor(ids, device=self.device) - self.base_vocab
                self.new_token_embeds.data[idx] = init.to(self.new_token_embeds)
        self.prompts._cache.clear()
        return ids

    def truncate_layers(self, num_layers: int) -> None:
        """Keep the first ``num_layers`` transformer blocks of the LLM (in place).

        A "model size" change for CPUs (the mini configs' ``llm_layers``); the
        paper-faithful configs never use it.
        """
        llm = self.llm
        base = llm.get_base_model() if hasattr(llm, "get_base_model") else llm
        decoder = getattr(base, "model", None)
        layers = getattr(decoder, "layers", None)
        if not isinstance(layers, nn.ModuleList):
            raise ConfigError("llm_layers: this LLM has no `model.layers` block list to truncate")
        if not 1 <= num_layers <= len(layers):
            raise ConfigError(f"llm_layers={num_layers}: the LLM has {len(layers)} layers")
        decoder.layers = nn.ModuleList(list(layers)[:num_layers])
        cfg = base.config
        cfg.num_hidden_layers = num_layers
        if getattr(cfg, "layer_types", None):
            cfg.layer_types = list(cfg.layer_types)[:num_layers]

    def token_string(self, ids: torch.Tensor) -> List[str]:
        """Render ``[B, L]`` added-token indices (0..K-1) as prompt text, e.g. ``"<act_3><act_17>"``."""
        return ["".join(self.new_token_names[int(i)] for i in row) for row in ids]

    # ------------------------------------------------------------------ losses
    def _run_loss(self, samples, soft_tokens) -> Dict[str, torch.Tensor]:
        batch = self.prompts.build(samples, soft_tokens, padding_side="right", device=self.device)
        if bool((batch.labels >= self.base_vocab).any()):
            raise HHIRError("answers may not contain added vocabulary tokens (they are input-only)")
        kw = dict(inputs_embeds=batch.inputs_embeds, attention_mask=batch.attention_mask,
                  position_ids=batch.position_ids, use_cache=False)
        split = decoder_and_head(self.llm)
        if split is None:
            return {"loss": self.llm(**kw, labels=batch.labels).loss}
        # the output layer only where a label is predicted (token t+1 at position t): the
        # same mean cross-entropy as ``labels=``, without the ``[B, T, vocab]`` logits
        decoder, head = split
        hidden = decoder(**kw).last_hidden_state[:, :-1]
        targets = batch.labels[:, 1:]
        scored = targets != IGNORE_INDEX
        logits = head(hidden[scored]).float()
        return {"loss": nn.functional.cross_entropy(logits, targets[scored])}

    def forward(self, prompts: Sequence[str], answers: Sequence[str],
                soft_tokens: Optional[SoftTokens] = None) -> Dict[str, torch.Tensor]:
        """Cross-entropy on the answer tokens (and EOS) after each prompt."""
        if isinstance(prompts, str) or isinstance(answers, str):
            raise HHIRError("CausalLMHead expects lists of prompts and answers, got a string")
        if len(prompts) != len(answers):
            raise HHIRError(f"{len(prompts)} prompts but {len(answers)} answers")
        eos = self.tokenizer.eos_token_id
        return self._run_loss([plain_pieces(p, a, eos) for p, a in zip(prompts, answers)], soft_tokens)

    def chat_loss(self, conversations: Sequence[Conversation],
                  soft_tokens: Optional[SoftTokens] = None) -> Dict[str, torch.Tensor]:
        """Cross-entropy on every gpt turn of multi-turn (HHIRChat) conversations."""
        eos = self.tokenizer.eos_token_id
        return self._run_loss([chat_pieces(c, eos) for c in conversations], soft_tokens)

    # -------------------------------------------------------------- inference
    def _prompt_batch(self, prompts: Sequence[PromptLike], soft_tokens: Optional[SoftTokens]):
        if isinstance(prompts, str):
            raise HHIRError("CausalLMHead expects a list of prompts, got one string")
        eos = self.tokenizer.eos_token_id
        return self.prompts.build([prompt_pieces(p, eos) for p in prompts], soft_tokens,
                                  padding_side="left", device=self.device)

    @torch.no_grad()
    def generate(self, prompts: Sequence[PromptLike], soft_tokens: Optional[SoftTokens] = None,
                 max_new_tokens: int = 16) -> List[str]:
        """Greedy, batched generation from soft-token prompts (or conversations ending in a human turn).

        Why our own loop: the prompt exists only as ``inputs_embeds`` with
        left padding; explicit position ids and a KV cache keep it exact and
        identical to :meth:`score_classes`.
        """
        batch = self._prompt_batch(prompts, soft_tokens)
        B = batch.inputs_embeds.shape[0]
        eos = self.tokenizer.eos_token_id
        mask, pos = batch.attention_mask, batch.position_ids[:, -1:]
        out = self.llm(inputs_embeds=batch.inputs_embeds, attention_mask=mask,
                       position_ids=batch.position_ids, use_cache=True, logits_to_keep=1)
        done = torch.zeros(B, dtype=torch.bool, device=self.device)
        tokens: List[torch.Tensor] = []
        for _ in range(int(max_new_tokens)):
            logits = out.logits[:, -1].float()
            nxt = logits.argmax(-1)
            nxt = torch.where(done, torch.full_like(nxt, eos), nxt)
            tokens.append(nxt)
            done = done | (nxt == eos)
            if bool(done.all()):
                break
            mask = torch.cat([mask, torch.ones(B, 1, dtype=mask.dtype, device=mask.device)], 1)
            pos = pos + 1
            out = self.llm(inputs_embeds=self.embed_ids(nxt[:, None]), attention_mask=mask,
                           position_ids=pos, past_key_values=out.past_key_values, use_cache=True)
        if not tokens:
            return [""] * B
        gen = torch.stack(tokens, 1).tolist()
        texts = []
        for row in gen:
            if eos in row:
                row = row[:row.index(eos)]
            texts.append(self.tokenizer.decode(row, skip_special_tokens=True).strip())
        return texts

    def candidate_ids(self, class_names: Sequence[str]) -> List[List[int]]:
        """Token ids of each class name as it follows a prompt (with its leading space)."""
        return [self.prompts.encode(answer_text(n)) for n in class_names]

    @torch.no_grad()
    def score_classes(self, prompts: Sequence[PromptLike], soft_tokens: Optional[SoftTokens],
                      class_names: Sequence[str], reduction: str = "sum",
                      chunk_size: Optional[int] = None, method: str = "trie",
                      top_k: Optional[int] = None) -> torch.Tensor:
        """``[B, K]`` summed log-probability of each class name after each prompt.

        The prompt runs once and its KV cache serves every candidate (see
        :mod:`.scoring`). ``method='trie'`` (default) runs the distinct prefixes of
        the class names once per sample; ``top_k=k`` there scores only what an exact
        top-``k`` needs (the other entries hold an upper bound below the ``k``-th
        score). ``method='exhaustive'`` is the reference: every name in full.
        ``reduction='mean'`` divides by each name's token count.
        """
        if method not in ("trie", "exhaustive"):
            raise HHIRError(f"score_classes: method must be 'trie' or 'exhaustive', got {method!r}")
        batch = self._prompt_batch(prompts, soft_tokens)
        cands = self.candidate_ids(class_names)
        if method == "exhaustive":
            if top_k is not None:
                raise HHIRError("score_classes: top_k needs method='trie'")
            return score_candidates(self.llm, batch, cands, self.embed_ids, self.prompts.pad_id,
                                    chunk_size or self.score_chunk_size, reduction)
        return score_candidates_trie(self.llm, batch, cands, self.embed_ids, self.prompts.pad_id,
                                     reduction, top_k=top_k)

    # ------------------------------------------------------------------ export
    def trainable_parameter_names(self) -> List[str]:
        return [n for n, p in self.named_parameters() if p.requires_grad]

    def save_adapter(self, directory: Union[str, os.PathLike]) -> Path:
        """Export what was trained in a format other tools load without hhir.

        LoRA: PEFT format (``adapter_config.json`` + ``adapter_model.safetensors``,
        ``peft.PeftModel.from_pretrained(base, directory)``). Full fine-tuning:
        a ``save_pretrained`` model folder. Added tokens go to
        ``new_tokens.safetensors`` + ``new_tokens.json``; the tokenizer is saved too.
        """
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        if self.lora_cfg is not None or self.full_finetune:
            self.llm.save_pretrained(str(d), safe_serialization=True)
        self.tokenizer.save_pretrained(str(d))
        if self.new_token_embeds is not None:
            from safetensors.torch import save_file

            save_file({"embeds": self.new_token_embeds.detach().float().cpu().contiguous()},
                      str(d / NEW_TOKENS_FILE))
            (d / "new_tokens.json").write_text(json.dumps(
                {"names": self.new_token_names, "base_vocab": self.base_vocab}, indent=1))
        return d
