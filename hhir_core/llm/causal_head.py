"""``CausalLMHead``: a (frozen, optionally LoRA-tuned) causal LM (the ``CausalLM`` contract).

Why: LLM-AR, SKI-LVLM and OV-HHIR all feed soft tokens (projected skeleton /
video features) into a causal LM and need the same four operations — loss on
answer tokens, multi-turn chat loss, greedy generation and class scoring. This
class is those operations; prompt layout lives in :mod:`.prompting`, scoring
in :mod:`.scoring`, loading in :mod:`.loading`, LoRA in :mod:`.lora`.
"""
from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

import torch
from torch import nn

from hhir_core.errors import ConfigError, HHIRError
from hhir_core.interfaces.language_head import CausalLM

from .loading import ModelSpec, load_causal_lm
from .lora import apply_lora
from .prompting import (
    IGNORE_INDEX,
    Conversation,
    LLMBatch,
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
#: class-name candidates per forward pass in :meth:`CausalLMHead.score_classes`
SCORE_CHUNK_SIZE = 32


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
        gradient_checkpointing: trade compute for memory on large LLMs.
    """

    def __init__(self, model: ModelSpec = "smollm2", lora: Optional[Mapping[str, Any]] = None,
                 freeze: bool = True, full_finetune: bool = False, dtype: Any = "float32",
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
        self.new_token_names: List[str] = []
        self.new_token_embeds: Optional[nn.Parameter] = None
        self.prompts = PromptBuilder(tokenizer, self.embed_ids, self._embed_dim)
        #: decoder block whose input receives the soft tokens (``None``: the input embeddings)
        self.inject_layer: Optional[int] = None
        #: soft-token names injected there (``None``: all)
        self.inject_names: Optional[Tuple[str, ...]] = None
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
                                                 requires_grad=True)
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

    def _decoder(self, what: str) -> Tuple[nn.Module, nn.ModuleList]:
        """``(decoder, decoder.layers)`` of the (possibly PEFT-wrapped) LLM."""
        llm = self.llm
        base = llm.get_base_model() if hasattr(llm, "get_base_model") else llm
        decoder = getattr(base, "model", None)
        layers = getattr(decoder, "layers", None)
        if not isinstance(layers, nn.ModuleList):
            raise ConfigError(f"{what}: this LLM has no `model.layers` block list")
        return decoder, layers

    def truncate_layers(self, num_layers: int) -> None:
        """Keep the first ``num_layers`` transformer blocks of the LLM (in place).

        A "model size" change for CPUs (the mini configs' ``llm_layers``); the
        paper-faithful configs never use it.
        """
        decoder, layers = self._decoder("llm_layers")
        base = self.llm.get_base_model() if hasattr(self.llm, "get_base_model") else self.llm
        if not 1 <= num_layers <= len(layers):
            raise ConfigError(f"llm_layers={num_layers}: the LLM has {len(layers)} layers")
        if self.inject_layer is not None and self.inject_layer >= num_layers:
            raise ConfigError(f"llm_layers={num_layers}: soft tokens are injected at block "
                              f"{self.inject_layer}, which truncation would remove")
        decoder.layers = nn.ModuleList(list(layers)[:num_layers])
        cfg = base.config
        cfg.num_hidden_layers = num_layers
        if getattr(cfg, "layer_types", None):
            cfg.layer_types = list(cfg.layer_types)[:num_layers]

    # ------------------------------------------------------ mid-layer soft tokens
    def inject_soft_tokens_at(self, layer: Union[None, int, str],
                              names: Optional[Sequence[str]] = None) -> Optional[int]:
        """Feed soft tokens into the input of decoder block ``layer`` instead of the input embeddings.

        ``layer``: ``k`` in ``1..N-1`` (``N`` decoder blocks), ``'middle'`` (``N // 2``),
        or ``0``/``None`` for the input embeddings (the default). ``names``: the
        soft-token entries this applies to (``None``: all). Returns the block index
        (``None`` for the input embeddings).

        Replace, not add: at block ``k``'s input the hidden states at the soft-token
        positions are *set* to the soft tokens, so from block ``k`` on the LLM sees
        the features exactly as they are (the mid-layer counterpart of splicing them
        into the input embeddings, which also replaces what stands there). Adding
        them would mix in what blocks ``0..k-1`` computed at those positions from a
        placeholder that carries no sample information, and would make the
        features' effect depend on the residual stream's scale at block ``k``.
        Below block ``k`` those positions hold a zero embedding (a placeholder with
        no token identity), so blocks ``0..k-1`` compute exactly what they compute
        for the prompt with zero vectors spliced in. Training loss, ``generate``
        (on the prompt pass; the KV cache holds the rest) and ``score_classes``
        all honour it.
        """
        _, layers = self._decoder("inject layer")
        n = len(layers)
        if layer == "middle":
            layer = n // 2
        if layer is not None and (isinstance(layer, bool) or not isinstance(layer, int)
                                  or not 0 <= layer < n):
            raise ConfigError(f"decoder block {layer!r} does not exist: the LLM has {n} blocks; "
                              f"use 1..{n - 1}, 'middle' (= {n // 2}) or 0/None for the input "
                              "embeddings")
        self.inject_layer = layer or None
        self.inject_names = None if names is None else tuple(names)
        return self.inject_layer

    def _injection_plan(self, batch: LLMBatch) -> Tuple[LLMBatch, Optional[Tuple[torch.Tensor, torch.Tensor]]]:
        """``batch`` with zero embeddings at the injected soft-token positions, and ``(mask, values)``."""
        if self.inject_layer is None or not batch.soft_positions:
            return batch, None
        names = [n for n in batch.soft_positions
                 if self.inject_names is None or n in self.inject_names]
        if not names:
            return batch, None
        mask = torch.stack([batch.soft_positions[n] for n in names]).any(0)  # [B, T]
        values = batch.inputs_embeds
        placeholder = values.masked_fill(mask[..., None], 0.0)
        return LLMBatch(placeholder, batch.attention_mask, batch.position_ids, batch.labels,
                        batch.lengths, batch.soft_positions), (mask, values)

    @contextlib.contextmanager
    def _injecting(self, plan: Optional[Tuple[torch.Tensor, torch.Tensor]]) -> Iterator[None]:
        """Within: the next call of block ``inject_layer`` gets ``values`` at ``mask``'s positions.

        One call only: that is the full-sequence pass (loss) or the prompt pass
        (generation, scoring); later passes over new tokens read the prompt's KV cache.
        """
        if plan is None:
            yield
            return
        mask, values = plan
        _, layers = self._decoder("inject layer")
        fired = [False]

        def hook(module: nn.Module, args: tuple, kwargs: dict):
            if fired[0]:
                return None
            fired[0] = True
            h = args[0] if args else kwargs["hidden_states"]
            if tuple(h.shape[:2]) != tuple(mask.shape):
                raise HHIRError(f"soft-token injection at block {self.inject_layer}: hidden states "
                                f"{tuple(h.shape)} do not match the prompt batch {tuple(mask.shape)}")
            h = torch.where(mask[..., None], values.to(h.dtype), h)
            if args:
                return (h,) + tuple(args[1:]), kwargs
            return args, {**kwargs, "hidden_states": h}

        handle = layers[self.inject_layer].register_forward_pre_hook(hook, with_kwargs=True)
        try:
            yield
        finally:
            handle.remove()
        if not fired[0]:
            raise HHIRError(f"soft-token injection: decoder block {self.inject_layer} never ran")

    def token_string(self, ids: torch.Tensor) -> List[str]:
        """Render ``[B, L]`` added-token indices (0..K-1) as prompt text, e.g. ``"<act_3><act_17>"``."""
        return ["".join(self.new_token_names[int(i)] for i in row) for row in ids]

    # ------------------------------------------------------------------ losses
    def _run_loss(self, samples, soft_tokens) -> Dict[str, torch.Tensor]:
        batch = self.prompts.build(samples, soft_tokens, padding_side="right", device=self.device)
        if bool((batch.labels >= self.base_vocab).any()):
            raise HHIRError("answers may not contain added vocabulary tokens (they are input-only)")
        batch, plan = self._injection_plan(batch)
        kw = dict(inputs_embeds=batch.inputs_embeds, attention_mask=batch.attention_mask,
                  position_ids=batch.position_ids, use_cache=False)
        split = decoder_and_head(self.llm)
        if split is None:
            with self._injecting(plan):
                return {"loss": self.llm(**kw, labels=batch.labels).loss}
        # the output layer only where a label is predicted (token t+1 at position t): the
        # same mean cross-entropy as ``labels=``, without the ``[B, T, vocab]`` logits
        decoder, head = split
        with self._injecting(plan):
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
        batch, plan = self._injection_plan(self._prompt_batch(prompts, soft_tokens))
        B = batch.inputs_embeds.shape[0]
        eos = self.tokenizer.eos_token_id
        mask, pos = batch.attention_mask, batch.position_ids[:, -1:]
        with self._injecting(plan):  # the prompt pass only: new tokens read its KV cache
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
        batch, plan = self._injection_plan(self._prompt_batch(prompts, soft_tokens))
        cands = self.candidate_ids(class_names)
        if method == "exhaustive" and top_k is not None:
            raise HHIRError("score_classes: top_k needs method='trie'")
        # both run the prompt first (the injected pass), then the candidates on its KV cache
        with self._injecting(plan):
            if method == "exhaustive":
                return score_candidates(self.llm, batch, cands, self.embed_ids, self.prompts.pad_id,
                                        chunk_size or SCORE_CHUNK_SIZE, reduction)
            return score_candidates_trie(self.llm, batch, cands, self.embed_ids,
                                         self.prompts.pad_id, reduction, top_k=top_k)

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
