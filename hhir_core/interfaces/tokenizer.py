"""Tokenizer role: turn a stream into LLM-ready tokens.

Two contracts share the role:

* :class:`Tokenizer` — ``forward(tokens [B,N,D_in]) -> TokenizerOutput`` with
  ``embeds`` float ``[B,L,D_llm]`` (``D_llm == self.llm_dim``), optional ``ids``
  long ``[B,L]`` (codebook indices; ``None`` for continuous tokenizers) and
  ``losses`` (a dict of scalar tensors, possibly empty).
* :class:`SkeletonTokenizer` — the same output from raw skeletons
  ``[B,M,T,V,C]``; it owns its encoder (and usually a decoder), so it trains on
  its own losses (LLM-AR's stage 1). Optional capabilities let a method hand it
  the LLM's word embeddings, initialise its codebook from them, and read its
  code vectors (to turn codes into vocabulary tokens).
"""
from __future__ import annotations

import abc
from typing import Callable, Dict, Optional

from .base import RoleComponent, capability, missing_capability


class Tokenizer(RoleComponent):
    """Stream -> LLM-width embeddings (+ optional code ids and own losses)."""

    role = "tokenizer"
    input_kind: str = "tokens"

    @property
    @abc.abstractmethod
    def llm_dim(self) -> int:
        """Width of the produced embeddings (the LLM's word-embedding size)."""

    @abc.abstractmethod
    def forward(self, x, **extra):
        """Return a :class:`~hhir_core.structures.TokenizerOutput`."""

    def check_output(self, output, args, kwargs) -> None:
        from ..structures import TokenizerOutput

        assert isinstance(output, TokenizerOutput), \
            f"must return a TokenizerOutput, got {type(output).__name__}"
        e = output.embeds
        assert e.dim() == 3 and e.shape[0] == args[0].shape[0], f"embeds {tuple(e.shape)}"
        assert e.shape[-1] == self.llm_dim, f"embeds width {e.shape[-1]} != llm_dim {self.llm_dim}"
        if output.ids is not None:
            assert output.ids.shape == e.shape[:2], f"ids {tuple(output.ids.shape)}"
            assert not output.ids.is_floating_point(), "ids must be integers"
        for k, v in output.losses.items():
            assert v.dim() == 0, f"loss {k} is not a scalar"


class SkeletonTokenizer(Tokenizer):
    """Raw skeletons ``[B,M,T,V,C]`` -> action tokens ``[B,L,llm_dim]`` (+ ids, own losses).

    ``forward(x, compute_losses=True) -> TokenizerOutput``:

    * ``embeds`` float ``[B,L,llm_dim]`` — what goes into the LLM;
    * ``ids`` long ``[B,L]`` in ``0..num_codes-1`` for a codebook tokenizer, else ``None``;
    * ``losses`` — with ``compute_losses=True`` the tokenizer's own weighted scalar losses
      (keys start with ``loss_``; what its training stage minimises); ``{}`` otherwise;
    * ``extras["recon_error"]`` float ``[B]`` — with ``compute_losses=True``, one
      per-sample error of the tokenizer's own objective (reconstruction error for an
      autoencoder); stage-1 evaluation reports its mean.

    ``in_channels == M*V*C`` is what the tokenizer expects per frame; a method fills
    ``llm_dim`` from its LLM (``injected_args``).
    """

    input_kind = "skeleton"
    #: the LLM width is given by the method that hosts the tokenizer
    injected_args = ("llm_dim",)
    #: codebook size (``ids`` lie in ``0..num_codes-1``); ``None`` without a codebook
    num_codes: Optional[int] = None
    optional_capabilities = {
        "set_reference_embeddings": "receives a sample of the frozen LLM's word embeddings "
                                    "[V, llm_dim] before training, e.g. for an MMD loss; "
                                    "default: ignored",
        "init_codebook_from": "initialises the codebook from LLM word embeddings "
                              "(LLM-AR's codebook_init='llm')",
        "code_vectors": "returns the [num_codes, llm_dim] vector of every code id, so codes "
                        "can become vocabulary tokens (LLM-AR's token_mode='vocab')",
    }

    @abc.abstractmethod
    def forward(self, x, compute_losses: bool = True, **extra):
        """Tokenize ``x [B,M,T,V,C]``; see the class docstring for the output."""

    @capability
    def set_reference_embeddings(self, embeddings, num_samples: Optional[int] = None,
                                 seed: int = 0) -> None:
        """Keep (a sample of) the LLM's word embeddings ``[V, llm_dim]``; default: ignore them."""

    @capability
    def init_codebook_from(self, embeddings, seed: int = 0) -> None:
        """Initialise the codebook from rows of ``embeddings [V, llm_dim]``."""
        raise missing_capability(self, "init_codebook_from")

    @capability
    def code_vectors(self):
        """``[num_codes, llm_dim]``: ``embeds`` of a token with id ``k`` is row ``k`` (eval mode)."""
        raise missing_capability(self, "code_vectors")

    def check_output(self, output, args, kwargs) -> None:
        super().check_output(output, args, kwargs)
        if kwargs.get("compute_losses", True):
            err = output.extras.get("recon_error")
            assert err is not None, "compute_losses=True but extras['recon_error'] is missing"
            assert tuple(err.shape) == (args[0].shape[0],), \
                f"extras['recon_error'] must be [B], got {tuple(err.shape)}"
        else:
            assert not output.losses, "compute_losses=False but losses were returned"
        if output.ids is not None:
            assert self.num_codes, "ids are returned but num_codes is not set"
            assert int(output.ids.min()) >= 0 and int(output.ids.max()) < int(self.num_codes), \
                f"ids outside 0..{self.num_codes - 1}"

    def capability_checks(self) -> Dict[str, Callable[[], str]]:
        import torch

        checks: Dict[str, Callable[[], str]] = {}
        args, _ = self.example_inputs()
        x = args[0]

        def reference() -> str:
            self.set_reference_embeddings(torch.randn(64, self.llm_dim), num_samples=32, seed=0)
            out = self(x, compute_losses=True)
            self.check_output(out, (x,), {"compute_losses": True})
            bad = [k for k, v in out.losses.items() if not torch.isfinite(v)]
            assert not bad, f"non-finite losses after set_reference_embeddings: {bad}"
            return f"losses {sorted(out.losses)}"

        def without_losses() -> str:
            out = self(x, compute_losses=False)
            self.check_output(out, (x,), {"compute_losses": False})
            return "no losses, same contract"

        checks["compute_losses=False"] = without_losses
        if self.supports("set_reference_embeddings"):
            checks["set_reference_embeddings"] = reference
        if self.supports("init_codebook_from"):
            def init() -> str:
                emb = torch.randn(40, self.llm_dim)
                self.init_codebook_from(emb, seed=0)
                out = self(x, compute_losses=False)
                self.check_output(out, (x,), {"compute_losses": False})
                return "ok"
            checks["init_codebook_from"] = init
        if self.supports("code_vectors"):
            def codes() -> str:
                assert self.num_codes, "code_vectors() is declared but num_codes is not set"
                self.train(False) if hasattr(self, "train") else None
                with torch.no_grad():
                    vecs = self.code_vectors()
                    out = self(x, compute_losses=False)
                assert tuple(vecs.shape) == (self.num_codes, self.llm_dim), \
                    f"code_vectors() {tuple(vecs.shape)} != ({self.num_codes}, {self.llm_dim})"
                assert out.ids is not None, "code_vectors() is declared but ids is None"
                got = vecs[out.ids].to(out.embeds.dtype)
                assert torch.allclose(got, out.embeds, rtol=1e-4, atol=1e-5), \
                    "embeds != code_vectors()[ids] in eval mode"
                return f"[{self.num_codes}, {self.llm_dim}], embeds == code_vectors()[ids]"
            checks["code_vectors"] = codes
        return checks
