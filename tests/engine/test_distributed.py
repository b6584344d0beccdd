"""A 2-process DDP run on CPU (gloo) through tools/dist_train.sh."""
from __future__ import annotations

import subprocess
from pathlib import Path

import torch

from helpers import PYTHON, REPO, TOY_PLUGIN, env_with_path


def test_two_process_gloo_run_ends_with_identical_parameters(tmp_path):
    env = env_with_path(TOY_PLUGIN, PYTHON=PYTHON, PORT="29561", OMP_NUM_THREADS="1")
    cfg = tmp_path / "ddp.py"
    cfg.write_text(f"_base_ = [{str(TOY_PLUGIN / 'hhir_toy/configs/toy.py')!r}]\n"
                   f"custom_hooks = [dict(type='ParamDumpHook', out_dir={str(tmp_path)!r})]\n"
                   "train_cfg = dict(max_iters=20, val_interval=20)\n")
    out = subprocess.run(
        ["bash", str(REPO / "tools" / "dist_train.sh"), str(cfg), "2",
         "--work-dir", str(tmp_path)],
        env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, (out.stdout[-2000:], out.stderr[-3000:])
    dumps = sorted(Path(tmp_path).glob("params_rank*.pt"))
    assert len(dumps) == 2, out.stdout[-2000:]
    a, b = (torch.load(p, weights_only=True) for p in dumps)
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key
