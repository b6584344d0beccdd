"""The example third-party plugin, installed as an outsider would install it.

``examples/third_party_plugin`` is copied to a temporary folder and
pip-installed offline (``--no-deps --no-build-isolation --no-index``) into a
``--target`` directory that is put on ``PYTHONPATH`` of subprocesses only, so
the shared environment and this pytest process stay untouched. Then:

* ``hhir plugins list --json`` shows it (dist, version, component, config dir);
* ``hhir plugins check hhir-example-plugin --json`` passes;
* its own conformance test passes;
* the swapped LLM-AR config builds and trains one step per stage (fast, tiny
  random LLM), and ``tools/train.py hhir_example_plugin::llm_ar_gru_mini.py
  --cfg-options train_cfg.max_iters=1 stages.0.cfg.train_cfg.max_iters=1`` trains both stages with SmolLM2
  (slow: ~90 s on a contended 2-core machine).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "third_party_plugin"
BIN = Path(sys.executable).parent
CONFIG = "hhir_example_plugin::llm_ar_gru_mini.py"


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """``(site_dir, source_copy, env)`` with the plugin pip-installed into ``site_dir``."""
    if not EXAMPLE.is_dir():
        pytest.skip(f"{EXAMPLE} is missing")
    base = tmp_path_factory.mktemp("third_party")
    src = base / "src"
    shutil.copytree(EXAMPLE, src, ignore=shutil.ignore_patterns(
        "build", "*.egg-info", "__pycache__", ".pytest_cache"))
    site = base / "site"
    res = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation",
         "--no-index", "--disable-pip-version-check", "-q", "--target", str(site), str(src)],
        capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, f"pip install failed:\n{res.stdout}\n{res.stderr}"
    env = dict(os.environ, PYTHONPATH=str(site), HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1",
               MKL_NUM_THREADS="1")
    env.pop("HHIR_PLUGINS", None)
    env.pop("HHIR_DISABLE_PLUGIN_AUTOLOAD", None)
    return site, src, env


def _run(args, env, cwd, timeout=900):
    return subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


def _hhir(*args):
    """The ``hhir`` console script of this environment (module form as a fallback)."""
    exe = BIN / "hhir"
    return ([str(exe)] if exe.exists() else [sys.executable, "-m", "hhir_core.cli"]) + list(args)


def test_installed_plugin_is_listed(installed, tmp_path):
    site, _, env = installed
    res = _run(_hhir("plugins", "list", "--json"), env, tmp_path)
    assert res.returncode == 0, res.stderr
    rows = {r["name"]: r for r in json.loads(res.stdout)}
    row = rows.get("hhir_example_plugin")
    assert row is not None, f"not listed; plugins: {sorted(rows)}"
    assert row["status"] == "ok", row["error"]
    assert row["dist"] == "hhir-example-plugin" and row["version"] == "0.1.0"
    assert row["components"] == {"tokenizer": ["GRUSkeletonTokenizer"]}
    assert Path(row["config_dir"]).resolve() == (site / "hhir_example_plugin" / "configs").resolve()
    assert (Path(row["config_dir"]) / "llm_ar_gru_mini.py").is_file()


def test_installed_plugin_passes_hhir_plugins_check(installed, tmp_path):
    _, _, env = installed
    res = _run(_hhir("plugins", "check", "hhir-example-plugin", "--json"), env, tmp_path)
    report = json.loads(res.stdout)
    assert res.returncode == 0 and report["ok"], json.dumps(report, indent=1)[:4000]
    (comp,) = report["components"]
    assert comp["name"] == "GRUSkeletonTokenizer" and comp["role"] == "tokenizer"
    statuses = {c["name"]: c["status"] for c in comp["checks"]}
    for check in ("import_side_effects", "import_time", "factory", "contract", "finite",
                  "cpu_only", "gradients", "determinism", "config_roundtrip", "state_dict",
                  "no_network"):
        assert statuses.get(check) == "pass", (check, statuses)
    assert comp["import_seconds"] is not None


def test_plugin_own_tests_pass(installed, tmp_path):
    _, src, env = installed
    res = _run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                str(src / "tests")], env, tmp_path)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
    assert "3 passed" in res.stdout, res.stdout[-2000:]


_TRAIN_STEP = textwrap.dedent(r"""
    import json, torch
    torch.set_num_threads(1)
    from mmengine.optim import OptimWrapper
    from hhir_core.config import load_config
    from hhir_core.registry import MODELS

    cfg = load_config("hhir_example_plugin::llm_ar_gru_mini.py")
    assert cfg.model.tokenizer.type == "GRUSkeletonTokenizer"
    out = {}
    prev = None
    for stage in ("tokenizer", "llm"):
        m = cfg.model.to_dict() if hasattr(cfg.model, "to_dict") else dict(cfg.model)
        m["train_stage"] = stage
        # a tiny random LLaMA instead of SmolLM2 keeps this test fast; the slow test uses SmolLM2
        m["llm"] = dict(model=dict(tiny=True, hidden_size=64, num_layers=1, num_heads=4),
                        lora=dict(r=4, alpha=8, dropout=0.0, target_modules=["q_proj", "v_proj"]))
        m["tokenizer"] = dict(m["tokenizer"], llm_dim=64)
        m["llm_layers"] = None  # the mini config keeps 8 of SmolLM2's blocks; the tiny LLM has 1
        torch.manual_seed(0)
        model = MODELS.build(m)
        if prev is not None:
            model.load_state_dict(prev, strict=False)
        trainable = {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}
        optim = OptimWrapper(torch.optim.AdamW([p for p in model.parameters() if p.requires_grad],
                                               lr=1e-2))
        batch = dict(keypoint=torch.randn(2, 2, 32, 25, 3), label=torch.tensor([0, 3]))
        logs = model.train_step(batch, optim)
        changed = sorted({n.split(".")[0] + "." + n.split(".")[1] for n, p in
                          model.named_parameters() if n in trainable
                          and not torch.equal(p.detach(), trainable[n])})
        out[stage] = dict(logs={k: float(v) for k, v in logs.items()}, changed=changed,
                          tokenizer_type=type(model.tokenizer).__name__)
        prev = {k: v for k, v in model.state_dict().items() if k.startswith("tokenizer.")}
    print("@@" + json.dumps(out))
""")


def test_swapped_config_trains_one_step_per_stage(installed, tmp_path):
    """Fast path: build LLM-AR from the plugin's config (tiny LLM) and run train_step."""
    _, _, env = installed
    res = _run([sys.executable, "-c", _TRAIN_STEP], env, tmp_path, timeout=600)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-4000:]
    out = json.loads(res.stdout.rpartition("@@")[2])
    s1, s2 = out["tokenizer"], out["llm"]
    assert s1["tokenizer_type"] == s2["tokenizer_type"] == "GRUSkeletonTokenizer"
    assert "loss_recon" in s1["logs"] and s1["logs"]["loss"] > 0
    assert any(c.startswith("tokenizer.") for c in s1["changed"]), s1
    assert "loss_lm" in s2["logs"] and s2["logs"]["loss"] > 0
    assert s2["changed"] and all(c.startswith("head.") for c in s2["changed"]), s2


@pytest.mark.slow
def test_tools_train_one_iteration_through_swapped_config(installed, tmp_path):
    """``tools/train.py plugin::config --cfg-options train_cfg.max_iters=1`` (both stages)."""
    _, _, env = installed
    train = ROOT / "tools" / "train.py"
    if not train.is_file():
        pytest.skip("tools/train.py is not there yet")
    work = tmp_path / "work"
    res = _run([sys.executable, str(train), CONFIG, "--work-dir", str(work), "--cfg-options",
                "train_cfg.max_iters=1", "stages.0.cfg.train_cfg.max_iters=1",
                "train_cfg.val_begin=1000000",
                "train_dataloader.batch_size=2"], env, tmp_path, timeout=1800)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    for stage in ("tokenizer", "llm"):
        assert (work / stage / "stage_done.json").is_file(), stage
        assert (work / stage / "iter_1.pth").is_file(), stage
    from hhir_core.engine.checkpoint import safe_load

    s1 = safe_load(str(work / "tokenizer" / "iter_1.pth"))["state_dict"]
    s2 = safe_load(str(work / "llm" / "iter_1.pth"))["state_dict"]
    key = "tokenizer.layers.0.x2h.weight"
    assert key in s1, sorted(s1)[:10]
    # stage 2 keeps the frozen stage-1 GRU tokenizer and trains LoRA only
    assert key in s2 and s1[key].equal(s2[key])
    assert any("lora_" in k for k in s2)
    assert (work / "llm" / "lora_adapter").is_dir()
