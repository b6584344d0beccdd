"""Components written only from docs/plugins.md, in a package outside the repository.

The tokenizer and the segmenter are the files marked ``<!-- role-example: PATH -->`` in
docs/plugins.md, copied verbatim into a new distribution under ``tmp_path`` (with the
tutorial's ``pyproject.toml`` pattern and a ``plugin.py`` registering them), pip-installed
offline into a ``--target`` folder that only the subprocesses see. Then:

* ``hhir plugins check hhir-outside`` passes (contracts and capabilities);
* ``tools/data/split_branches.py VIDEO --segmenter MedianSplitSegmenter`` writes the
  person / background clips;
* LLM-AR's mini config with the tokenizer swapped in trains both stages through
  ``tools/train.py`` (shortened by ``--cfg-options``: a small synthetic set, two
  iterations per stage) and predicts (stage 2's validation scores every class).
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "plugins.md"
BIN = Path(sys.executable).parent
EXAMPLE = re.compile(r"<!-- role-example: (?P<path>[^ ]+) -->\s*\n```[a-z]*\n(?P<body>.*?)\n```", re.S)

PYPROJECT = """\
[build-system]
requires = ["setuptools>=77,<81"]
build-backend = "setuptools.build_meta"

[project]
name = "hhir-outside"
version = "0.1.0"
requires-python = ">=3.10"
dependencies = ["hhir>=0.1,<0.2", "torch>=2.6"]

[project.entry-points."hhir.plugins"]
hhir_outside = "hhir_outside.plugin"

[tool.setuptools.packages.find]
include = ["hhir_outside*"]
"""
PLUGIN = """\
from hhir_core.plugins import hookimpl


@hookimpl
def hhir_register(register):
    register("tokenizer", "WindowMeanTokenizer", "hhir_outside.tokenizer:WindowMeanTokenizer")
    register("segmenter", "MedianSplitSegmenter", "hhir_outside.segmenter:MedianSplitSegmenter")
"""


def _hhir(*args):
    exe = BIN / "hhir"
    return ([str(exe)] if exe.exists() else [sys.executable, "-m", "hhir_core.cli"]) + list(args)


def _run(args, env, cwd, timeout=900):
    return subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def outside(tmp_path_factory):
    """``(site_dir, env)`` with the outside package installed into ``site_dir``."""
    examples = {m["path"]: m["body"] + "\n" for m in EXAMPLE.finditer(DOC.read_text())}
    assert set(examples) == {"hhir_outside/tokenizer.py", "hhir_outside/segmenter.py"}, examples
    base = tmp_path_factory.mktemp("outside")
    src = base / "hhir-outside"
    (src / "hhir_outside").mkdir(parents=True)
    (src / "pyproject.toml").write_text(PYPROJECT)
    (src / "hhir_outside" / "__init__.py").write_text('"""Components from docs/plugins.md."""\n')
    (src / "hhir_outside" / "plugin.py").write_text(PLUGIN)
    for rel, body in examples.items():
        (src / rel).write_text(body)
    site = base / "site"
    res = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation",
         "--no-index", "--disable-pip-version-check", "-q", "--target", str(site), str(src)],
        capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, f"pip install failed:\n{res.stdout}\n{res.stderr}"
    env = dict(os.environ, PYTHONPATH=str(site), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
               OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    env.pop("HHIR_PLUGINS", None)
    env.pop("HHIR_DISABLE_PLUGIN_AUTOLOAD", None)
    return site, env


def test_outside_components_pass_the_kit(outside, tmp_path):
    _, env = outside
    res = _run(_hhir("plugins", "check", "hhir-outside", "--json"), env, tmp_path)
    report = json.loads(res.stdout)
    assert res.returncode == 0 and report["ok"], json.dumps(report, indent=1)[:4000]
    comps = {c["name"]: c for c in report["components"]}
    assert set(comps) == {"WindowMeanTokenizer", "MedianSplitSegmenter"}
    assert comps["WindowMeanTokenizer"]["contracts"] == ["SkeletonTokenizer"]
    assert comps["WindowMeanTokenizer"]["capabilities"] == []
    statuses = {c["name"]: c["status"] for c in comps["WindowMeanTokenizer"]["checks"]}
    assert statuses["capabilities"] == "pass" and statuses["contract"] == "pass", statuses


def test_outside_segmenter_splits_branches(outside, tmp_path):
    _, env = outside
    sys.path.insert(0, str(ROOT / "plugins"))
    from hhir_ov_hhir.branches import write_clip
    from hhir_ov_hhir.segmenters import synthetic_two_person_clip

    clip, _ = synthetic_two_person_clip(T=8, size=96, seed=0)
    video = write_clip(tmp_path / "clip.mp4", clip.frames, 10.0)
    out = tmp_path / "out"
    res = _run([sys.executable, str(ROOT / "tools" / "data" / "split_branches.py"), str(video),
                "--out", str(out), "--segmenter", "MedianSplitSegmenter"], env, tmp_path)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-3000:]
    for name in ("p1", "p2", "bg"):
        path = out / f"clip_{name}.mp4"
        assert path.is_file() and path.stat().st_size > 0, name
    assert (out / "clip_preview.png").is_file()
    assert "p1=" in res.stdout and "p2=" in res.stdout


def _swapped_config(tmp_path: Path) -> Path:
    config = tmp_path / "llm_ar_window_mini.py"
    config.write_text(
        "_base_ = ['hhir_llm_ar::llm_ar_ntu120_mini.py']\n"
        "model = dict(tokenizer=dict(_delete_=True, type='WindowMeanTokenizer', in_channels=150,\n"
        "                            llm_dim=None, hidden=32))\n")
    return config


_STEPS = r"""
import json, sys, torch
torch.set_num_threads(1)
from mmengine.optim import OptimWrapper
from hhir_core.config import load_config
from hhir_core.registry import MODELS

cfg = load_config(sys.argv[1])
out, prev = {}, None
for stage in ("tokenizer", "llm"):
    m = cfg.model.to_dict()
    m.update(train_stage=stage, llm_layers=1)
    torch.manual_seed(0)
    model = MODELS.build(m)
    if prev is not None:
        model.load_state_dict(prev, strict=False)
        model.on_stage_start()
    optim = OptimWrapper(torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-2))
    batch = dict(keypoint=torch.randn(2, 2, 32, 25, 3), label=torch.tensor([0, 3]))
    logs = model.train_step(batch, optim)
    model.eval()
    with torch.no_grad():
        pred = model(mode="predict", **batch)
    out[stage] = dict(logs={k: float(v) for k, v in logs.items()}, tokenizer=type(model.tokenizer).__name__,
                      pred=[sorted(p) for p in pred],
                      num_classes=int(pred[0]["pred_scores"].shape[0]) if "pred_scores" in pred[0] else 0)
    prev = {k: v for k, v in model.state_dict().items() if k.startswith("tokenizer.")}
print("@@" + json.dumps(out))
"""


def test_outside_tokenizer_in_llm_ar_mini_config_one_step_per_stage(outside, tmp_path):
    """Fast path: the mini config (SmolLM2, 1 block) with the outside tokenizer, one step per stage."""
    _, env = outside
    res = _run([sys.executable, "-c", _STEPS, str(_swapped_config(tmp_path))], env, tmp_path,
               timeout=900)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-4000:]
    out = json.loads(res.stdout.rpartition("@@")[2])
    assert out["tokenizer"]["tokenizer"] == out["llm"]["tokenizer"] == "WindowMeanTokenizer"
    assert out["tokenizer"]["logs"]["loss_recon"] > 0
    assert "recon_error" in out["tokenizer"]["pred"][0]
    assert out["llm"]["logs"]["loss_lm"] > 0 and out["llm"]["num_classes"] == 22


@pytest.mark.slow
def test_outside_tokenizer_trains_llm_ar_mini_both_stages_and_predicts(outside, tmp_path):
    """``tools/train.py`` on the swapped mini config (~5 min on a busy 2-core machine)."""
    _, env = outside
    config = _swapped_config(tmp_path)
    work = tmp_path / "work"
    data = tmp_path / "synthetic"
    options = ["train_cfg.max_iters=2", "train_cfg.val_interval=2", "model.llm_layers=1",
               "stages.0.cfg.train_cfg.max_iters=8", "stages.0.cfg.train_cfg.val_interval=8"]
    options += [f"prepare_data.0.out_dir={data}", "prepare_data.0.num_samples=48",
                "prepare_data.0.render=False"]
    for loader in ("train_dataloader", "val_dataloader"):
        options += [f"{loader}.batch_size=4", f"{loader}.num_workers=0",
                    f"{loader}.persistent_workers=False", f"{loader}.dataset.data_root={data}"]
    res = _run([sys.executable, str(ROOT / "tools" / "train.py"), str(config), "--work-dir",
                str(work), "--cfg-options", *options], env, tmp_path, timeout=1800)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-4000:]
    for stage in ("tokenizer", "llm"):
        assert (work / stage / "stage_done.json").is_file(), stage
    metrics = json.loads((work / "metrics.json").read_text())
    assert "tokenizer/vq/recon_error" in metrics or any(
        k.startswith("tokenizer/") and "recon" in k for k in metrics), metrics
    top1 = [v for k, v in metrics.items() if k.startswith("llm/") and "top1" in k]
    assert top1 and 0.0 <= top1[0] <= 100.0, metrics
    assert "splices" in (res.stdout + res.stderr) or "token_mode" in (res.stdout + res.stderr)
