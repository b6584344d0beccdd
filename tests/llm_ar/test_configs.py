"""LLM-AR configs: paper values, tiny-LLM swap, mini = paper + overrides, ablations run."""
import copy
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[2]
CFG = ROOT / "configs"
ABLATIONS = sorted((CFG / "ablations" / "llm_ar").glob("*.py"))
TINY_LLM = {"model.llm.model": dict(_delete_=True, tiny=True, hidden_size=64, num_layers=2,
                                    num_heads=4),
            "model.llm.dtype": "float32", "model.llm.gradient_checkpointing": False,
            "model.tokenizer.llm_dim": None, "model.llm_layers": None}


def _load(path, options=None):
    from hhir_core.config import load_config

    return load_config(str(path), options)


def _mini_overrides():
    """What the mini config changes relative to its ``ablation_base`` (tools/ablate.py)."""
    from hhir_core.config import config_delta

    mini = _load(CFG / "llm_ar_ntu120_mini.py")
    delta = copy.deepcopy(config_delta(mini, _load(mini.ablation_base)))
    delta.pop("ablation_base")
    return delta


def test_paper_config_carries_paper_values():
    cfg = _load(CFG / "llm_ar_ntu120.py")
    m = cfg.model
    assert m.type == "LLMARRecognizer"
    assert m.llm.model == "huggyllama/llama-13b"
    assert m.llm.lora.r == 64 and m.llm.lora.alpha == 16
    tok = m.tokenizer
    assert tok.type == "HyperbolicVQTokenizer"
    assert tok.llm_dim == 5120 and tok.num_codes == 512 and tok.curvature == 1.0
    # Eq. 12: alpha = 0.02 on commitment, beta = 0.2 on the human-inductive-bias losses
    from hhir_llm_ar.tokenizers import resolve_loss_weights
    weights = resolve_loss_weights(tok.loss_weights)
    assert weights["commitment"] == 0.02 and weights["embedding"] == 1.0
    assert all(weights[k] == 0.2 for k in ("zipf", "context", "mmd"))
    # Eq. 4 on the batch's token usage, Zipf-Mandelbrot offset 2.7
    assert tok.zipf["scope"] == "batch" and tok.zipf["offset"] == 2.7
    assert m.predict_mode == "generate", "the paper generates the action name"
    assert cfg.metadata.prediction == "generation" and cfg.metadata.table
    assert "latent_norm" not in tok, "the paper quantises the raw encoder latents"
    assert m.prompt == ("Given a sequence of action tokens <tokens>, please predict the "
                        "corresponding action.")
    stage1, stage2 = cfg.stages
    assert stage1["name"] == "tokenizer" and stage1["cfg"]["model"]["train_stage"] == "tokenizer"
    assert stage1["cfg"]["train_cfg"]["max_iters"] == 300000
    assert stage1["cfg"]["train_dataloader"]["batch_size"] == 256
    assert stage1["cfg"]["optim_wrapper"]["optimizer"]["lr"] == 2e-4
    assert stage1["cfg"]["optim_wrapper"]["accumulative_counts"] == 1
    assert cfg.optim_wrapper.optimizer.type == "AdamW"
    assert stage2["cfg"]["model"]["train_stage"] == "llm"
    assert cfg.train_cfg.max_iters == 75000 and cfg.optim_wrapper.optimizer.lr == 3e-3
    assert cfg.train_dataloader.batch_size == 4 and cfg.optim_wrapper.accumulative_counts == 64
    assert m.get("llm_layers") is None
    # schedule (not in the paper; documented choice): stage 1 constant, stage 2 warm-up + cosine
    assert stage1["cfg"]["param_scheduler"] == []
    warm, cos = cfg.param_scheduler
    assert warm.type == "LinearLR" and warm.end == cos.begin == 75000 // 50
    assert cos.type == "CosineAnnealingLR" and cos.end == 75000
    xset = _load(CFG / "llm_ar_ntu120_xset.py")
    assert xset.train_dataloader.dataset.split == "xset_train"
    assert xset.val_dataloader.dataset.split == "xset_val"


def test_paper_config_builds_with_a_tiny_llm():
    from hhir_core.config import validate
    from hhir_core.registry import MODELS

    cfg = _load(CFG / "llm_ar_ntu120.py", TINY_LLM)
    validate(cfg)
    model = MODELS.build(cfg.model)
    assert model.tokenizer.llm_dim == 64 and model.tokenizer.num_codes == 512
    assert len(model.class_names) == 120
    with pytest.raises(Exception, match="llm_dim"):
        MODELS.build(_load(CFG / "llm_ar_ntu120.py",
                           {k: v for k, v in TINY_LLM.items() if k != "model.tokenizer.llm_dim"}
                           ).model)


def test_missing_data_or_model_points_to_the_mini_config(tmp_path):
    from hhir_core.errors import HHIRError
    from hhir_core.registry import DATASETS

    cfg = _load(CFG / "llm_ar_ntu120.py")
    ds = dict(cfg.train_dataloader.dataset)
    ds["ann_file"] = str(tmp_path / "missing.pkl")
    with pytest.raises(HHIRError, match="_mini"):
        DATASETS.build(ds)


def test_mini_config_is_paper_plus_overrides():
    mini = _load(CFG / "llm_ar_ntu120_mini.py")
    paper = _load(CFG / "llm_ar_ntu120.py")
    # the paper config keeps its latents as they are; the mini scales them (asserted below)
    assert "latent_scale" not in paper.model.tokenizer
    overrides = _mini_overrides()
    # only data, LLM, sizes and schedule change; the method's settings are the paper's
    assert set(overrides) <= {"classes", "clip_len", "synthetic_mini_root", "synthetic_mini_params",
                              "prepare_data", "prepare_skeletons", "model",
                              "train_dataloader",
                              "val_dataloader", "train_cfg", "param_scheduler", "optim_wrapper",
                              "default_hooks", "stages", "metadata"}, sorted(overrides)
    for key in ("num_codes", "curvature", "type", "loss_weights", "zipf"):
        assert key not in overrides["model"]["tokenizer"], key
    # the paper's stage-1 loss weights and batch-level Zipf loss; only the prediction reading
    # differs (class scoring, its header says why)
    assert mini.model.tokenizer.loss_weights == {"preset": "paper"}
    assert mini.model.tokenizer.zipf == {"s": 1.0, "offset": 2.7, "scope": "batch"}
    assert overrides["model"]["predict_mode"] == "trie"
    assert mini.metadata.setting == "mini" and not mini.metadata.get("reported")
    # its ablations run on its xsub split although the paper's ablations are X-Set configs
    assert overrides["train_dataloader"]["dataset"]["split"] == "xsub_train"
    assert "lora" not in overrides["model"]["llm"] and "prompt" not in overrides["model"]
    # tools/ablate.py applies these to a paper child: they rebuild the mini config
    paper.merge_from_dict(overrides)
    for key in ("model", "train_dataloader", "val_dataloader", "train_cfg", "optim_wrapper",
                "stages", "default_hooks", "val_evaluator", "custom_hooks"):
        assert mini[key] == paper[key], key
    # the mini schedule follows the mini length: a stage-2 cosine ending at the last stage-2
    # iteration, and no stage-2 scheduler leaking into stage 1
    assert mini.param_scheduler[-1].end == mini.train_cfg.max_iters
    assert mini.stages[0]["cfg"]["param_scheduler"] == []
    assert mini.model.llm.model == "smollm2" and mini.model.tokenizer.num_codes == 512
    # vocab tokens started from the codes matched to the word embeddings (docs/llm_ar.md)
    assert mini.model.token_mode == "vocab" and mini.model.vocab_init == "matched"
    # latents scaled off tanh's flat part before exp0
    assert mini.model.tokenizer.latent_scale == 0.4
    unseen = _load(CFG / "llm_ar_ntu120_unseen_mini.py")
    assert not set(unseen.model.classes) & set(unseen.model.eval_classes)
    assert unseen.val_dataloader.dataset.classes == unseen.model.eval_classes
    assert unseen.model.candidate_in_prompt


def _changed(a, b, prefix=""):
    """Leaf paths where two plain dicts differ."""
    out = []
    for k in set(a) | set(b):
        va, vb = a.get(k), b.get(k)
        if isinstance(va, dict) and isinstance(vb, dict):
            out += _changed(va, vb, f"{prefix}{k}.")
        elif va != vb:
            out.append(f"{prefix}{k}")
    return out


@pytest.mark.parametrize("path", ABLATIONS, ids=[p.stem for p in ABLATIONS])
def test_ablation_changes_one_thing(path):
    """Each paper ablation is the X-Set config (the paper's ablation protocol) with one change,
    and carries its table's X-Set number."""
    paper = _load(CFG / "llm_ar_ntu120_xset.py").to_dict()
    abl = _load(path).to_dict()
    meta = abl["metadata"]
    assert meta["table"].startswith("Table ") and meta["reported"]["top1"] < 91.5
    assert meta["protocol"].startswith("X-Set")
    for d in (paper, abl):
        d.pop("_config_path", None)
        d.pop("metadata", None)  # the zoo's description, not a setting
    changed = _changed(paper, abl)
    assert changed and all(c.startswith("model.") for c in changed), changed
    if path.stem == "no_discretisation":
        # one change in two keys: continuous latents (no codebook) fed into a middle block
        assert sorted(changed) == ["model.inject_layer", "model.tokenizer.type"], changed
        assert abl["model"]["inject_layer"] == "middle"
        return
    # one setting: the tokenizer type, the bias-loss weights, or the LLM tuning mode
    assert len({".".join(c.split(".")[:2]) for c in changed}) == 1, changed
    if changed[0].startswith("model.tokenizer"):
        assert changed == ["model.tokenizer.type"] or all(
            c.startswith("model.tokenizer.loss_weights.") for c in changed), changed


@pytest.fixture(scope="module")
def small_synthetic(tmp_path_factory):
    from hhir_synthetic.generator import ensure_synthetic

    out = tmp_path_factory.mktemp("synth")
    return ensure_synthetic(out, num_samples=48, seed=0, render=False)


def _mini_tiny_cfg(path, synth_dir):
    cfg = _load(path)
    cfg.merge_from_dict(_mini_overrides())
    cfg.merge_from_dict(TINY_LLM)
    cfg.merge_from_dict({"model.tokenizer.hidden": 16, "model.tokenizer.mmd.num_samples": 64,
                         "model.mmd_samples": 64})
    for loader in ("train_dataloader", "val_dataloader"):
        cfg[loader].dataset.data_root = str(synth_dir)
    return cfg


@pytest.mark.parametrize("path", ABLATIONS, ids=[p.stem for p in ABLATIONS])
def test_ablation_runs_one_iteration_per_stage(path, small_synthetic):
    from mmengine.dataset import default_collate
    from mmengine.optim import build_optim_wrapper

    from hhir_core.registry import DATASETS, MODELS

    cfg = _mini_tiny_cfg(path, small_synthetic)
    state = None
    for stage in cfg.stages:
        scfg = copy.deepcopy(cfg)
        scfg.merge_from_dict(stage["cfg"])
        model = MODELS.build(scfg.model)
        # the continuous latents enter the middle block of the tiny LLM's 2 (block 1)
        assert model.inject_layer == (1 if path.stem == "no_discretisation" else None)
        if state is not None:
            model.load_state_dict(state, strict=False)
        model.on_stage_start()
        ds = DATASETS.build(scfg.train_dataloader.dataset)
        batch = default_collate([ds[i] for i in range(2)])
        optim = build_optim_wrapper(model, scfg.optim_wrapper)
        before = {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}
        log = model.train_step(batch, optim)
        assert all(torch.isfinite(v).all() for v in log.values()), log
        moved = [n for n, p in model.named_parameters() if p.requires_grad
                 and not torch.equal(before[n], p.detach())]
        assert moved, f"{stage['name']}: no parameter changed"
        if stage["name"] == "tokenizer":
            assert all(n.startswith("tokenizer.") for n in before)
        else:
            assert not any(n.startswith("tokenizer.") for n in before)
            if "full_finetune" in path.stem:
                assert any("lora" not in n and n.startswith("head.llm") for n in before)
            else:
                # LoRA, plus the added code-token embeddings in vocab mode
                assert all("lora_" in n or n == "head.new_token_embeds" for n in before)
                assert any("lora_" in n for n in before)
                assert ("head.new_token_embeds" in before) == (model.token_mode == "vocab")
        state = model.state_dict()
    ds = DATASETS.build(scfg.val_dataloader.dataset)
    pred = model.val_step(default_collate([ds[i] for i in range(2)]))
    assert pred[0]["pred_scores"].shape == (22,)


@pytest.mark.parametrize("name, split, top1", [("llm_ar_ntu60_xsub", "xsub", 95.0),
                                               ("llm_ar_ntu60_xview", "xview", 98.4)])
def test_ntu60_configs(name, split, top1):
    cfg = _load(CFG / f"{name}.py")
    assert cfg.train_dataloader.dataset.split == f"{split}_train"
    assert cfg.val_dataloader.dataset.split == f"{split}_val"
    assert cfg.model.classes == list(range(60)) and "ntu60" in cfg.train_dataloader.dataset.ann_file
    assert cfg.metadata.reported.top1 == top1 and cfg.metadata.dataset == "NTU RGB+D 60"


def test_unseen_protocol_three_random_classes_five_runs():
    import random

    cfg = _load(CFG / "llm_ar_ntu120_unseen.py")
    assert cfg.unseen_runs == [sorted(random.Random(r).sample(range(120), 3)) for r in range(5)]
    assert cfg.model.eval_classes == cfg.unseen_runs[0]
    assert len(cfg.model.classes) == 117 and not set(cfg.model.classes) & set(cfg.model.eval_classes)
    assert cfg.val_dataloader.dataset.classes == cfg.model.eval_classes
    assert cfg.metadata.reported.top1 == 62.4


def test_no_discretisation_under_the_mini_injects_into_smollm2_block_4():
    """tools/ablate.py's mini run of the ablation: SmolLM2 cut to 8 blocks, latents into block 4."""
    from hhir_core.llm import loading
    from hhir_core.registry import MODELS

    entry = loading._cache_dir_for(loading.smollm2_gguf_path(), "dequant")
    if not (entry / ".complete").is_file():
        pytest.skip("SmolLM2 not de-quantised yet on this machine (any _mini config does it)")
    cfg = _load(CFG / "ablations" / "llm_ar" / "no_discretisation.py")
    cfg.merge_from_dict(_mini_overrides())
    assert cfg.model.inject_layer == "middle" and cfg.model.llm_layers == 8
    model = MODELS.build(cfg.model).eval()
    assert model.inject_layer == 4 and model.token_mode == "embeds"
    x = torch.randn(2, 2, 32, 25, 3)
    loss = model(x, torch.tensor([0, 5]), mode="loss")["loss_lm"]
    assert torch.isfinite(loss)
    pred = model(x, torch.tensor([0, 5]), mode="predict")
    assert pred[0]["pred_scores"].shape == (22,)
