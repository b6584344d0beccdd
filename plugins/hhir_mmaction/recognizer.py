"""SkeletonRecognizer: a skeleton BranchEncoder + a linear classifier, cross-entropy.

The baseline of the zoo (ST-GCN, AAGCN, or any registered skeleton encoder by name).
The head is mmaction2's GCNHead: global average pooling (``encoder.pool``) ->
dropout -> linear. Batches are the NTU dataset's collated dicts: ``keypoint``
``[B,M,T,V,C]`` (or ``[B,nc,M,T,V,C]`` with several test clips, whose softmax scores
are averaged as mmaction2 does), ``label`` ``[B]``.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from torch import nn

from hhir_core.apis.recognizer import InferenceRecognizer
from hhir_core.errors import ConfigError
from hhir_core.interfaces import BranchEncoder, Slot, expect_contract


def _build_encoder(cfg: Union[dict, nn.Module]) -> nn.Module:
    if not isinstance(cfg, nn.Module):
        from hhir_core.registry import build

        cfg = build("branch_encoder", dict(cfg))
    return expect_contract(cfg, BranchEncoder, "model.backbone")


#: std of the classifier's normal initialisation (mmaction2's GCNHead)
HEAD_INIT_STD = 0.01


class SkeletonRecognizer(InferenceRecognizer, BaseModel):
    """Skeleton classifier.

    Args:
        backbone: config of a skeleton BranchEncoder (``type`` = registered name, e.g.
            ``'STGCNEncoder'``) or a module.
        num_classes: number of classes (120 for NTU120 even if a subset is used).
        head: ``'gcn'`` or ``'linear'`` (the same: pooled features -> dropout -> fc).
        dropout: dropout before the classifier (mmaction2's GCNHead default 0).

    The classifier starts from N(0, 0.01²) weights and zero bias, as mmaction2's GCNHead.
    """

    #: the swappable sub-component (``hhir components --slots``)
    slots = (Slot("model.backbone", "branch_encoder", "BranchEncoder", input_kind="skeleton"),)

    def __init__(self, backbone: Union[dict, nn.Module], num_classes: int = 120,
                 head: str = "gcn", dropout: float = 0.0, data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if head not in ("gcn", "linear"):
            raise ConfigError(f"model.head must be 'gcn' or 'linear', got {head!r}")
        self.backbone = _build_encoder(backbone)
        if self.backbone.input_kind != "skeleton":
            raise ConfigError(f"model.backbone {type(self.backbone).__name__} takes "
                              f"{self.backbone.input_kind!r}, not skeletons")
        self.num_classes = num_classes
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.fc = nn.Linear(self.backbone.out_dim, num_classes)
        nn.init.normal_(self.fc.weight, 0, HEAD_INIT_STD)
        nn.init.zeros_(self.fc.bias)

    inference_score_kind = "probs"  # predict() returns softmax scores

    def logits(self, keypoint: torch.Tensor) -> torch.Tensor:
        """``[B,M,T,V,C]`` -> ``[B,K]``; ``[B,nc,...]`` -> ``[B*nc,K]``."""
        x = keypoint.float()
        if x.dim() == 6:
            x = x.flatten(0, 1)
        tokens = self.backbone(x)
        return self.fc(self.dropout(self.backbone.pool(tokens)))

    def forward(self, keypoint: torch.Tensor, label: Optional[torch.Tensor] = None,
                mode: str = "tensor", **unused: Any) -> Any:
        if mode == "tensor":
            return self.logits(keypoint)
        if mode == "loss":
            if label is None:
                raise ConfigError("SkeletonRecognizer(mode='loss') needs 'label' in the batch")
            logits = self.logits(keypoint)
            label = torch.as_tensor(label, device=logits.device).long().view(-1)
            if keypoint.dim() == 6:
                label = label.repeat_interleave(keypoint.shape[1])
            loss = F.cross_entropy(logits, label)
            acc = (logits.argmax(1) == label).float().mean().detach()
            return {"loss_cls": loss, "top1_acc": acc}
        if mode == "predict":
            return self.predict(keypoint, label)
        raise ConfigError(f"unknown forward mode {mode!r} (tensor | loss | predict)")

    @torch.no_grad()
    def predict(self, keypoint: torch.Tensor, label: Optional[torch.Tensor] = None
                ) -> List[Dict[str, Any]]:
        """One dict per sample: ``pred_scores`` (softmax [K]), ``pred_label``, ``gt_label``."""
        logits = self.logits(keypoint)
        scores = logits.softmax(-1)
        if keypoint.dim() == 6:
            scores = scores.view(keypoint.shape[0], keypoint.shape[1], -1).mean(1)
        labels = (torch.as_tensor(label).view(-1).tolist() if label is not None
                  else [-1] * scores.shape[0])
        return [dict(pred_scores=s.cpu(), pred_label=int(s.argmax()), gt_label=int(g))
                for s, g in zip(scores, labels)]
