"""Every --cfg-options key is checked against the config tree and the receiving signature."""
from __future__ import annotations

import subprocess

import pytest

from helpers import PYTHON, REPO, TOY_PLUGIN, env_with_path
from hhir_core.config import load_config
from hhir_core.errors import ConfigError

STGCN = str(REPO / "configs" / "stgcn_ntu120_mini.py")


@pytest.mark.parametrize("option, expected", [
    ({"train_cfgg.max_epochs": 1}, "train_cfgg: the config has no key 'train_cfgg' (did you mean train_cfg?)"),
    ({"model.backbone.base_channel": 8}, "model.backbone.base_channel: STGCNEncoder has no parameter 'base_channel' (did you mean base_channels"),
    ({"model.backbone.not_a_param": 3}, "STGCNEncoder has no parameter 'not_a_param'"),
    ({"model.backbone.tcn_dropot": 0.1}, "did you mean tcn_dropout"),
    ({"train_cfg.max_epochs": "abc"}, "train_cfg.max_epochs: must be an integer >= 1"),
    ({"train_cfg.max_epochs": 0}, "train_cfg.max_epochs: must be an integer >= 1"),
    ({"train_dataloader.batch_size": 0}, "train_dataloader.batch_size: must be an integer >= 1"),
    ({"train_dataloader.batch_sizee": 4}, "DataLoader has no key 'batch_sizee'"),
    ({"train_dataloader.dataset.ann_fle": "x.pkl"}, "did you mean ann_file"),
    ({"model.backbone.inflate_stages": "[3"}, "unbalanced brackets"),
    ({"model.backbone.inflate_stages": "3"}, "expected"),
    ({"train_cfg.max_epochs.x": 1}, "train_cfg.max_epochs is a int"),
    ({"randomness.sed": 1}, "did you mean seed"),
    ({"env_cfg.cudnn_benchmrk": True}, "did you mean cudnn_benchmark"),
])
def test_bad_option_is_one_line_naming_the_key(option, expected) -> None:
    pytest.importorskip("mmaction")
    with pytest.raises(ConfigError) as info:
        load_config(STGCN, option)
    message = str(info.value)
    assert expected in message and "\n" not in message
    assert next(iter(option)).split(".")[0] in message


@pytest.mark.parametrize("option", [
    {"train_cfg.max_epochs": 2}, {"model.backbone.tcn_dropout": 0.1},
    {"model.backbone.gcn_adaptive": "init"}, {"model.backbone.inflate_stages": [3]},
    {"randomness.deterministic": True}, {"load_from": "x.pth"},
    {"default_hooks.checkpoint.max_keep_ckpts": 1}, {"train_dataloader.num_workers": 0},
    {"model.backbone.graph_cfg.layout": "coco"},
])
def test_good_options_pass(option) -> None:
    pytest.importorskip("mmaction")
    cfg = load_config(STGCN, option)
    key, value = next(iter(option.items()))
    node = cfg
    for part in key.split("."):
        node = node[part]
    assert node == value


def test_backbone_kwarg_typo_in_a_config_file_is_caught_by_validate(tmp_path) -> None:
    """Not only options: validate() checks what a **kwargs backbone forwards to mmaction2."""
    pytest.importorskip("mmaction")
    from hhir_core.config import validate

    cfg = tmp_path / "typo.py"
    cfg.write_text(f"_base_ = ['{STGCN}']\nmodel = dict(backbone=dict(tcn_dropuot=0.1))\n")
    with pytest.raises(ConfigError, match="backbone.tcn_dropuot.*did you mean tcn_dropout"):
        validate(load_config(str(cfg)))


@pytest.mark.parametrize("option, expected", [
    ("train_cfgg.max_iters=1", "did you mean train_cfg?"),
    ("train_cfg.max_iters=0", "train_cfg.max_iters: must be an integer >= 1"),
    ("model.hiden=3", "did you mean hidden"),
])
def test_train_tool_exits_2_with_one_line(tmp_path, option, expected) -> None:
    out = subprocess.run([PYTHON, str(REPO / "tools" / "train.py"), "hhir_toy::toy.py",
                          "--work-dir", str(tmp_path), "--cfg-options", option],
                         env=env_with_path(TOY_PLUGIN), capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 2, out.stderr[-2000:]
    errors = [line for line in out.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and expected in errors[0], out.stderr[-2000:]
    assert "Traceback" not in out.stderr and not (tmp_path / "iter_10.pth").exists()
