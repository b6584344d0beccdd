"""Shared helpers of the benchmark suite: timing, peak memory, result records, Markdown.

Every figure the suite publishes is a *ratio* against a named peer measured in the
same run, because the absolute numbers on a shared machine say little. A
:class:`Record` therefore always carries the subject, the peer, both medians, the
ratio, which way the ratio reads, and the input size.

Bench scripts write ``--json PATH`` as a JSON list of ``Record.to_dict()`` entries;
``benchmarks/run_all.py`` reads those and renders ``benchmarks/results.md`` with
:func:`write_markdown`.
"""
from __future__ import annotations

import dataclasses
import json
import os
import platform
import statistics
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / "_work"

#: column order of the results table (the smoke test checks these names)
COLUMNS = ("Benchmark", "Measure", "Subject (hhir)", "Peer", "Ratio", "Reads as",
           "Subject", "Peer value", "Input size", "Runs")


# ----------------------------------------------------------------------------- records
@dataclass
class Record:
    """One published figure: ``ratio`` of ``subject`` against ``peer`` at ``input_size``.

    ``higher_is_better`` says how to read ``ratio`` (``True``: > 1 means hhir wins),
    ``reads_as`` says it in words, e.g. ``"speed-up = peer time / hhir time"``.
    """

    bench: str
    measure: str
    subject: str
    peer: str
    ratio: Optional[float]
    reads_as: str
    input_size: str
    subject_value: Optional[float] = None
    peer_value: Optional[float] = None
    unit: str = ""
    runs: int = 1
    status: str = "ok"  # ok | skipped | failed
    reason: str = ""
    notes: str = ""
    extra: Dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> Dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "Record":
        names = {f.name for f in dataclasses.fields(cls)}
        known = {k: v for k, v in data.items() if k in names}
        extra = dict(known.pop("extra", {}) or {})
        extra.update({k: v for k, v in data.items() if k not in names})
        return cls(extra=extra, **known)


def skipped(bench: str, reason: str, measure: str = "-", input_size: str = "-") -> Record:
    """A record for a bench that could not run (missing dependency, ...)."""
    return Record(bench=bench, measure=measure, subject="-", peer="-", ratio=None, reads_as="-",
                  input_size=input_size, runs=0, status="skipped", reason=reason)


def failed(bench: str, reason: str) -> Record:
    """A record for a bench that crashed; the suite goes on."""
    return Record(bench=bench, measure="-", subject="-", peer="-", ratio=None, reads_as="-",
                  input_size="-", runs=0, status="failed", reason=reason)


def ratio_record(bench: str, measure: str, subject: str, peer: str, subject_value: float,
                 peer_value: float, input_size: str, runs: int, unit: str,
                 lower_is_better: bool, notes: str = "", **extra: Any) -> Record:
    """Build a record whose ratio reads "> 1 means hhir is better".

    For times/memory (``lower_is_better``) the ratio is ``peer / subject``; for
    throughputs it is ``subject / peer``.
    """
    if lower_is_better:
        ratio = peer_value / subject_value if subject_value else None
        reads = f"peer / hhir {unit}; > 1: hhir lower"
    else:
        ratio = subject_value / peer_value if peer_value else None
        reads = f"hhir / peer {unit}; > 1: hhir higher"
    return Record(bench=bench, measure=measure, subject=subject, peer=peer, ratio=ratio,
                  reads_as=reads, input_size=input_size, subject_value=subject_value,
                  peer_value=peer_value, unit=unit, runs=runs, notes=notes, extra=extra)


def write_records(path: Optional[Path], records: Sequence[Record]) -> None:
    """Write the JSON list ``run_all.py`` aggregates (and print a one-line summary each)."""
    for r in records:
        if r.status == "ok":
            print(f"[{r.bench}] {r.measure}: {r.subject} vs {r.peer}: ratio "
                  f"{_fmt(r.ratio)} ({r.reads_as}) at {r.input_size}", flush=True)
        else:
            print(f"[{r.bench}] {r.status}: {r.reason}", flush=True)
    if path is not None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps([r.to_dict() for r in records], indent=1))


def read_records(path: Path) -> List[Record]:
    """Read a JSON list written by :func:`write_records`."""
    data = json.loads(Path(path).read_text())
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a JSON list of records, got {type(data).__name__}")
    return [Record.from_dict(d) for d in data]


# ----------------------------------------------------------------------------- timing
def median_time(fn: Callable[[], Any], repeats: int = 5, warmup: int = 1) -> Dict[str, Any]:
    """Median wall time of ``fn()`` over ``repeats`` calls after ``warmup`` calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return dict(median=statistics.median(times), times=times)


def interleaved_medians(fns: Dict[str, Callable[[], float]], repeats: int) -> Dict[str, Dict]:
    """Call every ``fn`` (returning its own measurement) ``repeats`` times, interleaved.

    Interleaving (A B A B ...) spreads the background load of a shared machine over
    all contestants instead of penalising whichever ran during a busy spell.
    """
    samples: Dict[str, List[float]] = {k: [] for k in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            samples[name].append(float(fn()))
    return {k: dict(median=statistics.median(v), values=v) for k, v in samples.items()}


# ----------------------------------------------------------------------------- memory
def _tree_rss(proc) -> int:
    import psutil

    total = 0
    try:
        procs = [proc] + proc.children(recursive=True)
    except psutil.Error:
        return 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


@dataclass
class ProcessResult:
    """Outcome of :func:`run_measured`."""

    returncode: int
    wall_s: float
    peak_tree_rss_mb: float  # max over time of the summed RSS of the process tree (psutil)
    maxrss_mb: float         # largest single-process peak RSS (kernel, wait4 rusage); NB Linux
    # carries the forking parent's RSS into it, so it is exact only when the caller is small
    stdout: str
    stderr: str


def run_measured(cmd: Sequence[str], cwd: Optional[Path] = None, env: Optional[Dict] = None,
                 timeout: Optional[float] = None, poll_s: float = 0.05) -> ProcessResult:
    """Run ``cmd`` and measure its wall time and peak memory.

    Two memory figures because neither alone is right: psutil polling sums the RSS
    of the whole tree (dataloader workers included) but can miss a short spike;
    ``wait4``'s ``ru_maxrss`` is exact but per process (the largest one).
    Output goes to temporary files so a chatty child cannot block on a full pipe.
    """
    import tempfile

    import psutil

    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        popen = subprocess.Popen(list(cmd), cwd=cwd, env=env, stdout=out, stderr=err)
        ps = psutil.Process(popen.pid)
        peak = 0
        stop = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not stop.is_set():
                peak = max(peak, _tree_rss(ps))
                stop.wait(poll_s)

        thread = threading.Thread(target=sample, daemon=True)
        thread.start()
        rusage = None
        status = 0
        try:
            deadline = None if timeout is None else t0 + timeout
            while True:
                pid, status, rusage = os.wait4(popen.pid, os.WNOHANG)
                if pid:
                    break
                if deadline is not None and time.perf_counter() > deadline:
                    _kill_tree(ps)
                    pid, status, rusage = os.wait4(popen.pid, 0)
                    break
                time.sleep(poll_s)
        finally:
            stop.set()
            thread.join()
        wall = time.perf_counter() - t0
        popen.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return ProcessResult(returncode=popen.returncode, wall_s=wall,
                             peak_tree_rss_mb=peak / 2**20,
                             maxrss_mb=(rusage.ru_maxrss / 1024) if rusage else 0.0,
                             stdout=out.read(), stderr=err.read())


def _kill_tree(proc) -> None:
    """Kill a process we started and its descendants (by pid, never by name)."""
    import psutil

    try:
        children = proc.children(recursive=True)
    except psutil.Error:
        children = []
    for p in [proc] + children:
        try:
            p.kill()
        except psutil.Error:
            pass


def bench_env(**extra: str) -> Dict[str, str]:
    """Environment for bench subprocesses: offline, one thread each, no warnings noise."""
    env = dict(os.environ)
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false",
               OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONWARNINGS="ignore")
    env.update(extra)
    return env


# ----------------------------------------------------------------------------- Markdown
def _fmt(x: Optional[float], digits: int = 3) -> str:
    if x is None:
        return "-"
    if x == 0:
        return "0"
    if abs(x) >= 100:
        return f"{x:.0f}"
    return f"{x:.{digits}g}"


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def machine_info() -> Dict[str, Any]:
    """What the numbers were measured on (cores, load) — they are only comparable within a run."""
    info: Dict[str, Any] = dict(python=platform.python_version(), machine=platform.machine(),
                                cpus=os.cpu_count())
    try:
        info["load_avg_1m"] = round(os.getloadavg()[0], 2)
    except OSError:
        pass
    try:
        import torch

        info["torch"] = torch.__version__
    except ImportError:
        pass
    return info


def kept_rows(text: str, rerun: Sequence[str]) -> Dict[str, List[str]]:
    """Table rows, notes and skip rows of an earlier results page for benches not in ``rerun``."""
    out: Dict[str, List[str]] = dict(rows=[], notes=[], other=[])
    section = "rows"
    for line in text.splitlines():
        if line.startswith("Notes:"):
            section = "notes"
        elif line.startswith("## Skipped or failed"):
            section = "other"
        if section == "rows" and line.startswith("| ") and not line.startswith("| Benchmark"):
            name = line[2:].split(" | ")[0].strip()
            if name not in rerun and name != "-":
                out["rows"].append(line)
        elif section == "notes" and line.startswith("- **"):
            name = line[4:].split("**")[0]
            if name not in rerun:
                out["notes"].append(line)
        elif section == "other" and line.startswith("| ") and not line.startswith("| Benchmark"):
            name = line[2:].split(" | ")[0].strip()
            if name not in rerun:
                out["other"].append(line)
    return out


def write_markdown(path: Path, records: Sequence[Record], title: str = "hhir benchmark results",
                   preamble: str = "", meta: Optional[Dict[str, Any]] = None,
                   kept: Optional[Dict[str, List[str]]] = None) -> str:
    """Render ``records`` as the results page and write it to ``path``; returns the text.

    ``kept`` (from :func:`kept_rows`) adds an earlier run's rows of benches not run now.
    """
    kept = kept or dict(rows=[], notes=[], other=[])
    lines = [f"# {title}", ""]
    if preamble:
        lines += [preamble.strip(), ""]
    if meta:
        lines += ["Run: " + ", ".join(f"{k} = {v}" for k, v in meta.items()), ""]
    ok = [r for r in records if r.status == "ok"]
    lines += ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for r in ok:
        sv = f"{_fmt(r.subject_value)} {r.unit}".strip()
        pv = f"{_fmt(r.peer_value)} {r.unit}".strip()
        ratio = f"**{_fmt(r.ratio)}×**" if r.ratio is not None else "-"
        row = (r.bench, r.measure, r.subject, r.peer, ratio, r.reads_as, sv, pv, r.input_size,
               r.runs)
        lines.append("| " + " | ".join(_cell(c) for c in row) + " |")
    lines += kept["rows"]
    if not ok and not kept["rows"]:
        lines.append("| " + " | ".join(["-"] * len(COLUMNS)) + " |")
    notes = [r for r in ok if r.notes]
    if notes or kept["notes"]:
        lines += ["", "Notes:", ""]
        seen = set()
        for r in notes:
            key = (r.bench, r.notes)
            if key not in seen:
                seen.add(key)
                lines.append(f"- **{r.bench}** — {r.notes}")
        lines += kept["notes"]
    other = [r for r in records if r.status != "ok"]
    if other or kept["other"]:
        lines += ["", "## Skipped or failed", "", "| Benchmark | Status | Reason |", "|---|---|---|"]
        for r in other:
            lines.append(f"| {_cell(r.bench)} | {r.status} | {_cell(r.reason)} |")
        lines += kept["other"]
    text = "\n".join(lines) + "\n"
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(text)
    return text
