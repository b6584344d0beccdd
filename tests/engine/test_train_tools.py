"""tools/train.py and tools/test.py end to end on the toy plugin (a real MLP + data)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest

from helpers import PYTHON, REPO, TOY_PLUGIN, env_with_path

# torch.load(weights_only=True) plus the explicit allow-list, nothing looser
from hhir_core.engine.checkpoint import safe_load

TRAIN = str(REPO / "tools" / "train.py")
TEST = str(REPO / "tools" / "test.py")
ENV = env_with_path(TOY_PLUGIN)


def _run(args, **kw):
    return subprocess.run([PYTHON, *args], env=ENV, capture_output=True, text=True,
                          timeout=kw.pop("timeout", 300), **kw)


def test_train_writes_metrics_provenance_and_safe_checkpoints(tmp_path):
    out = _run([TRAIN, "hhir_toy::toy.py", "--work-dir", str(tmp_path), "--seed", "3"])
    assert out.returncode == 0, out.stderr[-3000:]
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["top1"] > 80
    prov = json.loads((tmp_path / "provenance.json").read_text())
    assert prov["seed"] == 3 and len(prov["config_hash"]) == 16
    assert prov["plugins"]["hhir_toy"]["version"] == "0.1.0"
    assert prov["config"]["model"]["type"] == "ToyClassifier"
    assert "git" in prov and "argv" in prov
    ckpt = (tmp_path / "last_checkpoint").read_text().strip()
    state = safe_load(ckpt)  # full resume state, no unsafe globals
    assert {"state_dict", "message_hub", "optimizer"} <= set(state)
    # tools/test.py evaluates the checkpoint
    out = _run([TEST, "hhir_toy::toy.py", ckpt, "--work-dir", str(tmp_path / "eval")])
    assert out.returncode == 0, out.stderr[-3000:]
    printed = "\n" + out.stdout   # the metrics JSON is the last thing on stdout, maybe the only one
    assert json.loads(printed[printed.rindex("\n{\n") + 1:])["top1"] == pytest.approx(metrics["top1"])


def test_sigkill_then_resume_auto(tmp_path):
    args = [TRAIN, "hhir_toy::toy.py", "--work-dir", str(tmp_path),
            "--cfg-options", "train_dataloader.dataset.delay=0.004"]
    proc = subprocess.Popen([PYTHON, *args], env=ENV, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.time() + 240
    while time.time() < deadline and not (tmp_path / "iter_20.pth").exists():
        time.sleep(0.2)
    time.sleep(0.5)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert (tmp_path / "iter_20.pth").exists(), "run never reached its second checkpoint"
    assert not (tmp_path / "iter_60.pth").exists(), "run finished before it was killed"
    killed_at = (tmp_path / "last_checkpoint").read_text().strip()
    safe_load(killed_at)  # the last checkpoint is loadable
    out = _run(args + ["--resume", "auto"])
    assert out.returncode == 0, out.stderr[-3000:]
    log = out.stdout + out.stderr
    assert "resumed" in log.lower() or f"Load checkpoint from {killed_at}" in log
    assert (tmp_path / "iter_60.pth").exists()
    assert json.loads((tmp_path / "metrics.json").read_text())["top1"] > 80


def test_multi_stage_skip_and_rerun(tmp_path):
    out = _run([TRAIN, "hhir_toy::toy_stages.py", "--work-dir", str(tmp_path), "-v"])
    assert out.returncode == 0, out.stderr[-3000:]
    log = out.stdout + out.stderr  # -v: mmengine's INFO lines reach the console
    assert "Load checkpoint from" in log and "warmup" in log
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert {"warmup/top1", "finetune/top1", "top1"} <= set(metrics)
    # stage 2 froze `first`: its checkpoint holds only the trainable head
    ckpt = (tmp_path / "finetune" / "last_checkpoint").read_text().strip()
    keys = set(safe_load(ckpt)["state_dict"])
    assert keys == {"head.weight", "head.bias"}
    # a re-run skips finished stages
    again = _run([TRAIN, "hhir_toy::toy_stages.py", "--work-dir", str(tmp_path)])
    assert again.returncode == 0 and again.stdout.count("already finished") == 2
    # ...but not when the config now asks for something else: it says so and changes nothing
    changed = _run([TRAIN, "hhir_toy::toy_stages.py", "--work-dir", str(tmp_path), "--resume", "auto",
                    "--cfg-options", "optim_wrapper.optimizer.lr=0.5"])
    assert changed.returncode != 0 and "'warmup'" in changed.stderr
    assert "different config" in changed.stderr and str(tmp_path / "warmup") in changed.stderr
    assert json.loads((tmp_path / "metrics.json").read_text()) == metrics
    # --stage re-runs one stage from the previous stage's checkpoint
    one = _run([TRAIN, "hhir_toy::toy_stages.py", "--work-dir", str(tmp_path), "--stage",
                "finetune"])
    assert one.returncode == 0, one.stderr[-3000:]
    assert "stage 'warmup' already finished" in one.stdout
    assert "stage 2/2 'finetune'" in one.stdout
    # --stage on the first stage runs it alone (the later stage is left as it is)
    first = _run([TRAIN, "hhir_toy::toy_stages.py", "--work-dir", str(tmp_path), "--stage",
                  "warmup"])
    assert first.returncode == 0, first.stderr[-3000:]
    assert "stage 1/2 'warmup'" in first.stdout and "'finetune'" not in first.stdout
