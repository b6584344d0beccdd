"""The model-zoo index: every config is listed; paper configs carry the paper's numbers."""
from __future__ import annotations

import json
import subprocess

import pytest

from helpers import PYTHON, REPO
from hhir_core.zoo import as_percent, collect_zoo, render_markdown

# the papers' reported top-1 of the paper-faithful configs
PAPER_TOP1 = {
    "llm_ar_ntu120": 88.7, "llm_ar_ntu120_xset": 91.5,
    "ski_vificlip_ntu60_55_5": 82.2, "ski_vificlip_ntu60_48_12": 52.0,
    "ski_vificlip_ntu120_110_10": 77.5, "ski_vificlip_ntu120_96_24": 59.3,
    "pevl_diving48": 91.9, "pevl_gym99": 96.5, "pevl_gym288": 90.5,
}


@pytest.fixture(scope="module")
def zoo():
    return {e["name"]: e for e in collect_zoo(str(REPO / "configs"))}


def test_every_config_loads_and_is_listed(zoo):
    files = {p.stem for p in (REPO / "configs").glob("*.py")}
    assert files <= set(zoo)
    broken = {n: e["error"] for n, e in zoo.items() if "error" in e}
    assert not broken, broken


@pytest.mark.parametrize("name, top1", sorted(PAPER_TOP1.items()))
def test_paper_numbers(zoo, name, top1):
    if name not in zoo:
        pytest.fail(f"configs/{name}.py is missing")
    assert zoo[name]["reported"].get("top1") == top1
    assert zoo[name]["setting"] == "paper"


def test_markdown_and_cli(zoo):
    text = render_markdown(list(zoo.values()))
    assert "| config | setting |" in text and "`configs/llm_ar_ntu120.py`" in text
    out = subprocess.run([PYTHON, "-m", "hhir_core.cli", "zoo", "--json"], cwd=REPO,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert {e["name"] for e in json.loads(out.stdout)} == set(zoo)


def test_percent_conversion():
    assert as_percent("top1", 0.5) == 50 and as_percent("cosine", 0.5) == 0.5


def test_zoo_doc_keeps_the_estimate_section(tmp_path):
    """tools/make_zoo_doc.py rewrites the zoo table but keeps the `hhir estimate` section."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_zoo_doc", REPO / "tools" / "make_zoo_doc.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    out = tmp_path / "model_zoo.md"
    section = f"{tool.ESTIMATE_MARKER}\n## Paper-scale cost\n\n| quantity | value |\n|---|---|\n"
    out.write_text("# stale table\n\n" + section)
    assert tool.main(["--out", str(out)]) == 0
    text = out.read_text()
    assert "stale table" not in text and "llm_ar_ntu120" in text
    assert text.endswith(section) and text.count(tool.ESTIMATE_MARKER) == 1
    repo_doc = (REPO / "docs" / "model_zoo.md").read_text()
    assert tool.ESTIMATE_MARKER in repo_doc and "### `llm_ar_ntu120.py`" in repo_doc


def test_only_paper_rows_quote_paper_numbers(zoo):
    # a mini or ablation row inherits the paper config's metadata but never quotes it
    for name, entry in zoo.items():
        if entry["setting"] != "paper":
            assert entry["reported"] == {}, name
        if "_mini" in name:
            assert entry["setting"] == "mini", name
    assert zoo["ski_vificlip_ntu120_110_10_mini_nodistill"]["setting"] == "mini"
    assert all(e["setting"] == "ablation" for n, e in zoo.items() if e["config"].count("/") > 1)


def test_measured_rows_say_how_to_reproduce(zoo):
    for name, entry in zoo.items():
        if entry["measured"]:
            assert entry["reproduce"].startswith(f"`python tools/train.py {entry['config']}`"), name
    assert "~14 min" in zoo["llm_ar_ntu120_mini"]["reproduce"]
