#!/usr/bin/env python
"""`hhir plugins list` wall time vs importing mmaction2's registries, as fresh processes.

    python benchmarks/bench_plugins_list.py                # 5 interleaved runs each
    python benchmarks/bench_plugins_list.py --repeats 2    # quick

Why: hhir plugins register lazy ``"module:Class"`` strings, so listing every plugin
and component should not import torch-heavy code. The peers are what an mmaction2
user pays to get its registries:

* ``import mmaction.registry`` — the registry objects alone;
* ``register_all_modules()`` — every mmaction2 component registered. In the
  mmaction2 1.2.0 wheel this crashes (``mmaction.models.localizers.drn`` is missing,
  upstream issue #2714), so the peer applies hhir's one-function work-around
  (``hhir_core.compat.import_mmaction_models``) first.

Each command runs as a fresh subprocess (interleaved A B C A B C ... after one
warm-up round that fills the file cache); the figure is the median wall time and
the median peak RSS. Writes a JSON list of records to ``--json``.
"""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path
from typing import Dict, List

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    ROOT,
    WORK,
    Record,
    bench_env,
    failed,
    interleaved_medians,
    ratio_record,
    run_measured,
    skipped,
    write_records,
)

BENCH = "plugins_list"

_REGISTER_ALL = ("from hhir_core.compat import import_mmaction_models; import_mmaction_models(); "
                 "from mmaction.utils import register_all_modules; "
                 "register_all_modules(init_default_scope=False)")


def hhir_command() -> List[str]:
    """The installed ``hhir`` console script, or the same entry point through ``-c``."""
    script = Path(sys.executable).parent / "hhir"
    if script.is_file():
        return [str(script), "plugins", "list"]
    found = shutil.which("hhir")
    if found:
        return [found, "plugins", "list"]
    return [sys.executable, "-c", "import sys; from hhir_core.cli import main; "
            "sys.exit(main(['plugins', 'list']))"]


def commands() -> Dict[str, List[str]]:
    """Subject first, then the peers (label -> argv)."""
    return {
        "hhir plugins list": hhir_command(),
        "python -c 'import mmaction.registry'": [sys.executable, "-c", "import mmaction.registry"],
        "mmaction2 register_all_modules()": [sys.executable, "-c", _REGISTER_ALL],
        "python -c pass": [sys.executable, "-c", "pass"],
    }


def run(repeats: int, timeout: float) -> List[Record]:
    """Measure every command ``repeats`` times (interleaved) and build the records."""
    import importlib.util

    # find_spec, not import: this process must stay small, because a child's
    # ru_maxrss starts from the parent's RSS at fork time (Linux keeps it across exec)
    if importlib.util.find_spec("mmaction") is None:
        return [skipped(BENCH, "mmaction2 is not installed (pip install mmaction2==1.2.0 --no-deps)")]
    cmds = commands()
    env = bench_env()
    memory: Dict[str, List[float]] = {k: [] for k in cmds}

    def measure(label: str):
        def once() -> float:
            res = run_measured(cmds[label], cwd=ROOT, env=env, timeout=timeout)
            if res.returncode != 0:
                raise RuntimeError(f"`{label}` exited with {res.returncode}: {res.stderr[-800:]}")
            memory[label].append(res.maxrss_mb)
            return res.wall_s
        return once

    fns = {label: measure(label) for label in cmds}
    try:
        for fn in fns.values():  # warm-up round: file cache, .pyc files
            fn()
        for values in memory.values():
            values.clear()
        times = interleaved_medians(fns, repeats)
    except RuntimeError as exc:
        return [failed(BENCH, str(exc))]
    import statistics

    subject = "hhir plugins list"
    n_plugins = _count_plugins()
    size = f"{n_plugins} installed hhir plugins; fresh process each run"
    base = times["python -c pass"]["median"]
    notes = (f"bare interpreter start (`python -c pass`) took {base:.2f} s median in the same run; "
             "the register_all_modules peer includes hhir's drn work-around, without which it "
             "crashes in the mmaction2 1.2.0 wheel")
    records = []
    for peer in ("python -c 'import mmaction.registry'", "mmaction2 register_all_modules()"):
        records.append(ratio_record(
            BENCH, "wall time (median)", subject, peer, times[subject]["median"],
            times[peer]["median"], size, repeats, "s", lower_is_better=True, notes=notes,
            subject_runs=times[subject]["values"], peer_runs=times[peer]["values"]))
        records.append(ratio_record(
            BENCH, "peak RSS (median)", subject, peer, statistics.median(memory[subject]),
            statistics.median(memory[peer]), size, repeats, "MB", lower_is_better=True))
    return records


def _count_plugins() -> int:
    try:
        from importlib.metadata import entry_points

        return len(list(entry_points(group="hhir.plugins")))
    except Exception:  # pragma: no cover - metadata oddities
        return -1


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=5, help="runs per command (median)")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds per command run")
    ap.add_argument("--json", type=Path, default=WORK / "plugins_list.json")
    args = ap.parse_args(argv)
    write_records(args.json, run(args.repeats, args.timeout))
    return 0


if __name__ == "__main__":
    sys.exit(main())
