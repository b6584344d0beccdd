"""mmaction2's ST-GCN and AAGCN backbones as skeleton BranchEncoders.

Input ``[B,M,T,V,C]`` (the NTU dataset's collated ``keypoint``); the backbone gives
``[B,M,D,T',V]``, which becomes tokens according to ``tokens``:

* ``'time'`` (default) — mean over persons and joints: ``[B,T',D]``, one token per
  temporal step (what LLM-style methods project);
* ``'joint'`` — mean over persons and time: ``[B,V,D]``;
* ``'person_time'`` — mean over joints: ``[B,M*T',D]``.

``pool()`` (mean over tokens) then equals mmaction2's GCNHead global average pooling,
so the baseline recognizer reproduces mmaction2's ST-GCN. mmaction2 is imported only
when an encoder is built, through :func:`hhir_core.compat.import_mmaction_models`
(which applies the work-arounds listed in docs/architecture.md).
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Sequence, Tuple

import torch
from torch import nn

from hhir_core.errors import ConfigError
from hhir_core.interfaces import BranchEncoder

TOKEN_MODES = ("time", "joint", "person_time")
NUM_JOINTS = {"nturgb+d": 25, "coco": 17, "openpose": 18}


def _mmaction_backbone(name: str):
    import importlib

    from hhir_core.compat import import_mmaction_models

    import_mmaction_models()
    return getattr(importlib.import_module("mmaction.models.backbones"), name)


class _MMActionGCNEncoder(BranchEncoder, nn.Module):
    """Shared wrapper: build the mmaction2 backbone, turn its output into tokens."""

    backbone_name = ""

    def __init__(self, graph_cfg: Optional[Dict[str, Any]] = None, in_channels: int = 3,
                 base_channels: int = 64, num_stages: int = 10,
                 inflate_stages: Sequence[int] = (5, 8), down_stages: Sequence[int] = (5, 8),
                 tokens: str = "time", **backbone_kwargs: Any) -> None:
        nn.Module.__init__(self)
        if tokens not in TOKEN_MODES:
            raise ConfigError(f"{type(self).__name__}.tokens must be one of {TOKEN_MODES}, "
                              f"got {tokens!r}")
        graph_cfg = dict(graph_cfg or dict(layout="nturgb+d", mode="stgcn_spatial"))
        layout = graph_cfg.get("layout", "nturgb+d")
        if layout not in NUM_JOINTS:
            raise ConfigError(f"{type(self).__name__}.graph_cfg.layout {layout!r} is not one of "
                              f"{sorted(NUM_JOINTS)}")
        self.graph_cfg, self.tokens = graph_cfg, tokens
        self.in_channels, self.num_joints = in_channels, NUM_JOINTS[layout]
        cls = _mmaction_backbone(self.backbone_name)
        self.backbone = cls(graph_cfg=graph_cfg, in_channels=in_channels,
                            base_channels=base_channels, num_stages=num_stages,
                            inflate_stages=list(inflate_stages), down_stages=list(down_stages),
                            **backbone_kwargs)
        ratio = backbone_kwargs.get("ch_ratio", 2)
        inflations = sum(1 for s in inflate_stages if 2 <= s <= num_stages)
        self._dim = int(base_channels * ratio ** inflations + 1e-4)

    @classmethod
    def accepted_kwargs(cls) -> set:
        """Keys ``**backbone_kwargs`` may hold: mmaction2's own checks are bare asserts.

        The backbone's named parameters, plus ``gcn_<name>`` / ``tcn_<name>`` for the
        graph and temporal units its blocks build (and ``gcn_type`` / ``tcn_type``).
        """
        import importlib
        import inspect

        def names(fn: Any, skip: Tuple[str, ...] = ()) -> set:
            return {p.name for p in inspect.signature(fn).parameters.values()
                    if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
                    and p.name not in ("self",) + skip}

        own = names(_MMActionGCNEncoder.__init__)
        backbone = _mmaction_backbone(cls.backbone_name)
        units = importlib.import_module("mmaction.models.utils.gcn_utils")
        gcn = [units.unit_aagcn] if cls.backbone_name == "AAGCN" else [units.unit_gcn]
        out = own | (names(backbone.__init__) - {"init_cfg", "pretrained"})
        out |= {"gcn_type", "tcn_type"}
        for unit in gcn:
            out |= {f"gcn_{n}" for n in names(unit.__init__, ("in_channels", "out_channels", "A"))}
        for unit in (units.unit_tcn, units.mstcn):
            out |= {f"tcn_{n}" for n in names(unit.__init__, ("in_channels", "out_channels",
                                                              "stride"))}
        return out

    @property
    def out_dim(self) -> int:
        return self._dim

    def forward(self, x: torch.Tensor, **extra: Any) -> torch.Tensor:
        if x.dim() != 5:
            raise ConfigError(f"{type(self).__name__} expects skeletons [B,M,T,V,C], got "
                              f"{tuple(x.shape)}")
        if x.shape[3] != self.num_joints or x.shape[4] != self.in_channels:
            raise ConfigError(f"{type(self).__name__} built for V={self.num_joints}, "
                              f"C={self.in_channels}; got input {tuple(x.shape)} "
                              "(check graph_cfg.layout / in_channels / SkeletonFeatures)")
        feat = self.backbone(x)  # [B, M, D, T', V]
        if self.tokens == "time":
            return feat.mean(dim=(1, 4)).transpose(1, 2)
        if self.tokens == "joint":
            return feat.mean(dim=(1, 3)).transpose(1, 2)
        b, m, d, t, _ = feat.shape
        return feat.mean(dim=4).permute(0, 1, 3, 2).reshape(b, m * t, d)

    @classmethod
    def tiny_config(cls) -> Dict[str, Any]:
        return dict(base_channels=8, num_stages=3, inflate_stages=[3], down_stages=[3])

    def example_inputs(self, batch_size: int = 2) -> Tuple[tuple, Dict[str, Any]]:
        return (torch.randn(batch_size, 2, 16, self.num_joints, self.in_channels),), {}


class STGCNEncoder(_MMActionGCNEncoder):
    """mmaction2 ``STGCN`` (Yan et al., AAAI 2018) as a BranchEncoder.

    Defaults equal mmaction2's ``stgcn_8xb16-joint-u100-80e_ntu120-xsub-keypoint-3d``
    backbone: 10 stages, 64 base channels, inflated and down-sampled at stages 5 and
    8, so ``out_dim == 256``; ``graph_cfg=dict(layout='nturgb+d', mode='stgcn_spatial')``.
    """

    backbone_name = "STGCN"


class AAGCNEncoder(_MMActionGCNEncoder):
    """mmaction2 ``AAGCN`` (2s-AGCN with attention, Shi et al.) as a BranchEncoder.

    ``graph_cfg`` defaults to ``dict(layout='nturgb+d', mode='spatial')`` as in
    mmaction2's AAGCN configs; its data BN is per person (``num_person`` = 2).
    """

    backbone_name = "AAGCN"

    def __init__(self, graph_cfg: Optional[Dict[str, Any]] = None, **kwargs: Any) -> None:
        super().__init__(graph_cfg=graph_cfg or dict(layout="nturgb+d", mode="spatial"),
                         **kwargs)
