"""LanguageHead role: the language side of a method, as two contracts.

Both are registered under the role ``language_head`` (configs keep saying
``type=...`` in a ``llm=`` / ``text_encoder=`` / ``language_head=`` slot); each
slot states which contract it needs:

* :class:`CausalLM` — a causal LM taking soft tokens. Prompts contain
  placeholders ``<name>`` replaced by ``soft_tokens[name]`` (``[B,L,D]``
  embeddings, ``D == embed_dim``).
* :class:`TextEncoder` — sentence embeddings of texts.
"""
from __future__ import annotations

import abc
from typing import Any, Callable, Dict, List, Optional, Sequence

from .base import RoleComponent, capability, missing_capability


class LanguageHead(RoleComponent):
    """Base of :class:`CausalLM` and :class:`TextEncoder` (the ``language_head`` role)."""

    role = "language_head"

    @property
    @abc.abstractmethod
    def embed_dim(self) -> int:
        """Input-embedding width (causal LM) or output width (text encoder)."""

    @property
    def device(self):
        """Where inputs should go (the first parameter's or buffer's device)."""
        import torch

        for t in list(self.parameters()) + list(self.buffers()):  # type: ignore[attr-defined]
            return t.device
        return torch.device("cpu")


class CausalLM(LanguageHead):
    """A causal LM with soft-token prompts (loss, generation, class scoring).

    Required:

    * ``forward(prompts: list[str], answers: list[str], soft_tokens: dict | None)
      -> dict(loss=scalar)`` — mean cross-entropy on the answer tokens only;
    * ``generate(prompts, soft_tokens=None, max_new_tokens=16) -> list[str]`` — a
      prompt is a string or a conversation (list of ``{"from", "value"}`` turns
      ending in a human turn);
    * ``score_classes(prompts, soft_tokens, class_names, reduction='sum', top_k=None)
      -> [B,K]`` log-likelihood of each class name after each prompt (``'mean'``: per
      token); with ``top_k=k`` only the ``k`` best must be exact (same set and order),
      the other entries may hold upper bounds below the ``k``-th;
    * ``input_embeddings() -> [V, embed_dim]`` the (detached) word-embedding matrix;
    * ``embed_dim``; ``device`` (default: where the parameters are).

    ``frozen_state_prefixes`` lists state-dict prefixes of frozen weights that
    checkpoints may skip (they are rebuilt from the config).
    """

    #: state-dict prefixes (relative to this module) that checkpoints leave out
    frozen_state_prefixes: Sequence[str] = ()
    #: how added vocabulary tokens are named (``format(i)``), see :meth:`add_vocab_tokens`
    new_token_format: str = "<act_{}>"
    optional_capabilities = {
        "chat_loss": "multi-turn loss on every assistant turn (OV-HHIR)",
        "add_vocab_tokens": "adds input-only vocabulary tokens with given embeddings "
                            "(LLM-AR's token_mode='vocab')",
        "token_string": "renders added-token indices as prompt text (LLM-AR's token_mode='vocab')",
        "truncate_layers": "keeps only the first n decoder blocks (the mini configs' llm_layers)",
        "inject_soft_tokens_at": "feeds soft tokens into an intermediate decoder block instead of "
                                 "the input embeddings (LLM-AR's inject_layer)",
        "save_adapter": "exports what was trained in a standard format (default: the trainable "
                        "parameters as trainable.safetensors)",
    }

    @abc.abstractmethod
    def forward(self, prompts: Sequence[str], answers: Sequence[str],
                soft_tokens: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        """``dict(loss=scalar)``: cross-entropy on the answers after the prompts."""

    @abc.abstractmethod
    def generate(self, prompts: Sequence[Any], soft_tokens: Optional[Dict[str, Any]] = None,
                 max_new_tokens: int = 16) -> List[str]:
        """Greedy continuation of each prompt."""

    @abc.abstractmethod
    def score_classes(self, prompts: Sequence[Any], soft_tokens: Optional[Dict[str, Any]],
                      class_names: Sequence[str], reduction: str = "sum",
                      top_k: Optional[int] = None) -> Any:
        """``[B, K]`` log-likelihood of every class name after every prompt (top ``top_k`` exact)."""

    @abc.abstractmethod
    def input_embeddings(self) -> Any:
        """``[V, embed_dim]`` word embeddings (detached; base vocabulary)."""

    @capability
    def chat_loss(self, conversations: Sequence[Any],
                  soft_tokens: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        """``dict(loss=scalar)`` on every assistant turn of multi-turn conversations."""
        raise missing_capability(self, "chat_loss")

    @capability
    def add_vocab_tokens(self, names: Sequence[str], init_embeds: Any = None) -> List[int]:
        """Add (or re-initialise) input-only tokens ``names`` with rows of ``init_embeds``."""
        raise missing_capability(self, "add_vocab_tokens")

    @capability
    def token_string(self, ids: Any) -> List[str]:
        """Render ``[B, L]`` indices of added tokens (0..K-1, in order added) as prompt text."""
        raise missing_capability(self, "token_string")

    @capability
    def truncate_layers(self, num_layers: int) -> None:
        """Keep the first ``num_layers`` decoder blocks (in place)."""
        raise missing_capability(self, "truncate_layers")

    @capability
    def inject_soft_tokens_at(self, layer: Any, names: Optional[Sequence[str]] = None) -> Optional[int]:
        """From now on, soft tokens ``names`` (``None``: all) enter at the input of decoder
        block ``layer`` (``1..N-1``, ``'middle'`` = ``N // 2``; ``0``/``None``: the input
        embeddings) in ``forward``, ``generate`` and ``score_classes``; their input-embedding
        positions hold a placeholder. Returns the block index (``None``: input embeddings);
        a block that does not exist is a ``ConfigError``."""
        raise missing_capability(self, "inject_soft_tokens_at")

    @capability
    def save_adapter(self, directory: str) -> Any:
        """Export what was trained; default: trainable parameters as safetensors."""
        from pathlib import Path

        from safetensors.torch import save_file

        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        state = {n: p.detach().float().cpu().contiguous()
                 for n, p in self.named_parameters() if p.requires_grad}  # type: ignore[attr-defined]
        save_file(state, str(d / "trainable.safetensors"))
        return d

    def check_output(self, output, args, kwargs) -> None:
        loss = output["loss"]
        assert loss.dim() == 0, f"loss is not a scalar: {tuple(loss.shape)}"

    def capability_checks(self) -> Dict[str, Callable[[], str]]:
        import torch

        _, kw = self.example_inputs()
        prompts, soft = list(kw["prompts"]), kw.get("soft_tokens")
        names = ["hand waving", "punching", "kicking"]
        checks: Dict[str, Callable[[], str]] = {}

        def score() -> str:
            s = self.score_classes(prompts, soft, names)
            assert tuple(s.shape) == (len(prompts), len(names)), f"score_classes {tuple(s.shape)}"
            assert torch.isfinite(s.float()).all(), "non-finite class scores"
            m = self.score_classes(prompts, soft, names, reduction="mean")
            assert tuple(m.shape) == tuple(s.shape), "reduction='mean' changed the shape"
            return f"[{len(prompts)}, {len(names)}]"

        def generate() -> str:
            texts = self.generate(prompts, soft, max_new_tokens=2)
            assert isinstance(texts, list) and len(texts) == len(prompts) \
                and all(isinstance(t, str) for t in texts), "generate must return one str per prompt"
            return f"{len(texts)} texts"

        def embeddings() -> str:
            e = self.input_embeddings()
            assert e.dim() == 2 and e.shape[1] == self.embed_dim, \
                f"input_embeddings() {tuple(e.shape)} is not [V, {self.embed_dim}]"
            return f"[{e.shape[0]}, {e.shape[1]}]"

        checks.update(score_classes=score, generate=generate, input_embeddings=embeddings)
        if self.supports("chat_loss"):
            def chat() -> str:
                conv = [[{"from": "human", "value": "What happens?"},
                         {"from": "gpt", "value": "Two people shake hands."}]] * len(prompts)
                loss = self.chat_loss(conv, None)["loss"]
                assert loss.dim() == 0 and torch.isfinite(loss), f"chat_loss {loss}"
                return f"{float(loss.detach()):.3f}"
            checks["chat_loss"] = chat
        if self.supports("add_vocab_tokens") or self.supports("token_string"):
            def vocab() -> str:
                k = 3
                init = torch.randn(k, self.embed_dim)
                self.add_vocab_tokens([self.new_token_format.format(i) for i in range(k)], init)
                text = self.token_string(torch.tensor([[0, 2, 1]]))
                assert isinstance(text, list) and len(text) == 1 and isinstance(text[0], str)
                s = self.score_classes([p.replace("<tokens>", text[0]) for p in prompts], None, names)
                assert torch.isfinite(s.float()).all(), "non-finite scores with added tokens"
                return f"{k} tokens, e.g. {text[0]!r}"
            checks["add_vocab_tokens+token_string"] = vocab
        if self.supports("inject_soft_tokens_at"):
            def inject() -> str:
                from hhir_core.errors import ConfigError

                _, kw = self.example_inputs()
                self.inject_soft_tokens_at(None)
                base = self.score_classes(prompts, soft, names)
                k = self.inject_soft_tokens_at("middle")
                try:
                    if k is None:
                        return "one decoder block: 'middle' is the input embeddings"
                    loss = self.forward(**kw)["loss"]
                    assert loss.dim() == 0 and torch.isfinite(loss), f"loss {loss}"
                    s = self.score_classes(prompts, soft, names)
                    assert tuple(s.shape) == tuple(base.shape) and torch.isfinite(s.float()).all(), \
                        f"score_classes {tuple(s.shape)} with injection"
                    assert not torch.allclose(s.float(), base.float()), \
                        "injecting at a middle block left the class scores unchanged"
                    texts = self.generate(prompts, soft, max_new_tokens=2)
                    assert len(texts) == len(prompts), "generate with injection"
                    try:
                        self.inject_soft_tokens_at(10 ** 6)
                    except ConfigError:
                        pass
                    else:
                        raise AssertionError("a block index beyond the LLM raised no ConfigError")
                finally:
                    self.inject_soft_tokens_at(None)
                return f"block {k}: loss, scores, generation"
            checks["inject_soft_tokens_at"] = inject
        return checks


class TextEncoder(LanguageHead):
    """Texts -> sentence embeddings.

    ``forward(texts: list[str]) -> [N, embed_dim]`` float. Optional:
    ``encode_words(texts) -> (word_embeds [N,W,embed_dim], mask bool [N,W])``.
    """

    optional_capabilities = {
        "encode_words": "per-word embeddings and their mask (PeVL's fine-grained similarity)",
    }

    @abc.abstractmethod
    def forward(self, texts: Sequence[str]) -> Any:
        """``[N, embed_dim]`` sentence embeddings."""

    @capability
    def encode_words(self, texts: Sequence[str]) -> Any:
        """``(word_embeds [N,W,embed_dim], mask [N,W])``."""
        raise missing_capability(self, "encode_words")

    def check_output(self, output, args, kwargs) -> None:
        assert tuple(output.shape) == (len(args[0]), self.embed_dim), f"output {tuple(output.shape)}"
        assert output.is_floating_point(), f"dtype {output.dtype} is not floating"

    def capability_checks(self) -> Dict[str, Callable[[], str]]:
        checks: Dict[str, Callable[[], str]] = {}
        if self.supports("encode_words"):
            args, _ = self.example_inputs()
            texts = list(args[0])

            def words() -> str:
                w, m = self.encode_words(texts)
                assert w.dim() == 3 and w.shape[0] == len(texts) and w.shape[2] == self.embed_dim, \
                    f"word embeds {tuple(w.shape)}"
                assert tuple(m.shape) == tuple(w.shape[:2]), f"mask {tuple(m.shape)}"
                return f"{tuple(w.shape)}"
            checks["encode_words"] = words
        return checks
