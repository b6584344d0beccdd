"""SkeletonCLIP Distillation (SCD): the skeleton CLIP teaches the video CLIP.

Why logits over the class set: SKI distils *language-contextualised* logits
``F_LV = z_v·z_tvᵀ`` (video vs. class texts) and ``F_LS = z_s·z_tsᵀ`` (skeleton
vs. class texts), so the two modalities meet in the space both share — the
similarity to the same class descriptions — without a feature adaptor. The
paper's ablations also distil features directly (with and without a learned
projection); ``feature_kd`` covers those.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from hhir_core.errors import ConfigError
from hhir_core.interfaces import Distiller

LOGIT_LOSSES = ("mse", "kl", "contrastive", "none")
FEATURE_KD = (None, "direct", "projected")


class SkeletonCLIPDistiller(Distiller, nn.Module):
    """Distillation losses between a student (video) and a teacher (skeleton).

    ``forward(student, teacher, targets=None)``: ``student``/``teacher`` dicts with
    ``logits`` ``[B,K]`` (the language-contextualised logits) and, for feature KD,
    ``features`` ``[B,D_s]`` / ``[B,D_t]``. Returns ``loss_distill`` (already
    weighted by ``alpha``) and, with ``feature_kd``, ``loss_feat_kd``.

    Args:
        alpha: weight of the logit distillation (0.01 NTU60, 10.0 NTU120 in the paper).
        loss: ``mse`` (paper), ``kl`` (temperature ``tau``, scaled by tau²) or
            ``contrastive`` (InfoNCE between the per-sample logit vectors of
            student and teacher across the batch, temperature ``tau``), or ``none``.
        mode: ``online`` (teacher trains too; gradients flow into it through the
            distillation term — the paper's default) or ``offline`` (teacher
            outputs are detached here; the recognizer also freezes the teacher).
        feature_kd: ``None``, ``direct`` (MSE between L2-normalised features; needs
            equal widths) or ``projected`` (a learned linear map student -> teacher
            width first).
    """

    def __init__(self, alpha: float = 0.01, loss: str = "mse", mode: str = "online",
                 tau: float = 1.0, feature_kd: Optional[str] = None, feature_weight: float = 1.0,
                 student_dim: Optional[int] = None, teacher_dim: Optional[int] = None) -> None:
        nn.Module.__init__(self)
        if loss not in LOGIT_LOSSES:
            raise ConfigError(f"SkeletonCLIPDistiller.loss={loss!r}; choose one of {LOGIT_LOSSES}")
        if mode not in ("online", "offline"):
            raise ConfigError(f"SkeletonCLIPDistiller.mode={mode!r}; choose 'online' or 'offline'")
        if feature_kd not in FEATURE_KD:
            raise ConfigError(f"SkeletonCLIPDistiller.feature_kd={feature_kd!r}; "
                              f"choose one of {FEATURE_KD}")
        if loss == "none" and feature_kd is None:
            raise ConfigError("SkeletonCLIPDistiller: loss='none' without feature_kd distils "
                              "nothing; set alpha=0 in the recognizer instead")
        self.alpha, self.loss, self.mode, self.tau = float(alpha), loss, mode, float(tau)
        self.feature_kd, self.feature_weight = feature_kd, float(feature_weight)
        self.proj: Optional[nn.Module] = None
        if feature_kd == "projected":
            if not (student_dim and teacher_dim):
                raise ConfigError("SkeletonCLIPDistiller: feature_kd='projected' needs "
                                  "student_dim and teacher_dim")
            self.proj = nn.Linear(student_dim, teacher_dim)

    @property
    def online(self) -> bool:
        return self.mode == "online"

    def logit_loss(self, s: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """Unweighted distillation loss between student and teacher logits ``[B,K]``."""
        if s.shape != t.shape:
            raise ConfigError(f"SkeletonCLIPDistiller: student logits {tuple(s.shape)} and "
                              f"teacher logits {tuple(t.shape)} differ (same class set needed)")
        if self.loss == "mse":
            return F.mse_loss(s, t)
        if self.loss == "kl":
            return F.kl_div(F.log_softmax(s / self.tau, -1), F.log_softmax(t / self.tau, -1),
                            reduction="batchmean", log_target=True) * self.tau ** 2
        # contrastive: sample i's student logit vector should match sample i's teacher vector
        sim = F.normalize(s, dim=-1) @ F.normalize(t, dim=-1).t() / self.tau
        target = torch.arange(s.shape[0], device=s.device)
        return 0.5 * (F.cross_entropy(sim, target) + F.cross_entropy(sim.t(), target))

    def feature_loss(self, fs: torch.Tensor, ft: torch.Tensor) -> torch.Tensor:
        """MSE between L2-normalised student (optionally projected) and teacher features."""
        if self.proj is not None:
            fs = self.proj(fs)
        if fs.shape != ft.shape:
            raise ConfigError(f"SkeletonCLIPDistiller: feature_kd='direct' needs equal widths, "
                              f"got student {tuple(fs.shape)} teacher {tuple(ft.shape)}; "
                              "use feature_kd='projected'")
        return F.mse_loss(F.normalize(fs, dim=-1), F.normalize(ft, dim=-1))

    def forward(self, student: Dict[str, torch.Tensor], teacher: Dict[str, torch.Tensor],
                targets: Any = None) -> Dict[str, torch.Tensor]:
        if not self.online:
            teacher = {k: v.detach() for k, v in teacher.items()}
        losses: Dict[str, torch.Tensor] = {}
        if self.loss != "none":
            losses["loss_distill"] = self.alpha * self.logit_loss(student["logits"], teacher["logits"])
        if self.feature_kd is not None:
            losses["loss_feat_kd"] = self.feature_weight * self.feature_loss(
                student["features"], teacher["features"])
        return losses

    @classmethod
    def tiny(cls, **overrides: Any) -> "SkeletonCLIPDistiller":
        cfg: Dict[str, Any] = dict(alpha=1.0, loss="mse", mode="online")
        cfg.update(overrides)
        return cls(**cfg)

    def example_inputs(self, batch_size: int = 2) -> Tuple[tuple, Dict[str, Any]]:
        g = torch.Generator().manual_seed(0)
        s = dict(logits=torch.randn(batch_size, 5, generator=g, requires_grad=True),
                 features=torch.randn(batch_size, 8, generator=g))
        t = dict(logits=torch.randn(batch_size, 5, generator=g, requires_grad=True),
                 features=torch.randn(batch_size, 8, generator=g))
        return (s, t), {}
