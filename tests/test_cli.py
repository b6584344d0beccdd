"""`hhir components` and `hhir config show` (plugins list is covered in test_plugins)."""
from __future__ import annotations

import json
import subprocess

from helpers import PYTHON, REPO, TOY_PLUGIN, env_with_path


def _hhir(*args, env=None):
    return subprocess.run([PYTHON, "-m", "hhir_core.cli", *args], capture_output=True, text=True,
                          timeout=120, cwd=REPO, env=env)


def test_components_by_role():
    out = _hhir("components", "tokenizer", "--json")
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert rows and all(r["role"] == "tokenizer" for r in rows)
    assert {"HyperbolicVQTokenizer", "EuclideanVQTokenizer"} <= {r["name"] for r in rows}
    bad = _hhir("components", "tokeniser")
    assert bad.returncode == 2 and "did you mean tokenizer" in bad.stderr


def test_config_show_resolves_inheritance_and_overrides():
    env = env_with_path(TOY_PLUGIN)
    out = _hhir("config", "show", "hhir_toy::toy_stages.py", "--cfg-options", "model.hidden=7",
                "--validate", env=env)
    assert out.returncode == 0, out.stderr
    assert "hidden=7" in out.stdout.replace(" ", "")
    assert "name='finetune'" in out.stdout  # from the child config
    assert "ToyClusterDataset" in out.stdout  # from the _base_ config
    bad = _hhir("config", "show", "hhir_toy::toy.py", "--cfg-options", "model.type=Nope",
                "--validate", env=env)
    assert bad.returncode == 2 and "model.type: unknown component 'Nope'" in bad.stderr
