"""PeVL configs: every ablation builds and runs one training iteration; the paper
configs name the paper's settings and fail clearly without data."""
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

ROOT = Path(__file__).resolve().parents[2]
# the mini ablations (the diving48_* files are paper-scale ablations on real data)
ABLATIONS = sorted(p for p in (ROOT / "configs" / "ablations" / "pevl").glob("*.py")
                   if not p.stem.startswith("diving48_"))
PAPER = ["pevl_diving48.py", "pevl_gym99.py", "pevl_gym288.py", "pevl_toyota_smarthome.py"]


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    """4 clips (64x64, 12 frames) with 2-person NTU-25 2-D poses, labels = synthetic class ids."""
    import cv2
    root = tmp_path_factory.mktemp("pevl_data")
    (root / "videos").mkdir()
    rng = np.random.default_rng(0)
    anns = []
    for i, label in enumerate([9, 22, 49, 54]):
        fd = f"S001C001P00{i}R001A{label + 1:03d}"
        vw = cv2.VideoWriter(str(root / "videos" / f"{fd}.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), 30, (64, 64))
        for _ in range(12):
            vw.write(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8))
        vw.release()
        anns.append(dict(frame_dir=fd, label=label, keypoint=rng.random((2, 12, 25, 2), dtype=np.float32) * 64,
                         keypoint_score=np.ones((2, 12, 25), np.float32), img_shape=(64, 64), total_frames=12))
    with open(root / "ntu2d.pkl", "wb") as f:
        pickle.dump(dict(split=dict(xsub_train=[a["frame_dir"] for a in anns]), annotations=anns), f)
    return root


def _one_iteration(cfg_path, data_root):
    from mmengine.config import Config
    from mmengine.dataset import default_collate
    from mmengine.optim import build_optim_wrapper

    from hhir_core.registry import DATASETS, MODELS

    cfg = Config.fromfile(str(cfg_path))
    classes = [9, 22, 49, 54]
    names = [dict(label=c, name=f"class {c}", two_person=c > 40) for c in classes]
    cfg.model.class_names, cfg.model.class_ids = names, classes
    model = MODELS.build(cfg.model)
    ds_cfg = dict(cfg.train_dataloader.dataset, data_root=None, ann_file=str(data_root / "ntu2d.pkl"),
                  video_dir=str(data_root / "videos"), classes=classes)
    dataset = DATASETS.build(ds_cfg)
    batch = default_collate([dataset[i] for i in range(len(dataset))])
    optim = build_optim_wrapper(model, cfg.optim_wrapper)
    before = {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}
    log = model.train_step(batch, optim)
    assert all(torch.isfinite(v) for v in log.values())
    changed = [n for n, p in model.named_parameters() if p.requires_grad and not torch.equal(p, before[n])]
    assert changed, "no parameter was updated"
    model.eval()
    with torch.no_grad():
        out = model.val_step(batch)
    assert len(out) == 4 and out[0]["pred_scores"].shape == (4,)
    return model, log


@pytest.mark.parametrize("cfg_path", ABLATIONS, ids=[p.stem for p in ABLATIONS])
def test_ablation_builds_and_runs_one_iteration(cfg_path, tiny_data):
    model, log = _one_iteration(cfg_path, tiny_data)
    name = cfg_path.stem
    if name == "no_ucmr":
        assert not model.use_p2v and model.v2p is None and "loss_refine" not in log
    if name == "no_refinement":
        assert "loss_refine" not in log
    if name.startswith("sim_"):
        assert model.sgmc.similarities == tuple(name[4:].split("_"))
    if name == "vanilla_contrastive":
        assert model.guided_loss is False
    if name == "frozen_no_adapters":
        assert len(model.video_encoder.adapters) == 0
    if name == "full_finetune":
        assert all(p.requires_grad for p in model.video_encoder.clip.parameters())


def test_ablation_set_is_complete():
    names = {p.stem for p in ABLATIONS}
    assert {"no_ucmr", "no_p2v", "no_v2p", "no_refinement", "vanilla_contrastive", "frozen_no_adapters",
            "full_finetune", "sim_vs", "sim_ps", "sim_fw", "sim_vs_ps", "sim_vs_fw", "sim_ps_fw"} <= names


@pytest.mark.parametrize("name", PAPER)
def test_paper_configs_state_the_paper_settings(name):
    from mmengine.config import Config
    cfg = Config.fromfile(str(ROOT / "configs" / name))
    assert cfg.model.video_encoder.model == "openai/clip-vit-base-patch16"
    assert cfg.train_dataloader.dataset.num_video_frames == 16
    assert cfg.train_dataloader.dataset.num_pose_frames == 48
    opt = cfg.optim_wrapper.optimizer
    assert opt.type == "AdamW" and opt.lr == 8e-6 and opt.weight_decay == 0.05
    assert cfg.train_cfg.max_epochs == 50 and cfg.model.lambda_r == 0.1
    warm, cos = cfg.param_scheduler
    assert warm.end == 3 and cos.type == "CosineAnnealingLR" and cos.end == 50
    assert cfg.test_dataloader.dataset.num_crops == 3


def test_missing_real_data_points_to_the_mini_config(tmp_path):
    from mmengine.config import Config

    from hhir_core.errors import DataError
    from hhir_core.registry import DATASETS

    cfg = Config.fromfile(str(ROOT / "configs" / "pevl_diving48.py"))
    ds = dict(cfg.train_dataloader.dataset, ann_file=str(tmp_path / "missing.pkl"))
    with pytest.raises(DataError, match="pevl_synthetic_mini.py"):
        DATASETS.build(ds)


@pytest.mark.parametrize("name", PAPER)
def test_paper_configs_carry_the_papers_pose_side(name):
    """S_FW on frame-level pose features, P2V weights from the pose encoder's last layer."""
    from mmengine.config import Config

    model = Config.fromfile(str(ROOT / "configs" / name)).model
    assert (model.fw_source, model.p2v_weights) == ("pose", "pose_encoder")
    assert model.pose_encoder.type == "SharedCLIPPoseEncoder"
