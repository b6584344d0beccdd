"""LLM-AR tokenizers (role ``tokenizer``): skeleton sequence -> action sentence.

* :class:`HyperbolicVQTokenizer` — the paper's linguistic projection: VQ-VAE with
  a Poincaré-ball codebook and the human-inductive-bias losses.
* :class:`EuclideanVQTokenizer` — same with a Euclidean codebook (ablation).
* :class:`ContinuousTokenizer` — no discretisation: the encoder's latents go
  straight to the LLM (ablation).

All three share one signature so an ablation config can swap ``type`` alone.
``forward(x)`` takes ``[B, T, M·V·C]`` or ``[B, M, T, V, C]`` skeletons and returns
a :class:`~hhir_core.structures.TokenizerOutput` whose ``embeds`` ``[B, T/4, D]``
are the code vectors in tangent space (the LLM's word-embedding space) and whose
``losses`` are already weighted (keys start with ``loss_``).
"""
from __future__ import annotations

from typing import Any, Dict, Mapping, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from hhir_core.errors import ConfigError, DataError
from hhir_core.interfaces import SkeletonTokenizer
from hhir_core.structures import TokenizerOutput

from . import bias_losses as bl
from .vq import EuclideanQuantizer, HyperbolicQuantizer, TemporalConvDecoder, TemporalConvEncoder

#: Two readings of the stage-1 objective (paper Eq. 12, L = L_rec + α·L_commit + β·L_bias,
#: α = 0.02 "following previous VQ-VAE works", β = 0.2):
#:
#: * ``'paper'`` (default): α on the commitment term, as in the T2M-GPT recipe the paper
#:   copies (its commitment weight is 0.02); the codebook term keeps the usual VQ-VAE weight 1;
#:   β on each human-inductive-bias loss (Zipf, context, MMD).
#: * ``'embedding_alpha'``: α on the codebook (embedding) term, β on commitment, bias losses
#:   Zipf / context 1 and MMD 0.1 (measured below ``'paper'`` on the mini: docs/llm_ar.md).
LOSS_WEIGHT_PRESETS: Dict[str, Dict[str, float]] = {
    "paper": dict(recon=1.0, embedding=1.0, commitment=0.02, zipf=0.2, context=0.2, mmd=0.2),
    "embedding_alpha": dict(recon=1.0, embedding=0.02, commitment=0.2, zipf=1.0, context=1.0,
                            mmd=0.1),
}
DEFAULT_LOSS_WEIGHTS = dict(LOSS_WEIGHT_PRESETS["paper"])


def resolve_loss_weights(loss_weights: Optional[Mapping[str, Any]]) -> Dict[str, float]:
    """``dict(preset=NAME, **overrides)`` -> all six weights.

    ``preset`` (default ``'paper'``) names a row of :data:`LOSS_WEIGHT_PRESETS`; the other keys
    override single weights (an ablation sets ``zipf=0.0``). So the other reading is one line:
    ``--cfg-options model.tokenizer.loss_weights.preset=embedding_alpha``.
    """
    weights = dict(loss_weights or {})
    preset = weights.pop("preset", "paper")
    if preset not in LOSS_WEIGHT_PRESETS:
        raise ConfigError(f"tokenizer.loss_weights.preset={preset!r}; presets: "
                          f"{', '.join(LOSS_WEIGHT_PRESETS)}")
    unknown = set(weights) - set(DEFAULT_LOSS_WEIGHTS)
    if unknown:
        raise ConfigError(f"tokenizer.loss_weights has unknown keys {sorted(unknown)}; "
                          f"valid: {sorted(DEFAULT_LOSS_WEIGHTS)} and 'preset'")
    base = LOSS_WEIGHT_PRESETS[preset]
    return {**base, **{k: float(v) for k, v in weights.items()}}


class _SkeletonAutoencoderTokenizer(nn.Module, SkeletonTokenizer):
    """Shared encoder/decoder, input handling and loss bookkeeping."""

    #: whether the quantizer is a codebook (ids, code vectors)
    has_codebook = True

    def __init__(self, in_channels: int = 150, llm_dim: Optional[int] = 576, num_codes: int = 512,
                 curvature: float = 1.0, hidden: int = 256, depth: int = 2,
                 loss_weights: Optional[Dict[str, Any]] = None,
                 zipf: Optional[Dict[str, Any]] = None,
                 gumbel_tau: float = 1.0,
                 mmd: Optional[Dict[str, Any]] = None,
                 latent_scale: float = 1.0) -> None:
        nn.Module.__init__(self)
        if llm_dim is None:
            raise ConfigError("tokenizer.llm_dim is None: inside LLMARRecognizer it follows the "
                              "LLM's embedding width; standalone it must be an int")
        if num_codes < 2 or num_codes % 2:
            raise ConfigError(f"tokenizer.num_codes must be even and ≥ 2 (codes k and k+K/2 "
                              f"are context pairs); got {num_codes}")
        self.in_channels, self._llm_dim = in_channels, llm_dim
        #: ids lie in 0..num_codes-1 (None: a tokenizer without codebook)
        self.num_codes = num_codes if self.has_codebook else None
        self.curvature = curvature
        self.loss_weights = resolve_loss_weights(loss_weights)
        self.zipf_cfg = {**dict(s=1.0, offset=bl.ZIPF_MANDELBROT_OFFSET, top=None, scope="batch"),
                         **dict(zipf or {})}
        self.gumbel_tau = gumbel_tau
        self.mmd_cfg = {**dict(num_samples=1024, scales=(0.25, 0.5, 1.0, 2.0, 4.0)),
                        **dict(mmd or {})}
        for key, cfg, valid in (("zipf", self.zipf_cfg, ("s", "offset", "top", "scope")),
                                ("mmd", self.mmd_cfg, ("num_samples", "scales"))):
            if set(cfg) - set(valid):
                raise ConfigError(f"tokenizer.{key} has unknown keys {sorted(set(cfg) - set(valid))}; "
                                  f"valid: {list(valid)}")
        #: the encoder output is multiplied by this before quantisation (keeps exp0 off the
        #: flat part of tanh at init for wide latents)
        self.latent_scale = latent_scale
        self.encoder = TemporalConvEncoder(in_channels, llm_dim, hidden, depth)
        self.decoder = TemporalConvDecoder(llm_dim, in_channels, hidden, depth)
        self.quantizer = self._make_quantizer(num_codes, llm_dim, curvature)
        # sample of the frozen LLM's input embeddings for the MMD loss (set by the recognizer;
        # not saved: it is re-drawn deterministically from the LLM)
        self.register_buffer("mmd_reference", torch.zeros(0, llm_dim), persistent=False)

    # -- construction hooks ---------------------------------------------------
    def _make_quantizer(self, num_codes: int, dim: int, curvature: float) -> nn.Module:
        raise NotImplementedError

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        # checkpoints written before the bias-loss ramp was removed carry its batch counter
        state_dict.pop(prefix + "train_batches", None)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    @property
    def llm_dim(self) -> int:
        return self._llm_dim

    def set_reference_embeddings(self, embeddings: Tensor, num_samples: Optional[int] = None,
                                 seed: int = 0) -> None:
        """Keep a random sample of the frozen LLM's word embeddings ``[V, D]`` for MMD."""
        if embeddings.dim() != 2 or embeddings.shape[1] != self.llm_dim:
            raise ConfigError(
                f"LLM input embeddings have shape {tuple(embeddings.shape)} but tokenizer.llm_dim "
                f"is {self.llm_dim}; set model.tokenizer.llm_dim to the LLM's hidden size")
        n = int(num_samples or self.mmd_cfg["num_samples"])
        g = torch.Generator().manual_seed(seed)
        idx = torch.randperm(embeddings.shape[0], generator=g)[:n]
        self.mmd_reference = embeddings.detach()[idx].float().clone().to(
            self.quantizer.codebook.device)
        # the reference is fixed: its bandwidths and kernel self-term are computed once
        base = bl.median_bandwidth(self.mmd_reference)
        self._mmd_bandwidths = [base * s for s in self.mmd_cfg["scales"]]
        self._mmd_yy = bl.kernel_mean(self.mmd_reference, self.mmd_reference,
                                      self._mmd_bandwidths).detach()

    # -- input ------------------------------------------------------------------
    def _flatten_input(self, x: Tensor) -> Tensor:
        """``[B,M,T,V,C]`` or ``[B,T,F]`` -> ``[B,T,F]`` with ``F == in_channels``."""
        if x.dim() == 5:
            b, m, t, v, c = x.shape
            x = x.permute(0, 2, 1, 3, 4).reshape(b, t, m * v * c)
        if x.dim() != 3:
            raise DataError(f"tokenizer input must be [B,T,M*V*C] or [B,M,T,V,C]; got "
                            f"{tuple(x.shape)}")
        if x.shape[-1] != self.in_channels:
            raise DataError(f"skeleton input has {x.shape[-1]} channels per frame but "
                            f"tokenizer.in_channels is {self.in_channels} (= M·V·C)")
        return x.float()

    def encode(self, x: Tensor) -> Tuple[Tensor, Tensor, int]:
        """Latents ``[B, L, D]`` (tangent space), the flattened input and the original ``T``."""
        x = self._flatten_input(x)
        t = x.shape[1]
        pad = (-t) % 4
        if pad:  # replicate the last frame so T is a multiple of 4
            x = torch.cat([x, x[:, -1:].expand(-1, pad, -1)], dim=1)
        z = self.encoder(x.transpose(1, 2)).transpose(1, 2) * self.latent_scale
        return z, x, t

    def decode(self, z: Tensor, length: Optional[int] = None) -> Tensor:
        """Latents ``[B, L, D]`` -> skeleton ``[B, T, F]``."""
        y = self.decoder((z / self.latent_scale).transpose(1, 2)).transpose(1, 2)
        return y if length is None else y[:, :length]

    def active_losses(self) -> Dict[str, float]:
        return {k: w for k, w in self.loss_weights.items() if w}

    # -- forward ----------------------------------------------------------------
    def forward(self, x: Tensor, compute_losses: bool = True, **extra: Any) -> TokenizerOutput:
        """Tokenize ``x``; with ``compute_losses`` also reconstruct and return weighted losses."""
        z, xin, t = self.encode(x)
        b, length, d = z.shape
        qz = self.quantizer(z.reshape(b * length, d))
        embeds = qz.codes.reshape(b, length, d)
        ids = qz.ids.reshape(b, length)
        losses: Dict[str, Tensor] = {}
        extras: Dict[str, Any] = {}
        if compute_losses:
            w = self.loss_weights
            recon = self.decode(qz.decoder_input.reshape(b, length, d))
            extras["recon_error"] = F.smooth_l1_loss(recon, xin, reduction="none").mean((1, 2))
            if w["recon"]:
                losses["loss_recon"] = w["recon"] * extras["recon_error"].mean()
            if w["embedding"]:
                losses["loss_embedding"] = w["embedding"] * qz.embedding_loss
            if w["commitment"]:
                losses["loss_commitment"] = w["commitment"] * qz.commitment_loss
            if w["zipf"] or w["context"]:
                assign = bl.soft_assignments(qz.neg_dist, self.gumbel_tau, gumbel=self.training)
                counts = bl.soft_counts(assign.reshape(b, length, -1))
                if w["zipf"]:
                    losses["loss_zipf"] = w["zipf"] * bl.zipf_loss(
                        counts, self.zipf_cfg["s"], self.zipf_cfg["offset"], self.zipf_cfg["top"],
                        self.zipf_cfg["scope"])
                if w["context"]:
                    losses["loss_context"] = w["context"] * bl.context_loss(counts, length)
            if w["mmd"]:
                losses["loss_mmd"] = w["mmd"] * self._mmd()
        return TokenizerOutput(embeds=embeds, ids=ids, losses=losses, extras=extras)

    def _mmd(self) -> Tensor:
        if self.mmd_reference.numel() == 0:
            raise ConfigError(
                "tokenizer.loss_weights.mmd > 0 but no LLM embeddings were given; the recognizer "
                "calls set_reference_embeddings(head.input_embeddings()) — when using the "
                "tokenizer alone call it yourself or set loss_weights.mmd=0")
        ref = self.mmd_reference
        return bl.gaussian_mmd(self.quantizer.tangent_codes(), ref, self._mmd_bandwidths,
                               self._mmd_yy.to(ref.device))

    # -- conformance kit -----------------------------------------------------------
    @classmethod
    def tiny_config(cls) -> Dict[str, Any]:
        """12 input channels, 16-d latents, 8 codes.

        The MMD term needs the LLM's word embeddings, which the recognizer hands
        over at run time (``set_reference_embeddings``); a standalone tokenizer
        has none, so the conformance kit checks it with MMD off (the MMD loss
        itself is tested in tests/llm_ar/test_bias_losses.py).
        """
        return dict(in_channels=12, llm_dim=16, num_codes=8, hidden=16, depth=1,
                    loss_weights=dict(mmd=0.0))

    def example_inputs(self, batch_size: int = 2):
        """Raw skeletons ``[B, M=1, T=16, V, C=3]`` with ``V*C == in_channels``."""
        return (torch.randn(batch_size, 1, 16, self.in_channels // 3, 3),), {}


class _VQTokenizer(_SkeletonAutoencoderTokenizer):
    """A tokenizer with a codebook: ids, code vectors, codebook initialisation."""

    def init_codebook_from(self, embeddings: Tensor, seed: int = 0) -> None:
        """Initialise the codebook (tangent space) with a random sample of ``embeddings``."""
        with torch.no_grad():
            g = torch.Generator().manual_seed(seed)
            idx = torch.randint(0, embeddings.shape[0], (self.num_codes,), generator=g)
            self.quantizer.codebook.copy_(embeddings.detach()[idx].float())
            self.quantizer.initialised.fill_(True)  # no data-driven re-initialisation

    def code_vectors(self) -> Tensor:
        """``[num_codes, llm_dim]``: the codebook as the LLM sees it (tangent space)."""
        return self.quantizer.tangent_codes()


class HyperbolicVQTokenizer(_VQTokenizer):
    """The paper's tokenizer: Poincaré-ball codebook (curvature ``curvature``)."""

    def _make_quantizer(self, num_codes, dim, curvature):
        return HyperbolicQuantizer(num_codes, dim, curvature)


class EuclideanVQTokenizer(_VQTokenizer):
    """Ablation: Euclidean codebook (``curvature`` is ignored)."""

    def _make_quantizer(self, num_codes, dim, curvature):
        return EuclideanQuantizer(num_codes, dim)


class _Identity(nn.Module):
    """Continuous "quantizer": passes latents through (holds no codebook)."""

    def __init__(self) -> None:
        super().__init__()
        # an empty codebook keeps .device / state-dict handling uniform
        self.codebook = nn.Parameter(torch.zeros(0), requires_grad=False)

    def forward(self, z: Tensor):
        return z


class ContinuousTokenizer(_SkeletonAutoencoderTokenizer):
    """Ablation "without discretisation": encoder latents go straight into the LLM.

    There are no codes, so the embedding/commitment and the code-usage losses
    (Zipf, context) do not apply and are dropped; ``loss_weights.mmd`` compares a
    sample of the batch's latents with the LLM embeddings instead of the codebook.
    """

    has_codebook = False

    def _make_quantizer(self, num_codes, dim, curvature):
        return _Identity()

    def active_losses(self) -> Dict[str, float]:
        return {k: w for k, w in self.loss_weights.items() if w and k in ("recon", "mmd")}

    def forward(self, x: Tensor, compute_losses: bool = True, **extra: Any) -> TokenizerOutput:
        z, xin, t = self.encode(x)
        losses: Dict[str, Tensor] = {}
        extras: Dict[str, Any] = {}
        if compute_losses:
            w = self.loss_weights
            recon = self.decode(z)
            extras["recon_error"] = F.smooth_l1_loss(recon, xin, reduction="none").mean((1, 2))
            if w["recon"]:
                losses["loss_recon"] = w["recon"] * extras["recon_error"].mean()
            if w["mmd"]:
                if self.mmd_reference.numel() == 0:
                    raise ConfigError("tokenizer.loss_weights.mmd > 0 but no LLM embeddings "
                                      "were given (set_reference_embeddings)")
                flat = z.reshape(-1, z.shape[-1])
                flat = flat[torch.randperm(flat.shape[0], device=flat.device)[:512]]
                ref = self.mmd_reference
                losses["loss_mmd"] = w["mmd"] * bl.gaussian_mmd(
                    flat, ref, self._mmd_bandwidths, self._mmd_yy.to(ref.device))
        return TokenizerOutput(embeds=z, ids=None, losses=losses, extras=extras)


__all__ = ["HyperbolicVQTokenizer", "EuclideanVQTokenizer", "ContinuousTokenizer",
           "DEFAULT_LOSS_WEIGHTS"]
