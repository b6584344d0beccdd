"""The model-zoo index: every config is listed; paper configs carry the paper's numbers with
their table; mini configs never quote a paper number; every measured number says how it was made."""
from __future__ import annotations

import json
import subprocess

import pytest

from helpers import PYTHON, REPO
from hhir_core.zoo import as_percent, collect_zoo, record_measured, render_markdown, validate_zoo

# reported top-1 of the paper-faithful configs (the papers' main tables)
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
    assert as_percent("seen_macro_f1", 0.02) == 2 and as_percent("ov_macro_f1", 0.3) == 30
    assert as_percent("cosine_std", 0.05) == 0.05


def test_every_config_has_consistent_zoo_metadata(zoo):
    """A mini or ablation-of-a-mini row never quotes a paper number; paper numbers carry their
    table; paper rows without a number say why; measured numbers say command, seeds, wall time."""
    problems = validate_zoo(list(zoo.values()))
    assert not problems, "\n".join(problems)
    assert zoo["ski_vificlip_ntu120_110_10_mini_nodistill"]["setting"] == "mini"
    assert all(not e["reported"] for e in zoo.values() if e["config"].startswith("configs/ablations/pevl/")
               and "synthetic" in e["dataset"])
    assert zoo["stgcn_ntu120"]["reported"].get("top1")
    assert zoo["ov_hhir_hhirchat"]["paper"].startswith("OV-HHIR: Open Vocabulary Human Interaction Recognition")


def test_ov_hhir_paper_rows(zoo):
    """The open-vocabulary number sits on the config that holds classes out; the VideoLLaMA-style
    analogues carry no paper number (they are not the paper's VideoLLaMA rows)."""
    assert zoo["ov_hhir_hhirchat"]["reported"] == {"cosine": 0.628, "cosine_std": 0.019}
    ov = zoo["ov_hhir_hhirchat_open_vocab"]
    assert ov["setting"] == "paper" and ov["reported"] == {"ov_macro_f1": 0.315} and ov["table"]
    for name in ("videollama_analogue", "videollama_analogue_lora"):
        e = zoo[name]
        assert e["config"] == f"configs/ablations/ov_hhir/{name}.py" and e["method"] == "OV-HHIR"
        assert e["setting"] == "paper" and not e["reported"] and "analogue" in e["reported_note"]


def test_validate_catches_each_labelling_error():
    base = dict(config="configs/x.py", name="x", key="x", method="M", paper="P", dataset="NTU",
                protocol="X-Sub", setting="paper", table="Table 1", reported=dict(top1=1.0),
                reported_note="", paper_config="", measured={})
    assert validate_zoo([base]) == []
    bad = [dict(base, name="x_mini", setting="paper"),                      # a mini marked paper
           dict(base, dataset="hhir synthetic benchmark", setting="mini"),  # a mini quoting a number
           dict(base, table=""),                                            # a number without table
           dict(base, reported={}),                                         # no number, no reason
           dict(base, setting="mini", name="y_mini", reported={}, measured=dict(metrics={"top1": 1}))]
    for entry in bad:
        assert len(validate_zoo([entry])) == 1, entry


def test_record_measured_keeps_mean_spread_and_how(tmp_path):
    (tmp_path / "configs").mkdir()
    path = record_measured(str(tmp_path / "configs"), "m_mini", [dict(top1=0.5), dict(top1=0.7)],
                           "python tools/train.py configs/m_mini.py --seed S", [0, 1], 5.04)
    entry = json.loads(path.read_text())["m_mini"]
    assert entry["metrics"]["top1"] == 60.0 and entry["spread"]["top1"] == 20.0
    assert entry["seeds"] == [0, 1] and entry["wall_min"] == 5.0 and "--seed" in entry["command"]


def test_hhir_zoo_check_passes():
    out = subprocess.run([PYTHON, "-m", "hhir_core.cli", "zoo", "--check"], cwd=REPO,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr


def test_zoo_doc_keeps_the_estimate_section(tmp_path):
    """tools/make_zoo_doc.py rewrites the zoo table but keeps the `hhir estimate` section."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_zoo_doc", REPO / "tools" / "make_zoo_doc.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    out = tmp_path / "model_zoo.md"
    section = f"{tool.ESTIMATE_MARKER}\n## Paper-scale cost\n\n| quantity | value |\n|---|---|\n"
    out.write_text("# stale table\n\n" + section)
    tool.main(["--out", str(out)])
    text = out.read_text()
    assert "stale table" not in text and "llm_ar_ntu120" in text
    assert text.endswith(section) and text.count(tool.ESTIMATE_MARKER) == 1
    repo_doc = (REPO / "docs" / "model_zoo.md").read_text()
    assert tool.ESTIMATE_MARKER in repo_doc and "### `llm_ar_ntu120.py`" in repo_doc


def test_measured_rows_say_how_to_reproduce(zoo):
    for name, entry in zoo.items():
        if entry["measured"]:
            assert entry["reproduce"].startswith("`") and "min" in entry["reproduce"], name


def test_page_zoo_cells_are_the_compact_doc_cells(zoo):
    """The page's zoo table shows the doc's mean ± half range, cut to fit, not the whole
    measured record: a tall cell (seeds, command, note) made the Gradio table hide its row."""
    from hhir_ui.page import ZOO_CELL_CHARS, ZOO_CELL_MORE, zoo_rows

    headers, rows = zoo_rows(str(REPO / "configs"))
    by_config = {r[0]: r for r in rows}
    measured_col, reported_col = headers.index("measured (this project)"), headers.index("reported (paper)")
    mini = zoo["llm_ar_ntu120_mini"]
    assert mini["measured"].get("note") and mini["measured"].get("command")
    cell = by_config[mini["config"]][measured_col]
    assert cell == mini["measured_text"] and "top1" in cell and "±" in cell
    assert mini["measured"]["note"] not in cell and mini["measured"]["command"] not in cell
    assert all(len(r[c]) <= ZOO_CELL_CHARS for r in rows for c in (measured_col, reported_col))
    ov = zoo["ov_hhir_synthetic_mini"]
    assert len(ov["measured_text"]) > ZOO_CELL_CHARS  # the one long row: cut at a metric boundary
    ov_cell = by_config[ov["config"]][measured_col]
    assert ov_cell.startswith("cosine ") and ov_cell.endswith(ZOO_CELL_MORE)
    assert ov["measured_text"].startswith(ov_cell[:-len(ZOO_CELL_MORE)] + ", ")
    paper = zoo["llm_ar_ntu120"]
    assert by_config[paper["config"]][reported_col] == f"top1 88.7 ({paper['table']})"
