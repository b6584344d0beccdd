"""Checkpoints: strict loading, corrupt files, crash-safe writes and exact resume.

The SIGKILL tests train the toy plugin's real MLP (tests/engine/toy_plugin) through
tools/train.py, kill it at a random moment, resume with ``--resume auto`` and compare
the final weights with an uninterrupted run's, bit for bit on CPU.
"""
from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest
import torch

from helpers import PYTHON, REPO, TOY_PLUGIN, env_with_path
from hhir_core.engine.checkpoint import check_state_dict, damage, newest_intact_checkpoint, safe_load
from hhir_core.errors import DataError

TRAIN = str(REPO / "tools" / "train.py")
TEST = str(REPO / "tools" / "test.py")
ENV = env_with_path(TOY_PLUGIN, OMP_NUM_THREADS="1")
SLOW_DATA = ["train_dataloader.dataset.delay=0.004"]


def _train(work: Path, *options: str, resume: bool = False, timeout: int = 300):
    args = [PYTHON, TRAIN, "hhir_toy::toy.py", "--work-dir", str(work)]
    if options:
        args += ["--cfg-options", *options]
    if resume:
        args += ["--resume", "auto"]
    return subprocess.run(args, env=ENV, capture_output=True, text=True, timeout=timeout)


def _final_weights(work: Path) -> dict:
    return safe_load(str(work / "iter_60.pth"))["state_dict"]


def _assert_same_weights(a: dict, b: dict) -> None:
    assert set(a) == set(b)
    for key in a:
        assert torch.equal(a[key], b[key]), f"{key} differs"


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    """One uninterrupted run (keeps every checkpoint for the tests below)."""
    work = tmp_path_factory.mktemp("reference")
    out = _train(work, *SLOW_DATA, "default_hooks.checkpoint.max_keep_ckpts=-1")
    assert out.returncode == 0, out.stderr[-3000:]
    return work


def test_test_tool_refuses_a_checkpoint_of_another_width(reference: Path, tmp_path: Path) -> None:
    out = subprocess.run([PYTHON, TEST, "hhir_toy::toy.py", str(reference / "iter_60.pth"),
                          "--work-dir", str(tmp_path), "--cfg-options", "model.hidden=16"],
                         env=ENV, capture_output=True, text=True, timeout=200)
    assert out.returncode == 2, out.stderr[-2000:]
    error = [line for line in out.stderr.splitlines() if line.startswith("error:")]
    assert len(error) == 1 and "shape mismatch" in error[0] and "first.weight (32, 8) vs (16, 8)" \
        in error[0]
    assert not (tmp_path / "metrics.json").exists()


def test_check_state_dict_rules(reference: Path) -> None:
    class ToyClassifier(torch.nn.Module):  # the toy plugin's layout
        def __init__(self, freeze_first: bool = False) -> None:
            super().__init__()
            self.first, self.head = torch.nn.Linear(8, 32), torch.nn.Linear(32, 4)
            self.first.requires_grad_(not freeze_first)

    state = dict(_final_weights(reference))
    model = ToyClassifier()
    check_state_dict(model, state, "ok.pth")  # exact fit
    with pytest.raises(DataError, match="1 unexpected key\\(s\\): extra.weight"):
        check_state_dict(model, dict(state, **{"extra.weight": torch.zeros(1)}), "x.pth")
    partial = {k: v for k, v in state.items() if not k.startswith("first.")}
    with pytest.raises(DataError, match="missing trainable key\\(s\\): first.weight"):
        check_state_dict(model, partial, "x.pth")
    # load_from that starts a new stage: new trainable weights start fresh (and are named)
    assert check_state_dict(model, partial, "x.pth", init_only=True) == ["first.weight",
                                                                        "first.bias"]
    with pytest.raises(DataError, match="shape mismatch"):
        check_state_dict(model, dict(partial, **{"head.bias": torch.zeros(5)}), "x.pth",
                         init_only=True)
    frozen = ToyClassifier(freeze_first=True)  # frozen weights may be absent
    check_state_dict(frozen, partial, "x.pth")
    model.frozen_state_prefixes = ("first.",)  # so may declared frozen prefixes
    check_state_dict(model, partial, "x.pth")


def test_corrupt_and_malicious_checkpoints(tmp_path: Path, reference: Path) -> None:
    noise = tmp_path / "noise.pth"
    noise.write_bytes(os.urandom(4096))
    with pytest.raises(DataError, match="is corrupt \\(not a torch checkpoint") as info:
        safe_load(str(noise))
    assert "weights_only" not in str(info.value)
    cut = tmp_path / "cut.pth"
    cut.write_bytes((reference / "iter_60.pth").read_bytes()[:20000])
    assert damage(str(cut)) and not damage(str(reference / "iter_60.pth"))
    with pytest.raises(DataError, match="corrupt"):
        safe_load(str(cut))

    class Evil:
        def __reduce__(self):
            return os.system, (f"touch {tmp_path / 'PWNED'}",)

    evil = tmp_path / "evil.pth"
    torch.save({"state_dict": {}, "x": Evil()}, evil)
    with pytest.raises(DataError, match="refers to posix.system") as info:
        safe_load(str(evil))
    assert "weights_only=False" not in str(info.value) and not (tmp_path / "PWNED").exists()


def test_crash_safe_pruning_and_fallback(reference: Path, tmp_path: Path) -> None:
    """max_keep_ckpts=1 keeps one file; a corrupt newest one falls back, says so, and
    the resumed run still ends with the uninterrupted run's weights."""
    work = tmp_path / "w"
    out = _train(work, "default_hooks.checkpoint.max_keep_ckpts=1", "train_cfg.max_iters=30")
    assert out.returncode == 0, out.stderr[-2000:]
    assert sorted(p.name for p in work.glob("*.pth")) == ["iter_30.pth"]
    assert (work / "last_checkpoint").read_text().strip() == str(work / "iter_30.pth")
    # what a kill during the next write leaves: an intact older file + a partial temp file
    (work / "iter_20.pth").write_bytes((reference / "iter_20.pth").read_bytes())
    (work / ".iter_40.pth.tmp").write_bytes(b"PK\x03\x04partial")
    (work / "iter_30.pth").write_bytes((work / "iter_30.pth").read_bytes()[:5000])
    assert newest_intact_checkpoint(str(work))[0] == str(work / "iter_20.pth")
    out = _train(work, *SLOW_DATA, resume=True)
    assert out.returncode == 0, out.stderr[-2000:]
    log = out.stdout + out.stderr
    assert "falling back to the newest intact checkpoint" in log and "iter_30.pth is corrupt" in log
    assert not (work / ".iter_40.pth.tmp").exists()
    _assert_same_weights(_final_weights(work), _final_weights(reference))


def test_marker_to_missing_file_and_no_silent_restart(reference: Path, tmp_path: Path) -> None:
    work = tmp_path / "w"
    work.mkdir()
    (work / "iter_10.pth").write_bytes((reference / "iter_10.pth").read_bytes())
    (work / "last_checkpoint").write_text(str(work / "iter_20.pth"))  # mmengine's old failure
    assert newest_intact_checkpoint(str(work)) == (
        str(work / "iter_10.pth"), [f"the marker points at {work / 'iter_20.pth'}, which does not exist"])
    (work / "iter_10.pth").write_bytes(b"\x00" * 100)
    out = _train(work, resume=True)
    assert out.returncode == 2 and "none is intact" in out.stderr and "Traceback" not in out.stderr
    assert not (work / "iter_60.pth").exists()


def _kill_and_resume(reference: Path, work: Path, kill_after: float, during_write: bool) -> str:
    args = [PYTHON, TRAIN, "hhir_toy::toy.py", "--work-dir", str(work), "--cfg-options",
            *SLOW_DATA, "default_hooks.checkpoint.max_keep_ckpts=1"]
    proc = subprocess.Popen(args, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline, started = time.time() + 240, None
    while time.time() < deadline and proc.poll() is None:
        if started is None and list(work.glob("*.pth")):
            started = time.time()  # training runs (the first checkpoint exists)
        if during_write and list(work.glob(".*.pth.tmp")):
            break  # a checkpoint is being written right now
        if started is not None and time.time() - started > kill_after:
            break
        time.sleep(0.001 if during_write else 0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    if (work / "iter_60.pth").exists() and not list(work.glob(".*.tmp")):
        return "finished before the kill"
    intact, _ = newest_intact_checkpoint(str(work))
    out = subprocess.run(args + ["--resume", "auto"], env=ENV, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    if intact is not None:  # nothing beyond the last completed checkpoint was lost
        assert f"resumed from {intact}" in out.stdout + out.stderr
    _assert_same_weights(_final_weights(work), _final_weights(reference))
    return f"killed, resumed from {intact}"


def test_sigkill_at_a_random_point_then_resume_is_exact(reference: Path, tmp_path: Path) -> None:
    rng = random.Random(int(os.environ.get("HHIR_FAULT_SEED", "0")))
    result = _kill_and_resume(reference, tmp_path / "w", rng.uniform(0.5, 2.5), False)
    assert result.startswith("killed")


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(4))
def test_sigkill_many_points(reference: Path, tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    _kill_and_resume(reference, tmp_path / "w", rng.uniform(0.0, 4.0), during_write=seed % 2 == 1)
