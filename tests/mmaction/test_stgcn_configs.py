"""configs/stgcn_ntu120*.py: paper hyper-parameters, mini differences, missing-data error."""
from __future__ import annotations

from pathlib import Path

import pytest
from mmengine.config import Config

from hhir_core.errors import DataError

ROOT = Path(__file__).resolve().parents[2]


def test_paper_faithful_hparams() -> None:
    cfg = Config.fromfile(str(ROOT / "configs" / "stgcn_ntu120.py"))
    assert cfg.model.type == "SkeletonRecognizer" and cfg.model.num_classes == 120
    assert cfg.model.backbone.type == "STGCNEncoder"
    assert cfg.model.backbone.graph_cfg == dict(layout="nturgb+d", mode="stgcn_spatial")
    opt = cfg.optim_wrapper.optimizer
    assert (opt.type, opt.lr, opt.momentum, opt.weight_decay, opt.nesterov) == \
        ("SGD", 0.1, 0.9, 0.0005, True)
    assert cfg.train_cfg.max_epochs == 80
    assert cfg.param_scheduler[0].type == "CosineAnnealingLR"
    assert cfg.train_dataloader.batch_size == 16 and cfg.auto_scale_lr.base_batch_size == 128
    samp = [t for t in cfg.train_dataloader.dataset.pipeline if t.type == "UniformSampleFrames"]
    assert samp[0].clip_len == 100
    feats = [t for t in cfg.train_dataloader.dataset.pipeline if t.type == "SkeletonFeatures"]
    assert feats[0].feats == ["j"]
    assert cfg.train_dataloader.dataset.ann_file.endswith("data/ntu120/ntu120_3danno.pkl")
    assert cfg.train_dataloader.dataset.split == "xsub_train"
    assert cfg.val_dataloader.dataset.split == "xsub_val"


def test_mini_changes_only_data_model_size_schedule() -> None:
    full = Config.fromfile(str(ROOT / "configs" / "stgcn_ntu120.py"))
    mini = Config.fromfile(str(ROOT / "configs" / "stgcn_ntu120_mini.py"))
    assert mini.model.type == full.model.type and mini.model.num_classes == 120
    assert mini.model.backbone.type == full.model.backbone.type
    assert mini.optim_wrapper == full.optim_wrapper
    base = Config.fromfile(str(ROOT / "configs" / "_base_" / "datasets" / "synthetic_mini.py"))
    # the single shared definition, skeleton-only: ST-GCN never reads the rendered videos
    assert mini.prepare_data == base.prepare_skeletons
    (syn,) = mini.prepare_data
    assert syn.type == "SyntheticBenchmark"
    assert syn.render is False and 1500 <= syn.num_samples <= 3000 and syn.seed == 0
    assert Path(syn.out_dir).resolve() == (ROOT / "data" / "synthetic_mini").resolve()
    for loader in ("train_dataloader", "val_dataloader", "test_dataloader"):
        assert Path(mini[loader].dataset.data_root).resolve() == Path(syn.out_dir).resolve()


def test_full_config_missing_data_points_to_mini(tmp_path: Path) -> None:
    from hhir_core.data.ntu import NTUSkeletonDataset

    cfg = Config.fromfile(str(ROOT / "configs" / "stgcn_ntu120.py"))
    ds_cfg = dict(cfg.val_dataloader.dataset)
    ds_cfg.pop("type")
    ds_cfg["ann_file"] = str(tmp_path / "ntu120_3danno.pkl")
    with pytest.raises(DataError, match="stgcn_ntu120_mini.py"):
        NTUSkeletonDataset(**ds_cfg)
