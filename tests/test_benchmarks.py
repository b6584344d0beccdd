"""Smoke tests of the benchmark suite (benchmarks/): helpers, aggregation, Markdown.

No timing is asserted (the machine is shared); what is checked is that every figure
comes out as a ratio with its peer and input size, that a missing or broken bench is
reported instead of crashing the suite, and that the measurement helpers measure.
"""
from __future__ import annotations

import importlib.util
import json
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = ROOT / "benchmarks"
sys.path.insert(0, str(BENCH_DIR))

import common  # noqa: E402
import run_all  # noqa: E402


def _table_rows(text: str):
    lines = [ln for ln in text.splitlines() if ln.startswith("| ")]
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    rows = [[c.strip() for c in ln.strip("|").split(" | ")] for ln in lines[1:]]
    return header, rows


def test_ratio_direction_and_markdown_columns(tmp_path):
    fast = common.ratio_record("b", "wall time", "hhir x", "peer y", 2.0, 8.0, "N=10", 3, "s",
                               lower_is_better=True)
    assert fast.ratio == pytest.approx(4.0) and "peer / hhir" in fast.reads_as
    thr = common.ratio_record("b", "throughput", "hhir x", "peer y", 30.0, 10.0, "B=4", 3,
                              "samples/s", lower_is_better=False)
    assert thr.ratio == pytest.approx(3.0) and "hhir / peer" in thr.reads_as
    skip = common.skipped("other", "plugin hhir_foo not installed")
    text = common.write_markdown(tmp_path / "r.md", [fast, thr, skip], meta=dict(cpus=2))
    assert (tmp_path / "r.md").read_text() == text
    header, rows = _table_rows(text.split("## Skipped")[0])
    for col in ("Ratio", "Peer", "Input size", "Reads as", "Runs"):
        assert col in header
    first = dict(zip(header, rows[0]))
    assert first["Ratio"] == "**4×**" and first["Peer"] == "peer y" and first["Input size"] == "N=10"
    assert "plugin hhir_foo not installed" in text.split("## Skipped or failed")[1]


def test_records_roundtrip_keeps_unknown_keys(tmp_path):
    rec = common.ratio_record("b", "m", "s", "p", 1.0, 2.0, "n", 1, "s", True, foo=[1, 2])
    common.write_records(tmp_path / "r.json", [rec])
    back = common.read_records(tmp_path / "r.json")
    assert back[0] == rec
    odd = common.Record.from_dict(dict(rec.to_dict(), surprise=3))
    assert odd.extra["surprise"] == 3


def test_run_measured_sees_child_memory_and_exit_code():
    alloc = "import numpy as np; a = np.ones(40_000_000); a += 1"  # 320 MB
    res = common.run_measured([sys.executable, "-c", alloc])
    assert res.returncode == 0
    assert res.peak_tree_rss_mb > 250 or res.maxrss_mb > 250
    bad = common.run_measured([sys.executable, "-c", "import sys; print('x'); sys.exit(3)"])
    assert bad.returncode == 3 and bad.stdout.strip() == "x"
    hung = common.run_measured([sys.executable, "-c", "import time; time.sleep(60)"], timeout=0.5)
    assert hung.returncode < 0  # killed by us


def test_interleaved_medians_order():
    calls = []
    out = common.interleaved_medians({"a": lambda: calls.append("a") or 1.0,
                                      "b": lambda: calls.append("b") or 3.0}, repeats=3)
    assert calls == ["a", "b"] * 3
    assert out["a"]["median"] == 1.0 and out["b"]["values"] == [3.0] * 3


def _fake_bench(tmp_path, name, body):
    script = tmp_path / f"{name}.py"
    script.write_text(textwrap.dedent(body))
    return run_all.Bench(name, script.name, "test", args=lambda a: [], quick_args=lambda a: [],
                         parse=run_all.parse_records, timeout=120)


def test_run_all_reports_missing_broken_and_good_benches(tmp_path, monkeypatch):
    monkeypatch.setattr(run_all, "HERE", tmp_path)
    monkeypatch.setattr(run_all, "WORK", tmp_path / "_work")
    good = _fake_bench(tmp_path, "good", f"""
        import sys; sys.path.insert(0, {str(BENCH_DIR)!r})
        from common import ratio_record, write_records
        from pathlib import Path
        write_records(Path(sys.argv[sys.argv.index('--json') + 1]), [ratio_record(
            'good', 'wall time', 'hhir thing', 'peer thing', 1.0, 2.5, 'N=7', 3, 's', True)])
    """)
    missing_dep = _fake_bench(tmp_path, "needs", "import hhir_plugin_that_does_not_exist\n")
    crash = _fake_bench(tmp_path, "crash", "raise RuntimeError('boom')\n")
    absent = run_all.Bench("absent", "nope.py", "someone", args=lambda a: [],
                           quick_args=lambda a: [], parse=run_all.parse_records)
    monkeypatch.setattr(run_all, "BENCHES", [good, missing_dep, crash, absent])
    out = tmp_path / "results.md"
    assert run_all.main(["--out", str(out)]) == 0
    text = out.read_text()
    header, rows = _table_rows(text.split("## Skipped")[0])
    row = dict(zip(header, rows[0]))
    assert row["Ratio"] == "**2.5×**" and row["Peer"] == "peer thing" and row["Input size"] == "N=7"
    skipped_part = text.split("## Skipped or failed")[1]
    assert "| needs | skipped |" in skipped_part and "hhir_plugin_that_does_not_exist" in skipped_part
    assert "| crash | failed |" in skipped_part and "boom" in skipped_part
    assert "| absent | skipped |" in skipped_part and "nope.py" in skipped_part


def test_run_all_reads_printed_json_of_a_script_without_json_flag(tmp_path, monkeypatch):
    """Scripts we do not own get only the flags their --help declares; printed JSON is read."""
    monkeypatch.setattr(run_all, "HERE", tmp_path)
    monkeypatch.setattr(run_all, "WORK", tmp_path / "_work")
    bench = _fake_bench(tmp_path, "printer", """
        import argparse, json
        ap = argparse.ArgumentParser(); ap.add_argument("--quick", action="store_true")
        a = ap.parse_args()  # would fail on --json
        print("some progress line")
        print(json.dumps(dict(ratios=dict(speedup=4.0 if a.quick else 2.0), peer="naive loop",
                              input_size="K=8")))
    """)
    bench.help_flags = ["--quick"]
    bench.quick_args = lambda a: ["--quick"]
    recs = run_all.run_bench(bench, run_all.main.__globals__["argparse"].Namespace(quick=True))
    assert [(r.status, r.ratio, r.peer, r.input_size) for r in recs] == [
        ("ok", 4.0, "naive loop", "K=8")]


def test_parse_ntu_dataset_report():
    side = dict(open_s=2.0, first_batch_s=4.0, samples_per_s=100.0, peak_rss_mb=500.0,
                peak_pss_mb=300.0, num_train=900)
    other = dict(open_s=6.0, first_batch_s=8.0, samples_per_s=50.0, peak_rss_mb=1000.0,
                 peak_pss_mb=900.0)
    report = dict(num_samples=1000, pickle_mb=10.0, workers=2, batch_size=64, pack_once_s=1.0,
                  results=dict(packed=side, mmaction=other), ratios={})
    bench = next(b for b in run_all.BENCHES if b.name == "ntu_dataset")
    recs = {r.measure: r for r in run_all.parse_ntu_dataset(report, bench)}
    assert recs["dataset build time"].ratio == pytest.approx(3.0)
    assert recs["loading throughput"].ratio == pytest.approx(2.0)
    assert recs["peak PSS (process + workers)"].ratio == pytest.approx(3.0)
    assert all("1000 synthetic NTU samples" in r.input_size for r in recs.values())
    merged = run_all.merge_runs([list(recs.values()), [
        common.Record.from_dict(dict(r.to_dict(), ratio=r.ratio * 3)) for r in recs.values()],
        list(recs.values())])
    assert {r.measure: r.ratio for r in merged}["dataset build time"] == pytest.approx(3.0)
    assert all(r.runs == 3 for r in merged)


def test_mini_memory_shortens_every_stage_and_redirects_data(tmp_path):
    cfg_path = ROOT / "configs" / "llm_ar_ntu120_mini.py"
    if not cfg_path.is_file():
        pytest.skip("configs/llm_ar_ntu120_mini.py is not there")
    spec = importlib.util.spec_from_file_location("bench_mini_memory",
                                                  BENCH_DIR / "bench_mini_memory.py")
    mm = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mm)
    from hhir_core.config import load_config

    cfg = load_config(str(cfg_path))
    mm.redirect_data(cfg, 123, tmp_path)
    mm.shorten(cfg, 2)
    assert cfg.train_cfg["max_iters"] == 2 and cfg.train_cfg["type"] == "IterBasedTrainLoop"
    assert cfg.stages, "the LLM-AR mini config has stages"
    for stage in cfg.stages:
        assert stage["cfg"]["train_cfg"]["max_iters"] == 2
        assert stage["cfg"]["default_hooks"]["checkpoint"]["by_epoch"] is False
    specs = mm.synthetic_specs(cfg.to_dict())
    assert specs and all(s["num_samples"] == 123 for s in specs)
    assert all(str(s["out_dir"]).startswith(str(tmp_path)) for s in specs)
    assert str(cfg.train_dataloader["dataset"]["data_root"]).startswith(str(tmp_path))


def test_kept_rows_of_an_earlier_page(tmp_path):
    """--only with --keep: other benches' rows (and notes, skips) survive, re-run ones do not."""
    a = common.ratio_record("alpha", "wall time", "hhir a", "peer a", 1.0, 2.0, "N=1", 1, "s", True,
                            notes="alpha note")
    b = common.ratio_record("beta", "wall time", "hhir b", "peer b", 1.0, 3.0, "N=2", 1, "s", True,
                            notes="beta note")
    old = common.write_markdown(tmp_path / "old.md", [a, b, common.skipped("gamma", "no gpu")])
    kept = common.kept_rows(old, ["beta"])
    assert [r.split(" | ")[0] for r in kept["rows"]] == ["| alpha"]
    assert kept["notes"] == ["- **alpha** — alpha note"] and "gamma" in kept["other"][0]
    b2 = common.Record.from_dict(dict(b.to_dict(), ratio=5.0))
    text = common.write_markdown(tmp_path / "new.md", [b2], kept=kept)
    header, rows = _table_rows(text.split("## Skipped")[0])
    got = {r[0]: r[header.index("Ratio")] for r in rows}
    assert got == {"beta": "**5×**", "alpha": "**2×**"}
    assert "alpha note" in text and "| gamma | skipped |" in text


@pytest.mark.slow
def test_framework_overhead_quick(tmp_path):
    """The overhead bench end to end on the tiny LLM: both sides time the same number of steps."""
    spec = importlib.util.spec_from_file_location("bench_framework_overhead",
                                                  BENCH_DIR / "bench_framework_overhead.py")
    fo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fo)
    recs = fo.run(True, steps=2, warmup=1, batch_size=2, data_dir=tmp_path / "data")
    assert len(recs) == 1 and recs[0].status == "ok", recs
    r = recs[0]
    assert r.ratio and r.ratio > 0 and "bare PyTorch" in r.peer and "Runner" in r.subject
    assert r.extra["overhead"] == pytest.approx(r.subject_value / r.peer_value)


@pytest.mark.slow
def test_run_all_quick_plugins_list(tmp_path):
    """The real suite entry point on its cheapest bench (fresh processes; ~1 min)."""
    import subprocess

    out = tmp_path / "results.md"
    res = subprocess.run([sys.executable, str(BENCH_DIR / "run_all.py"), "--quick", "--only",
                          "plugins_list", "--out", str(out)], capture_output=True, text=True,
                         cwd=ROOT, timeout=1200)
    assert res.returncode == 0, res.stderr[-2000:]
    text = out.read_text()
    assert "hhir plugins list" in text and "import mmaction.registry" in text
    header, rows = _table_rows(text.split("## Skipped")[0])
    assert "Input size" in header and len(rows) >= 3
    data = json.loads((ROOT / "benchmarks" / "_work" / "run" / "plugins_list.json").read_text())
    assert all(d["ratio"] > 0 for d in data)
