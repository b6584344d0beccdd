"""Stage-1 evaluation of the action tokenizer: reconstruction and codebook usage."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric

from .codebook_stats import usage_stats


class VQTokenizerMetric(BaseMetric):
    """``recon_error`` (smooth-L1), ``perplexity``, ``used_codes``, ``dead_codes`` on val data.

    Consumes the stage-1 predictions of ``LLMARRecognizer`` (``recon_error``,
    ``code_ids``). ``num_codes`` defaults to the largest id seen + 1 when unset.
    """

    default_prefix = "vq"

    def __init__(self, num_codes: Optional[int] = None, collect_device: str = "cpu",
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.num_codes = num_codes

    def process(self, data_batch: Any, data_samples: Sequence[Dict[str, Any]]) -> None:
        for s in data_samples:
            ids = s.get("code_ids")
            self.results.append(dict(recon_error=float(s["recon_error"]),
                                     ids=None if ids is None else np.asarray(ids).reshape(-1)))

    def compute_metrics(self, results: List[Dict[str, Any]]) -> Dict[str, float]:
        out = dict(recon_error=float(np.mean([r["recon_error"] for r in results])))
        ids = [r["ids"] for r in results if r["ids"] is not None]
        if ids:
            flat = np.concatenate(ids).astype(np.int64)
            k = self.num_codes or int(flat.max()) + 1
            out.update(usage_stats(np.bincount(flat, minlength=k)[:k]))
        return out


__all__ = ["VQTokenizerMetric"]
