"""OV-HHIR evaluation: description similarity and description-classifier macro-F1.

* ``cosine`` – cosine similarity between MiniLM sentence embeddings of generated and
  reference descriptions (mean and std over samples), via :func:`hhir_core.llm.sentence_similarity`;
  ``cosine_text_only`` the same for the text-only baseline when the model produced it.
* ``macro_f1`` – of the prompt-engineered classifier's labels, over all samples, and
  ``macro_f1/<source>`` per source dataset (the paper reports per dataset); the core's
  definition (classes in the truth or the predictions, as scikit-learn).
* open vocabulary: ``ov_macro_f1`` over samples of held-out classes (never in training),
  with the held-out classes in the candidate list; ``seen_macro_f1`` over the rest.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric


def macro_f1(gt: Sequence[int], pred: Sequence[int]) -> float:
    """Macro-F1 of label lists with hhir's one definition (:func:`hhir_core.evaluation.metrics.macro_f1`:
    classes in the truth or the predictions, as scikit-learn); NaN without samples."""
    from hhir_core.evaluation.metrics import label_confusion_matrix
    from hhir_core.evaluation.metrics import macro_f1 as macro_f1_of_confusion

    if not len(gt):
        return float("nan")
    return macro_f1_of_confusion(label_confusion_matrix(gt, pred))


class OVHHIRMetric(BaseMetric):
    """Args:
        text_model: sentence encoder for the cosine metric (``"minilm"`` offline).
    """

    default_prefix = "ov_hhir"

    def __init__(self, text_model: Any = "minilm", collect_device: str = "cpu", prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.text_model = text_model

    def process(self, data_batch: Any, data_samples: Sequence[Dict[str, Any]]) -> None:
        for s in data_samples:
            self.results.append({k: s[k] for k in ("pred_text", "gt_text", "pred_label", "gt_label", "source",
                                                      "unseen", "id", "pred_text_text_only") if k in s})

    def compute_metrics(self, results: List[Dict[str, Any]]) -> Dict[str, float]:
        from hhir_core.llm.sentence_similarity import sentence_similarity

        out: Dict[str, float] = {}
        cos = sentence_similarity([r["pred_text"] for r in results], [r["gt_text"] for r in results],
                                  model=self.text_model).numpy()
        out["cosine"] = float(cos.mean())
        out["cosine_std"] = float(cos.std())
        if all("pred_text_text_only" in r for r in results):
            base = sentence_similarity([r["pred_text_text_only"] for r in results],
                                       [r["gt_text"] for r in results], model=self.text_model).numpy()
            out["cosine_text_only"] = float(base.mean())
            out["cosine_text_only_std"] = float(base.std())
        gt = [r["gt_label"] for r in results]
        pred = [r["pred_label"] for r in results]
        out["macro_f1"] = macro_f1(gt, pred)
        out["top1"] = float(np.mean(np.asarray(gt) == np.asarray(pred)))
        for src in sorted({r.get("source", "?") for r in results}):
            sel = [r for r in results if r.get("source", "?") == src]
            out[f"macro_f1/{src}"] = macro_f1([r["gt_label"] for r in sel], [r["pred_label"] for r in sel])
        unseen = [r for r in results if r.get("unseen")]
        seen = [r for r in results if not r.get("unseen")]
        if unseen:
            out["ov_macro_f1"] = macro_f1([r["gt_label"] for r in unseen], [r["pred_label"] for r in unseen])
        if seen:
            out["seen_macro_f1"] = macro_f1([r["gt_label"] for r in seen], [r["pred_label"] for r in seen])
        return out
