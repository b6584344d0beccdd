"""SKI configs: zero-shot class lists match the protocols; unseen classes never train."""
import json
import os
from pathlib import Path

import pytest
from mmengine.config import Config

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = ROOT / "configs"
PAPER = {"ntu60_55_5": "ski_vificlip_ntu60_55_5.py", "ntu60_48_12": "ski_vificlip_ntu60_48_12.py",
         "ntu120_110_10": "ski_vificlip_ntu120_110_10.py",
         "ntu120_96_24": "ski_vificlip_ntu120_96_24.py"}
MINI = "ski_vificlip_ntu120_110_10_mini.py"


def _fixtures() -> Path:
    env = os.environ.get("HHIR_FIXTURES")
    return Path(env) if env else ROOT / ".." / "shared" / "fixtures"


@pytest.mark.realdata
@pytest.mark.parametrize("split", sorted(PAPER))
def test_paper_config_unseen_lists_match_protocols(split):
    path = _fixtures() / "ntu" / "protocols.json"
    if not path.is_file():
        pytest.skip(f"fixtures absent: {path}")
    expected = json.loads(path.read_text())["zero_shot_unseen"][split]
    from hhir_ski.recognizer import resolve_class_ids

    cfg = Config.fromfile(str(CONFIGS / PAPER[split]))
    total = 60 if split.startswith("ntu60") else 120
    unseen = resolve_class_ids(cfg.model.test_classes, "test_classes")
    seen = resolve_class_ids(cfg.model.train_classes, "train_classes")
    assert sorted(unseen) == sorted(expected)
    assert sorted(seen) == sorted(set(range(total)) - set(expected))
    # datasets use the same class lists (same label order as the model)
    assert cfg.train_dataloader.dataset.classes == cfg.model.train_classes
    assert cfg.val_dataloader.dataset.classes == cfg.model.test_classes
    assert cfg.val_dataloader.dataset.with_skeleton is False  # video-only inference
    assert cfg.model.distiller.alpha == (0.01 if split.startswith("ntu60") else 10.0)
    assert cfg.model.video.encoder.model == "openai/clip-vit-base-patch16"
    assert cfg.optim_wrapper.optimizer.lr == 2.25e-5 and cfg.train_cfg.max_epochs == 2


def test_mini_config_is_a_zero_shot_split():
    cfg = Config.fromfile(str(CONFIGS / MINI))
    seen, unseen = set(cfg.model.train_classes), set(cfg.model.test_classes)
    assert seen and unseen and not seen & unseen
    from hhir_synthetic.classes import CLASS_TABLE
    assert seen | unseen == set(CLASS_TABLE)
    assert [s["name"] for s in cfg.stages] == ["skeleton_clip", "scd"]
    nd = Config.fromfile(str(CONFIGS / "ski_vificlip_ntu120_110_10_mini_nodistill.py"))
    # the mini run distils (feature-level KD of the teacher's text-space embedding), the
    # baseline distils nothing: no logit term (alpha = 0) and no feature KD
    d = cfg.model.distiller
    assert d.mode == "offline" and d.feature_kd == "direct" and d.feature_weight > 0
    assert nd.model.distiller.alpha == 0.0 and nd.model.distiller.feature_kd is None
    # everything but the distillation (and the skipped teacher stage) is the same run
    assert nd.train_cfg == cfg.train_cfg and nd.optim_wrapper == cfg.optim_wrapper
    assert nd.train_dataloader == cfg.train_dataloader and nd.model.video == cfg.model.video


def test_unseen_classes_never_appear_in_training_batches(tmp_path):
    """Build the mini config's training loader (skeleton side, small synthetic set) and
    check every sample's true NTU class (from its frame_dir, A-number) is a seen class."""
    from mmengine.registry import init_default_scope
    from torch.utils.data import DataLoader

    from hhir_core.registry import DATASETS
    from hhir_synthetic.generator import ensure_synthetic

    init_default_scope("hhir")
    cfg = Config.fromfile(str(CONFIGS / MINI))
    ds_cfg = cfg.train_dataloader.dataset.to_dict()
    ds_cfg["data_root"] = str(ensure_synthetic(tmp_path, num_samples=220, seed=0, render=False))
    ds_cfg["with_video"] = False
    ds = DATASETS.build(ds_cfg)
    unseen = set(cfg.model.test_classes)
    seen_list = list(cfg.model.train_classes)
    n = 0
    for batch in DataLoader(ds, batch_size=16, shuffle=True, num_workers=0):
        for fd, lab in zip(batch["frame_dir"], batch["label"].tolist()):
            true_label = int(fd[fd.index("A") + 1:fd.index("A") + 4]) - 1
            assert true_label not in unseen, f"unseen class {true_label} in training ({fd})"
            assert seen_list[lab] == true_label, "label remapping disagrees with the model"
            n += 1
    assert n == len(ds) > 100
