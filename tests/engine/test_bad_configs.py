"""Bad configs exit non-zero with one clear message naming the key (no traceback)."""
from __future__ import annotations

import subprocess

import pytest

from helpers import PYTHON, REPO, TOY_PLUGIN, env_with_path

TRAIN = str(REPO / "tools" / "train.py")


@pytest.mark.parametrize("options, expected", [
    (["model.type=ToyClasifier"], "model.type: unknown component 'ToyClasifier'"),
    (["model.dim=eight"], "model.dim: expected int, got str"),
    (["model.num_clases=3"], "model.num_clases: ToyClassifier has no parameter 'num_clases'"),
    (["train_dataloader.dataset.type=ToyClasifier"], "close matches in other roles: ToyClassifier (model)"),
    (["requires=[hhir-toy>=9.0]"], "requires 'hhir-toy>=9.0': installed hhir-toy is 0.1.0"),
    (["requires=[hhir-nonexistent]"], "no plugin or package 'hhir-nonexistent'"),
])
def test_bad_config_messages(tmp_path, options, expected):
    out = subprocess.run([PYTHON, TRAIN, "hhir_toy::toy.py", "--work-dir", str(tmp_path),
                          "--cfg-options", *options], env=env_with_path(TOY_PLUGIN),
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    assert expected in out.stderr, out.stderr
    assert "Traceback" not in out.stderr


def test_missing_required_key(tmp_path):
    cfg = tmp_path / "bad.py"
    cfg.write_text("_base_ = []\n"
                   f"exec(open({str(TOY_PLUGIN / 'hhir_toy/configs/toy.py')!r}).read())\n"
                   "train_dataloader['dataset'] = dict(type='ToyClusterDataset', num_samples=8)\n"
                   "model = dict(type='ToyClassifier', dim=8)\n"
                   "optim_wrapper = None\n")
    out = subprocess.run([PYTHON, TRAIN, str(cfg), "--work-dir", str(tmp_path / "w")],
                         env=env_with_path(TOY_PLUGIN), capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 2
    assert "missing required key 'optim_wrapper'" in out.stderr
    assert "Traceback" not in out.stderr


def test_missing_config_file_and_unknown_plugin(tmp_path):
    out = subprocess.run([PYTHON, TRAIN, "configs/nope.py"], capture_output=True, text=True,
                         timeout=120, cwd=REPO)
    assert out.returncode == 2 and "config file not found: configs/nope.py" in out.stderr
    out = subprocess.run([PYTHON, TRAIN, "hhir_nope::x.py"], capture_output=True, text=True,
                         timeout=120, cwd=REPO)
    assert out.returncode == 2 and "no plugin named 'hhir_nope'" in out.stderr
