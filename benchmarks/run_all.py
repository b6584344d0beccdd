#!/usr/bin/env python
"""Run every benchmark as a subprocess and write ``benchmarks/results.md`` (``make bench``).

    python benchmarks/run_all.py                 # the full suite (< 20 min on 2 idle cores)
    python benchmarks/run_all.py --quick         # smoke run, tiny sizes, a few minutes
    python benchmarks/run_all.py --only plugins_list framework_overhead --out /tmp/r.md

Every figure is a ratio against a named peer measured in the same run, with the
input size. A bench whose script or dependency is missing is listed as skipped with
the reason; a bench that crashes is listed as failed — the suite itself goes on.
Logs of every bench: ``benchmarks/_work/logs/<name>.log``; raw JSON:
``benchmarks/_work/run/<name>*.json``.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, WORK, Record, bench_env, failed, kept_rows, machine_info, skipped, write_markdown  # noqa: E402

HERE = Path(__file__).resolve().parent
SHARED_MINI = ROOT / "data" / "synthetic_mini"


@dataclass
class Bench:
    """One bench script, its arguments per mode and how to read its JSON."""

    name: str
    script: str
    owner: str
    args: Callable[[argparse.Namespace], List[str]]
    quick_args: Callable[[argparse.Namespace], List[str]]
    parse: Callable[[Any, "Bench"], List[Record]]
    repeats: Callable[[argparse.Namespace], int] = lambda a: 1  # runs of the whole script
    timeout: float = 900.0
    help_flags: List[str] = field(default_factory=list)


# ----------------------------------------------------------------------------- parsers
def parse_records(data: Any, bench: "Bench") -> List[Record]:
    """Our own format: a JSON list of ``Record`` dicts (or ``{"records": [...]}``)."""
    if isinstance(data, dict) and isinstance(data.get("records"), list):
        data = data["records"]
    if isinstance(data, list) and all(isinstance(d, dict) for d in data):
        if all("ratio" in d and "peer" in d for d in data):
            out = []
            for d in data:
                d = dict(d)
                d.setdefault("bench", bench.name)
                d.setdefault("measure", d.get("metric", "-"))
                d.setdefault("subject", "hhir")
                d.setdefault("reads_as", "as reported by the script")
                d.setdefault("input_size", "not stated by the script")
                out.append(Record.from_dict(d))
            return out
    if isinstance(data, dict) and isinstance(data.get("ratios"), dict):
        return parse_ratio_dict(data, bench)
    raise ValueError(f"{bench.script}: unrecognised JSON output (expected a list of records "
                     f"with 'ratio' and 'peer', or a dict with 'ratios')")


def parse_ratio_dict(data: Dict[str, Any], bench: "Bench") -> List[Record]:
    """Generic ``{"ratios": {name: value}, "peer": ..., "input_size": ...}``."""
    peer = str(data.get("peer", "peer not stated by the script"))
    size = str(data.get("input_size", data.get("size", "not stated by the script")))
    return [Record(bench=bench.name, measure=k, subject=str(data.get("subject", "hhir")),
                   peer=peer, ratio=float(v), reads_as="as named by the script",
                   input_size=size) for k, v in data["ratios"].items()]


def parse_ntu_dataset(data: Any, bench: "Bench") -> List[Record]:
    """benchmarks/bench_ntu_dataset.py's report: per-side results + ratios."""
    if isinstance(data, list):
        return parse_records(data, bench)
    p, m = data["results"]["packed"], data["results"]["mmaction"]
    subject = "hhir NTUSkeletonDataset (packed, memory-mapped)"
    peer = "mmaction2 PoseDataset (same pickle, same sampling)"
    size = (f"{data['num_samples']} synthetic NTU samples ({data.get('pickle_mb', 0):.0f} MB "
            f"pickle, {p.get('num_train', '?')} in xsub_train), batch {data.get('batch_size')}, "
            f"{data.get('workers')} workers, 100 frames × 2 persons")
    note = (f"one-time packing of the pickle: {data.get('pack_once_s', 0):.1f} s (not in the "
            "figures); PSS splits pages shared by the workers, RSS counts them per process")

    def rec(measure, key, unit, lower_is_better, inverse=False):
        sv, pv = p[key], m[key]
        ratio = (pv / sv if lower_is_better else sv / pv) if sv and pv else None
        reads = (f"peer / hhir {unit}; > 1: hhir lower" if lower_is_better
                 else f"hhir / peer {unit}; > 1: hhir higher")
        return Record(bench=bench.name, measure=measure, subject=subject, peer=peer,
                      ratio=ratio, reads_as=reads, input_size=size, subject_value=sv,
                      peer_value=pv, unit=unit, runs=1, notes=note)

    return [rec("dataset build time", "open_s", "s", True),
            rec("time to first batch", "first_batch_s", "s", True),
            rec("loading throughput", "samples_per_s", "samples/s", False),
            rec("peak PSS (process + workers)", "peak_pss_mb", "MB", True),
            rec("peak RSS (process + workers)", "peak_rss_mb", "MB", True)]


def merge_runs(runs: Sequence[List[Record]]) -> List[Record]:
    """Median over repeated whole-script runs, figure by figure (same bench/measure/peer)."""
    if len(runs) == 1:
        return list(runs[0])
    groups: Dict[tuple, List[Record]] = {}
    for records in runs:
        for r in records:
            groups.setdefault((r.bench, r.measure, r.subject, r.peer, r.status), []).append(r)
    out = []
    for rs in groups.values():
        first = rs[0]
        if first.status != "ok":
            out.append(first)
            continue

        def med(values):
            values = [v for v in values if v is not None]
            return statistics.median(values) if values else None

        first.extra = dict(first.extra, per_run_ratios=[r.ratio for r in rs])
        first.ratio = med(r.ratio for r in rs)
        first.subject_value = med(r.subject_value for r in rs)
        first.peer_value = med(r.peer_value for r in rs)
        first.runs = sum(r.runs for r in rs)
        out.append(first)
    return out


# ----------------------------------------------------------------------------- the suite
def _mini_data_args(a: argparse.Namespace) -> List[str]:
    if a.mini_small_data:
        return ["--small-data", str(a.mini_small_data)]
    if (SHARED_MINI / "manifest.json").is_file():
        return []  # the shared set the _mini configs use (made by `make demo` / tests)
    return ["--small-data", "400"]


BENCHES: List[Bench] = [
    Bench("plugins_list", "bench_plugins_list.py", "benchmarks engineer",
          args=lambda a: ["--repeats", str(a.repeats)],
          quick_args=lambda a: ["--repeats", "1"],
          parse=parse_records, timeout=900),
    Bench("framework_overhead", "bench_framework_overhead.py", "benchmarks engineer",
          args=lambda a: [], quick_args=lambda a: ["--quick"],
          parse=parse_records, timeout=1800),
    Bench("ntu_dataset", "bench_ntu_dataset.py", "data-ntu engineer",
          args=lambda a: ["--num-samples", str(a.ntu_samples), "--batches", "30"],
          quick_args=lambda a: ["--num-samples", "300", "--batches", "3", "--batch-size", "16"],
          parse=parse_ntu_dataset, repeats=lambda a: 1 if a.quick else a.ntu_repeats,
          timeout=1800),
    Bench("llm_ar", "bench_llm_ar.py", "LLM-AR engineer",
          args=lambda a: [], quick_args=lambda a: ["--quick"],
          parse=parse_records, timeout=3600),
    Bench("mini_memory", "bench_mini_memory.py", "benchmarks engineer",
          args=lambda a: ["--iters", "3", "--repeats", "1"] + _mini_data_args(a),
          quick_args=lambda a: ["--iters", "1", "--small-data", "200", "--configs",
                                str(ROOT / "configs" / "stgcn_ntu120_mini.py"),
                                str(ROOT / "configs" / "llm_ar_ntu120_mini.py")],
          parse=parse_records, timeout=2400),
    Bench("video_frontend", "bench_video_frontend.py", "video front-end engineer",
          args=lambda a: ["--repeats", "2"],
          quick_args=lambda a: ["--repeats", "1", "--frames", "12", "--synthetic", "0"],
          parse=parse_records, timeout=1800),
]


def _supported_flags(script: Path, timeout: float = 120) -> Optional[str]:
    """The script's ``--help`` text (to pass only flags it knows); None if it fails."""
    try:
        res = subprocess.run([sys.executable, str(script), "--help"], capture_output=True,
                             text=True, timeout=timeout, cwd=ROOT, env=bench_env())
    except subprocess.TimeoutExpired:
        return None
    return res.stdout if res.returncode == 0 else None


def _skip_reason(text: str) -> Optional[str]:
    for line in reversed(text.strip().splitlines()):
        if any(k in line for k in ("ModuleNotFoundError", "ImportError", "RequirementError",
                                   "is not installed", "RegistryMiss")):
            return line.strip()[:300]
    return None


def _rel(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def _last_json(text: str) -> Any:
    """The last line of ``text`` that parses as a JSON list or object (or all of it)."""
    try:
        return json.loads(text)
    except ValueError:
        pass
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line[:1] in "[{":
            try:
                return json.loads(line)
            except ValueError:
                continue
    return None


def run_bench(bench: Bench, args: argparse.Namespace) -> List[Record]:
    """Run one bench script (``repeats`` times), parse its JSON; never raises."""
    script = HERE / bench.script
    if not script.is_file():
        return [skipped(bench.name, f"benchmarks/{bench.script} is not there yet "
                                    f"(owned by the {bench.owner})")]
    extra = bench.quick_args(args) if args.quick else bench.args(args)
    use_json = True
    if bench.help_flags:  # a script we do not own: pass only the flags it declares
        help_text = _supported_flags(script) or ""
        extra = [x for x in extra if not x.startswith("--") or x in help_text]
        use_json = "--json" in help_text  # else: read the JSON it prints
    logs = WORK / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log_path = logs / f"{bench.name}.log"
    runs: List[List[Record]] = []
    n = max(1, bench.repeats(args))
    with open(log_path, "w") as log:
        for i in range(n):
            out = WORK / "run" / f"{bench.name}{'' if n == 1 else f'_{i}'}.json"
            out.parent.mkdir(parents=True, exist_ok=True)
            out.unlink(missing_ok=True)
            cmd = [sys.executable, str(script), *extra] + (["--json", str(out)] if use_json else [])
            log.write(f"$ {' '.join(cmd)}\n")
            log.flush()
            start = log.tell()
            t0 = time.perf_counter()
            try:
                res = subprocess.run(cmd, cwd=ROOT, env=bench_env(), text=True, stdout=log,
                                     stderr=subprocess.STDOUT, timeout=bench.timeout)
                code = res.returncode
            except subprocess.TimeoutExpired:
                code = None
            took = time.perf_counter() - t0
            log.write(f"\n[run_all] exit {code} after {took:.0f} s\n")
            log.flush()
            print(f"[run_all] {bench.name} run {i + 1}/{n}: exit {code}, {took:.0f} s", flush=True)
            if code is None:
                return [failed(bench.name, f"timed out after {bench.timeout:.0f} s "
                                           f"(log: {_rel(log_path)})")]
            if code == 0 and not out.is_file():  # no --json: the last JSON line it printed
                printed = _last_json(log_path.read_text()[start:])
                if printed is not None:
                    out.write_text(json.dumps(printed))
            if code != 0 or not out.is_file():
                tail = log_path.read_text()[-4000:]
                reason = _skip_reason(tail)
                if reason:
                    return [skipped(bench.name, reason)]
                last = [ln for ln in tail.strip().splitlines() if ln.strip()][-2:]
                return [failed(bench.name, f"exit {code}: {' / '.join(last)[-400:]} "
                                           f"(log: {_rel(log_path)})")]
            try:
                runs.append(bench.parse(json.loads(out.read_text()), bench))
            except (ValueError, KeyError, TypeError) as exc:
                return [failed(bench.name, f"could not read {out.name}: {exc}")]
    return merge_runs(runs)


PREAMBLE = """Generated by `make bench` (`python benchmarks/run_all.py{quick}`) — do not edit by hand.

Every figure is a **ratio against a named peer measured in the same run** (each side the
median of the stated number of runs, interleaved with its peer where the script allows);
"Reads as" says which way the ratio goes. The absolute values are shown for context only:
{context} Re-run `make bench` to reproduce; `docs/benchmarks.md` explains each bench."""


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run")
    ap.add_argument("--only", nargs="+", choices=[b.name for b in BENCHES],
                    help="run only these benches")
    ap.add_argument("--out", type=Path, default=HERE / "results.md")
    ap.add_argument("--repeats", type=int, default=3,
                    help="runs per side inside the plugins_list bench")
    ap.add_argument("--ntu-samples", type=int, default=100_000,
                    help="size of the synthetic NTU file for the dataset bench")
    ap.add_argument("--ntu-repeats", type=int, default=1,
                    help="whole runs of the dataset bench (median)")
    ap.add_argument("--mini-small-data", type=int, default=None,
                    help="mini_memory: use an N-sample synthetic set instead of the shared one")
    ap.add_argument("--keep", type=Path, default=None,
                    help="with --only: keep the other benches' rows from this earlier results page "
                         "(the page then says which benches this run re-measured)")
    ap.add_argument("--context", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    selected = [b for b in BENCHES if not args.only or b.name in args.only]
    t0 = time.perf_counter()
    load_before = machine_info().get("load_avg_1m")
    records: List[Record] = []
    for bench in selected:
        print(f"[run_all] {bench.name} ...", flush=True)
        try:
            records += run_bench(bench, args)
        except Exception as exc:  # a bug in the runner itself must not lose the other results
            records.append(failed(bench.name, f"run_all: {type(exc).__name__}: {exc}"))
    meta = machine_info()
    meta = dict(cpus=meta.get("cpus"), python=meta.get("python"), torch=meta.get("torch"),
                load_avg_1m_at_start=load_before, load_avg_1m_at_end=meta.get("load_avg_1m"),
                suite_wall_s=round(time.perf_counter() - t0), mode="quick" if args.quick else "full",
                date=time.strftime("%Y-%m-%d"))
    context = args.context or (
        "on a machine shared with other jobs they are inflated and noisy — the load average "
        "below says how busy it was.")
    kept = None
    preamble = PREAMBLE.format(quick=" --quick" if args.quick else "", context=context)
    if args.keep is not None and args.keep.is_file() and args.only:
        earlier = args.keep.read_text()
        kept = kept_rows(earlier, [b.name for b in selected])
        known = {b.name for b in BENCHES}  # rows of benches since retired are dropped
        kept = {k: [ln for ln in v if ln[2:].split(" | ")[0].strip().strip("*") in known or
                    ln.startswith("- **") and ln[4:].split("**")[0] in known]
                for k, v in kept.items()}
        when = next((ln for ln in earlier.splitlines() if ln.startswith("Run: ")), "Run: ?")
        preamble += (f"\n\nThis run re-measured {', '.join(b.name for b in selected)}; the other "
                     f"rows are kept from the earlier run ({when[5:]}).")
        meta["benches"] = " ".join(b.name for b in selected)
    write_markdown(args.out, records, preamble=preamble, meta=meta, kept=kept)
    print(f"[run_all] wrote {args.out} in {meta['suite_wall_s']} s "
          f"({sum(r.status == 'ok' for r in records)} figures, "
          f"{sum(r.status != 'ok' for r in records)} skipped/failed)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
