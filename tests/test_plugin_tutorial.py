"""docs/plugins.md, followed from scratch in an empty folder, gives a listed, passing plugin.

The files are extracted from the doc (every fenced block preceded by
``<!-- file: PATH -->``), so the tutorial cannot drift from what is tested.
The doc's ``pip install -e .`` is run as the equivalent offline install into a
``--target`` folder on ``PYTHONPATH`` (the shared environment stays untouched);
the other commands of the ``<!-- commands -->`` block run as written.
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
BLOCK = re.compile(r"<!-- file: (?P<path>[^ ]+) -->\s*\n```[a-z]*\n(?P<body>.*?)\n```", re.S)
COMMANDS = re.compile(r"<!-- commands -->\s*\n```bash\n(?P<body>.*?)\n```", re.S)


def _doc_files() -> dict:
    text = DOC.read_text()
    return {m["path"]: m["body"] + "\n" for m in BLOCK.finditer(text)}


def _doc_commands() -> list:
    m = COMMANDS.search(DOC.read_text())
    assert m, "docs/plugins.md lost its <!-- commands --> block"
    return [line.split("#")[0].strip() for line in m["body"].splitlines() if line.strip()]


def _hhir(*args):
    exe = BIN / "hhir"
    return ([str(exe)] if exe.exists() else [sys.executable, "-m", "hhir_core.cli"]) + list(args)


def test_tutorial_files_are_complete():
    files = _doc_files()
    assert set(files) == {"hhir-myplugin/pyproject.toml", "hhir-myplugin/hhir_myplugin/__init__.py",
                          "hhir-myplugin/hhir_myplugin/plugin.py",
                          "hhir-myplugin/hhir_myplugin/encoder.py",
                          "hhir-myplugin/tests/test_conformance.py"}
    assert _doc_commands() == ["cd hhir-myplugin", "pip install -e .", "hhir plugins list",
                               "hhir plugins check hhir-myplugin", "pytest tests"]


def test_tutorial_from_scratch(tmp_path):
    if not DOC.is_file():
        pytest.skip("docs/plugins.md is missing")
    for rel, body in _doc_files().items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body)
    project = tmp_path / "hhir-myplugin"
    site = tmp_path / "site"
    # "pip install -e ." -> the same build, offline, into a private folder
    res = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps",
                          "--no-build-isolation", "--no-index", "--disable-pip-version-check",
                          "-q", "--target", str(site), "."], cwd=project, capture_output=True,
                         text=True, timeout=600)
    assert res.returncode == 0, res.stdout + res.stderr
    env = dict(os.environ, PYTHONPATH=str(site), HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1")
    env.pop("HHIR_PLUGINS", None)
    env.pop("HHIR_DISABLE_PLUGIN_AUTOLOAD", None)

    def run(cmd, timeout=600):
        return subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True,
                              timeout=timeout)

    # hhir plugins list: listed and loaded
    res = run(_hhir("plugins", "list"))
    assert res.returncode == 0, res.stderr
    line = next((ln for ln in res.stdout.splitlines() if ln.startswith("hhir_myplugin")), "")
    assert "0.1.0" in line and " ok " in f"{line} " and "branch_encoder: 1" in line, res.stdout
    rows = {r["name"]: r for r in json.loads(run(_hhir("plugins", "list", "--json")).stdout)}
    assert rows["hhir_myplugin"]["components"] == {
        "branch_encoder": ["TemporalConvSkeletonEncoder"]}

    # hhir plugins check hhir-myplugin: passes
    res = run(_hhir("plugins", "check", "hhir-myplugin"))
    assert res.returncode == 0, res.stdout + res.stderr
    assert "PASS  branch_encoder  TemporalConvSkeletonEncoder" in res.stdout, res.stdout

    # pytest tests: the tutorial's own conformance test passes
    res = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"])
    assert res.returncode == 0 and "1 passed" in res.stdout, res.stdout[-3000:] + res.stderr[-2000:]
