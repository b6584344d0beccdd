"""The commands README.md and docs/*.md show a user still exist: configs load, tools answer
``--help``, ``hhir`` subcommands are real. (The runs themselves are covered by other tests.)"""
from __future__ import annotations

import glob
import itertools
import re
import subprocess

import pytest

from helpers import PYTHON, REPO

DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
TEXT = {p.name: p.read_text(encoding="utf-8") for p in DOCS}

# `configs/...py` not preceded by a path component (examples/.../configs/x.py is another tree)
CONFIG_RE = re.compile(r"(?<![\w/.-])(configs/[\w/{},*.-]+?\.py)\b")
PLUGIN_CONFIG_RE = re.compile(r"\b(hhir_\w+)::([\w/.-]+?\.py)\b")
TOOL_RE = re.compile(r"(?<![\w/.-])((?:tools/(?:data/)?|benchmarks/)\w+\.py)\b")
# `hhir WORD [SUB]`; "hhir conformance: ..." is program output, not a command
HHIR_RE = re.compile(r"(?:^|[`\s(])hhir ([a-z][a-z-]*)\b(?!:)(?: ([a-z][a-z-]*))?", re.M)


def _expand_braces(pattern: str) -> list:
    """``a_{x,y}.py`` -> [``a_x.py``, ``a_y.py``] (what the shell does)."""
    parts = re.split(r"\{([^{}]*)\}", pattern)
    choices = [[p] if i % 2 == 0 else p.split(",") for i, p in enumerate(parts)]
    return ["".join(c) for c in itertools.product(*choices)]


def _mentioned(regex: re.Pattern) -> dict:
    found: dict = {}
    for name, text in TEXT.items():
        for m in regex.finditer(text):
            found.setdefault(m.group(1) if m.re.groups == 1 else m.groups(), name)
    return found


def _config_paths() -> dict:
    paths: dict = {}
    for mention, doc in _mentioned(CONFIG_RE).items():
        for pattern in _expand_braces(mention):
            matches = sorted(glob.glob(pattern, root_dir=REPO)) if "*" in pattern else [pattern]
            assert matches, f"{doc}: {mention} matches no config"
            for path in matches:
                paths.setdefault(path, doc)
    return paths


CONFIGS = _config_paths()
PLUGIN_CONFIGS = {f"{plugin}::{path}": doc
                  for (plugin, path), doc in _mentioned(PLUGIN_CONFIG_RE).items()
                  if plugin == "hhir_core" or (REPO / "plugins" / plugin).is_dir()}
TOOLS = _mentioned(TOOL_RE)


def test_the_docs_mention_what_this_test_checks():
    # guards the regexes: if they stopped matching, every test below would pass vacuously
    assert "configs/llm_ar_ntu120_mini.py" in CONFIGS
    assert "configs/ablations/pevl/no_ucmr.py" in CONFIGS
    assert "hhir_llm_ar::llm_ar_ntu120_mini.py" in PLUGIN_CONFIGS
    assert "tools/train.py" in TOOLS and "tools/data/make_synthetic.py" in TOOLS
    assert "benchmarks/run_all.py" in TOOLS


@pytest.mark.parametrize("path", sorted(CONFIGS) + sorted(PLUGIN_CONFIGS))
def test_config_named_in_docs_exists_and_loads(path):
    from hhir_core.config import load_config

    doc = CONFIGS.get(path) or PLUGIN_CONFIGS[path]
    if "::" not in path:
        assert (REPO / path).is_file(), f"{doc} names {path}, which does not exist"
    cfg = load_config(path if "::" in path else str(REPO / path))
    assert cfg.get("model") or cfg.get("default_scope") or cfg.get("train_cfg") or len(cfg), \
        f"{doc}: {path} loads empty"


@pytest.mark.parametrize("tool", sorted(TOOLS))
def test_tool_named_in_docs_exists_and_answers_help(tool, tmp_path):
    assert (REPO / tool).is_file(), f"{TOOLS[tool]} names {tool}, which does not exist"
    out = subprocess.run([PYTHON, str(REPO / tool), "--help"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, f"{tool} --help: {out.stderr[-1500:]}"
    assert out.stdout.lower().startswith("usage:")


def _subcommands(parser) -> dict:
    """{name: parser} of an argparse parser's sub-commands."""
    import argparse

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _command_spans(text: str) -> list:
    """Lines of fenced code blocks and `inline code` spans of the prose: where commands are."""
    spans, in_block = [], False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            in_block = not in_block
        elif in_block:
            spans.append(line.split("#")[0])
        else:
            spans += re.findall(r"`([^`]+)`", line)
    return spans


def test_hhir_subcommands_named_in_docs_are_real():
    from hhir_core.cli import build_parser

    commands = _subcommands(build_parser())
    assert {"infer", "ui", "check", "estimate", "zoo", "config", "plugins", "components"} <= set(commands)
    unknown = []
    for name, text in TEXT.items():
        for span in _command_spans(text):
            for m in HHIR_RE.finditer(span):
                word, sub = m.group(1), m.group(2)
                if word not in commands:
                    unknown.append(f"{name}: hhir {word}")
                    continue
                subs = _subcommands(commands[word])
                if subs and sub not in subs:
                    unknown.append(f"{name}: hhir {word} {sub}")
    assert unknown == []
