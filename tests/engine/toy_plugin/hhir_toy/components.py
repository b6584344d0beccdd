"""Gaussian clusters and an MLP: enough to exercise training, resume and DDP."""
from __future__ import annotations

import time
from typing import List, Optional

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.model import BaseModel
from torch import nn


class ToyClusterDataset(torch.utils.data.Dataset):
    def __init__(self, num_samples: int = 256, num_classes: int = 4, dim: int = 8, seed: int = 0,
                 split: str = "train", delay: float = 0.0) -> None:
        rng = np.random.default_rng(seed + (0 if split == "train" else 1))
        centres = np.random.default_rng(seed).normal(size=(num_classes, dim)) * 2
        self.labels = rng.integers(0, num_classes, size=num_samples)
        self.x = (centres[self.labels] + rng.normal(size=(num_samples, dim))).astype(np.float32)
        self.delay = delay
        self.metainfo = dict(classes=[f"c{i}" for i in range(num_classes)])

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> dict:
        if self.delay:
            time.sleep(self.delay)
        return dict(inputs=torch.from_numpy(self.x[i]), label=int(self.labels[i]))


class ToyClassifier(BaseModel):
    def __init__(self, dim: int = 8, num_classes: int = 4, hidden: int = 32,
                 freeze_first: bool = False) -> None:
        super().__init__()
        self.first = nn.Linear(dim, hidden)
        self.head = nn.Linear(hidden, num_classes)
        if freeze_first:
            self.first.requires_grad_(False)

    def forward(self, inputs: torch.Tensor, label: Optional[torch.Tensor] = None,
                mode: str = "loss"):
        logits = self.head(torch.relu(self.first(inputs)))
        if mode == "loss":
            return dict(loss=nn.functional.cross_entropy(logits, label))
        return [dict(pred_scores=s, pred_label=int(s.argmax()), gt_label=int(g))
                for s, g in zip(logits.softmax(-1), label)]


class ToyAccuracy(BaseMetric):
    default_prefix = ""

    def process(self, data_batch, data_samples: List[dict]) -> None:
        self.results.extend(int(d["pred_label"] == d["gt_label"]) for d in data_samples)

    def compute_metrics(self, results: list) -> dict:
        return dict(top1=100.0 * float(np.mean(results)))


from mmengine.hooks import Hook  # noqa: E402


class ParamDumpHook(Hook):
    """Save this rank's final parameters (the DDP test compares ranks)."""

    def __init__(self, out_dir: str) -> None:
        self.out_dir = out_dir

    def after_run(self, runner) -> None:
        model = runner.model.module if hasattr(runner.model, "module") else runner.model
        torch.save({k: v.detach().cpu() for k, v in model.named_parameters()},
                   f"{self.out_dir}/params_rank{runner.rank}.pt")
