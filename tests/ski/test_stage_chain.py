"""The paper's four-stage chain (video_clip -> skeleton_pretrain -> skeleton_clip -> scd) on
tiny models and rendered synthetic data: SCD must start from the stage-1 video weights and the
stage-3 skeleton weights, and the paper configs must carry the paper's stage schedule."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from helpers import synthetic_child_config
from hhir_core.config import load_config
from hhir_core.engine.checkpoint import safe_load

ROOT = Path(__file__).resolve().parents[2]
PAPER = ["ski_vificlip_ntu120_110_10", "ski_vificlip_ntu120_96_24", "ski_vificlip_ntu60_55_5",
         "ski_vificlip_ntu60_48_12"]


@pytest.mark.parametrize("name", PAPER)
def test_paper_configs_have_the_four_paper_stages(name):
    cfg = load_config(str(ROOT / "configs" / f"{name}.py"))
    stages = {s["name"]: s["cfg"] for s in cfg.stages}
    assert list(stages) == ["video_clip", "skeleton_pretrain", "skeleton_clip", "scd"]
    assert [stages[n]["model"]["phase"] for n in list(stages)[:3]] == list(stages)[:3]
    assert stages["skeleton_pretrain"]["train_cfg"]["max_epochs"] == 140
    assert stages["skeleton_clip"]["train_cfg"]["max_epochs"] == 100
    # ViFi-CLIP's zero-shot recipe
    assert stages["video_clip"]["train_cfg"]["max_epochs"] == 10
    assert stages["video_clip"]["optim_wrapper"]["optimizer"]["lr"] == 8e-6
    # SCD: the top-level schedule (2 epochs, lr 2.25e-5), alpha 10 (NTU120) / 0.01 (NTU60)
    assert stages["scd"] == {} or "train_cfg" not in stages["scd"]
    assert cfg.model.phase == "scd" and cfg.train_cfg.max_epochs == 2
    assert cfg.optim_wrapper.optimizer.lr == 2.25e-5
    assert cfg.model.distiller.alpha == (10.0 if "ntu120" in name else 0.01)
    assert cfg.model.distiller.mode == "online"


def _load(path):
    return safe_load(path)["state_dict"]


def _branch(state, prefix):
    return {k: v for k, v in state.items() if k.startswith(prefix)}


@pytest.mark.slow
def test_scd_starts_from_stage1_video_and_stage3_skeleton_weights(tmp_path):
    mini = ROOT / "configs" / "ski_vificlip_ntu120_110_10_mini.py"
    paper = load_config(str(ROOT / "configs" / "ski_vificlip_ntu120_110_10.py"))
    names = [s["name"] for s in paper.stages]
    syn = dict(out_dir=str(tmp_path / "syn"), num_samples=60, seed=0, render=True)
    one_epoch = "train_cfg=dict(max_epochs=1, val_interval=1), "
    skel = ("train_dataloader=dict(dataset=dict(with_video=False)), "
            "val_dataloader=dict(dataset=dict(with_video=False, with_skeleton=True, "
            "pipeline={{_base_.skeleton_test_pipeline}})), ")
    stage_cfg = {
        "video_clip": "model=dict(phase='video_clip'), "
                      "train_dataloader=dict(dataset=dict(with_skeleton=False)), " + one_epoch,
        "skeleton_pretrain": "model=dict(phase='skeleton_pretrain'), " + skel.split("val_")[0]
                             + "val_dataloader=None, val_evaluator=None, val_cfg=None, "
                             + one_epoch,
        "skeleton_clip": "model=dict(phase='skeleton_clip'), " + skel + one_epoch,
        # lr 0: the SCD checkpoint holds exactly the weights SCD started from
        "scd": "optim_wrapper=dict(optimizer=dict(lr=0.0, weight_decay=0.0)), "
               "param_scheduler=[], " + one_epoch,
    }
    stages = ",\n".join(f"    dict(name={n!r}, cfg=dict({stage_cfg[n]}test_dataloader=None, "
                        "test_evaluator=None, test_cfg=None))" for n in names)
    cfg = tmp_path / "ski_chain.py"
    cfg.write_text(
        synthetic_child_config(mini, syn) +
        # online: the teacher trains too, so its weights are in the SCD checkpoint
        "model = dict(distiller=dict(mode='online'))\n"
        "default_hooks = dict(checkpoint=dict(interval=1))\n"
        f"stages = [\n{stages}]\n")
    env = dict(os.environ, HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1")
    work = tmp_path / "work"
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "train.py"), str(cfg),
                           "--work-dir", str(work)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=1200)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    ckpt = {n: _load(json.loads((work / n / "stage_done.json").read_text())["checkpoint"])
            for n in names}
    v1, s2, s3 = (_branch(ckpt["video_clip"], "video."),
                  _branch(ckpt["skeleton_pretrain"], "skeleton.encoder."),
                  _branch(ckpt["skeleton_clip"], "skeleton."))
    v4, s4 = _branch(ckpt["scd"], "video."), _branch(ckpt["scd"], "skeleton.")
    assert v1 and s3 and set(v4) == set(v1) and set(s4) == set(s3)
    # the video branch trained in stage 1 passes through both skeleton stages unchanged
    for k in v1:
        assert torch.equal(v4[k], v1[k]), k
        assert torch.equal(_branch(ckpt["skeleton_clip"], "video.")[k], v1[k]), k
    # SCD starts from the stage-3 SkeletonCLIP, which itself trained on stage 2's encoder
    for k in s3:
        assert torch.equal(s4[k], s3[k]), k
    assert any(not torch.equal(s2[k], s3[k]) for k in s2)
    # the pre-training head trained in stage 2 only
    assert "pretrain_head.weight" in ckpt["skeleton_pretrain"]
    assert "pretrain_head.weight" not in ckpt["scd"]


ABLATIONS = {  # config -> the distiller settings it changes against the paper config
    "ntu120_110_10_offline": dict(mode="offline"),
    "ntu120_110_10_kl": dict(loss="kl"),
    "ntu120_110_10_contrastive": dict(loss="contrastive"),
    "ntu120_110_10_feature_kd_direct": dict(loss="none", feature_kd="direct"),
    "ntu120_110_10_feature_kd_projected": dict(loss="none", feature_kd="projected"),
    "ntu120_110_10_alpha0": dict(alpha=0.0),
    "ntu120_110_10_alpha0_01": dict(alpha=0.01),
    "ntu120_110_10_alpha1": dict(alpha=1.0),
    "ntu120_110_10_alpha100": dict(alpha=100.0),
}


@pytest.mark.parametrize("name", sorted(ABLATIONS))
def test_ablation_configs_change_one_switch_and_build(name):
    from hhir_core.registry import build

    paper = load_config(str(ROOT / "configs" / "ski_vificlip_ntu120_110_10.py"))
    cfg = load_config(str(ROOT / "configs" / "ablations" / "ski" / f"{name}.py"))
    assert [s["name"] for s in cfg.stages] == [s["name"] for s in paper.stages]
    for key, value in ABLATIONS[name].items():
        assert cfg.model.distiller[key] == value and paper.model.distiller.get(key) != value
    rest = {k: v for k, v in cfg.model.items() if k != "distiller"}
    assert rest == {k: v for k, v in paper.model.items() if k != "distiller"}
    distiller = build("distiller", dict(cfg.model.distiller))
    assert distiller.mode == cfg.model.distiller.mode
    assert cfg.metadata["setting"] == "paper" and cfg.metadata["reported_note"]
