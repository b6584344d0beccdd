"""``hhir estimate``: architectures built on the meta device, counted against known sizes."""
import json
import subprocess
import sys

import pytest
from hhir_estimate.estimate import KNOWN_MODELS, _config_for, estimate, meta_models

from helpers import REPO

# published parameter counts (model cards / papers)
SIZES = {"huggyllama/llama-7b": 6.74e9, "huggyllama/llama-13b": 13.0e9,
         "lmsys/vicuna-7b-v1.5": 6.74e9, "lmsys/vicuna-13b-v1.5": 13.0e9,
         "meta-llama/Llama-2-13b-chat-hf": 13.0e9}


@pytest.mark.parametrize("name", sorted(SIZES))
def test_llm_parameter_counts_match_known_sizes(name):
    import torch
    from transformers import AutoModelForCausalLM

    with meta_models():
        model = AutoModelForCausalLM.from_pretrained(name)
    assert next(model.parameters()).device == torch.device("meta")
    n = sum(p.numel() for p in model.parameters())
    assert abs(n - SIZES[name]) / SIZES[name] < 0.01, n


def test_clip_parameter_counts():
    from transformers import CLIPModel, CLIPVisionModelWithProjection

    with meta_models():
        b16 = CLIPModel.from_pretrained("openai/clip-vit-base-patch16")
        l14 = CLIPModel.from_pretrained("openai/clip-vit-large-patch14")
        vision = CLIPVisionModelWithProjection.from_pretrained("openai/clip-vit-base-patch16")
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert abs(count(b16) - 149.6e6) / 149.6e6 < 0.01  # CLIP ViT-B/16: 149.6 M
    assert abs(count(l14) - 427.6e6) / 427.6e6 < 0.01  # CLIP ViT-L/14: 427.6 M
    assert count(vision) < count(b16) / 1.5  # the vision tower alone (sub-config picked)


def test_local_config_json_and_unknown_ids(tmp_path):
    from hhir_estimate.estimate import UnknownModel

    spec = dict(KNOWN_MODELS["huggyllama/llama-7b"], num_hidden_layers=2)
    (tmp_path / "config.json").write_text(json.dumps(spec))
    assert _config_for(str(tmp_path)).num_hidden_layers == 2
    from transformers import AutoModelForCausalLM

    with meta_models():
        with pytest.raises(UnknownModel, match="no architecture known for 'nobody/nothing'"):
            AutoModelForCausalLM.from_pretrained("nobody/nothing")
    # patches are undone
    assert "from_pretrained" not in AutoModelForCausalLM.__dict__ or \
        AutoModelForCausalLM.from_pretrained.__func__.__name__ != "auto_from_pretrained"


def test_llm_ar_paper_config_estimate():
    est = estimate(str(REPO / "configs" / "llm_ar_ntu120.py"))
    llm = [b for b in est.blocks if b.kind == "llm"]
    assert len(llm) == 1 and abs(llm[0].params - 52_428_800 - 13.0e9) / 13.0e9 < 0.01
    # LoRA r=64 on q_proj and v_proj of 40 blocks of width 5120
    assert est.trainable == 40 * 2 * 64 * (5120 + 5120)
    assert est.checkpoint_bytes == 4 * est.trainable
    # bf16 frozen weights alone are 26 GB: DDP holds them per GPU, FSDP shards them
    ddp = est.memory_gb("ddp", False, 8)
    assert 26 < ddp < 80 and est.memory_gb("fsdp", False, 8) < ddp / 4
    assert est.memory_gb("ddp", True, 8) <= ddp
    # ~6 x params x tokens per sample with checkpointing (fwd, recompute, bwd)
    tokens = llm[0].tokens
    assert 5.5 * 13e9 * tokens * est.batch < est.flops_per_step(True) < 7 * 13.1e9 * tokens * est.batch
    assert est.hours("H100-80GB SXM", 8, 0.4, True) < est.hours("A100-80GB", 8, 0.4, True)


def test_cli_prints_the_table():
    res = subprocess.run([sys.executable, "-m", "hhir_core.cli", "estimate",
                          "configs/llm_ar_ntu120.py"], capture_output=True, text=True, cwd=REPO,
                         timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    for row in ("parameters (total)", "parameters (trainable)", "checkpoint (trainable only",
                "memory per GPU, DDP", "memory per GPU, FSDP", "FLOPs per optimizer step",
                "A100-80GB", "H100-80GB"):
        assert row in res.stdout, res.stdout
    assert "13.07 B" in res.stdout


def test_registry_import_stays_light():
    code = ("import sys, hhir_core.registry, hhir_core.cli; "
            "print('torch' in sys.modules, 'hhir_estimate.estimate' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert out.stdout.split() == ["False", "False"], out.stdout + out.stderr
