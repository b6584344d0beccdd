#!/usr/bin/env python
"""Run ablation variants of a config and tabulate them.

    python tools/ablate.py CONFIG --grid model.tokenizer.type=HyperbolicVQTokenizer,EuclideanVQTokenizer
    python tools/ablate.py configs/llm_ar_ntu120_mini.py --configs configs/ablations/llm_ar/*.py --seeds 2

Each variant (and the baseline CONFIG itself) runs through ``tools/train.py`` in
``OUT/<variant>/seed<k>/``. A finished variant is never re-run; an interrupted
one resumes (``--resume auto``). With ``--configs``, when the baseline config names an
``ablation_base`` (the config the variants inherit), what the baseline changes relative
to it (e.g. the mini data/LLM/schedule settings) is applied on top of every variant
config, so paper-faithful ablation configs run in the mini setting. Writes ``results.md``, ``results.csv`` and ``results.png``.
"""
from __future__ import annotations

import argparse
import csv
import itertools
import json
import math
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DONE = "ablate_done.json"


def parse_grid(items: List[str]) -> List[Tuple[str, Dict[str, str]]]:
    """``key=v1,v2`` (repeatable) -> cartesian product of ``--cfg-options``."""
    axes = []
    for item in items:
        if "=" not in item:
            raise SystemExit(f"error: --grid {item!r} must look like key=v1,v2")
        key, values = item.split("=", 1)
        axes.append([(key, v) for v in values.split(",") if v != ""])
    variants = []
    for combo in itertools.product(*axes):
        name = "__".join(f"{k.split('.')[-1]}={v}" for k, v in combo)
        variants.append((name, dict(combo)))
    return variants


def _flatten(prefix: str, value: Any, out: Dict[str, Any]) -> None:
    if isinstance(value, dict) and value and "type" not in value and not prefix.endswith("stages"):
        for k, v in value.items():
            _flatten(f"{prefix}.{k}" if prefix else k, v, out)
    else:
        out[prefix] = value


def ablation_overrides(config: str) -> Dict[str, Any]:
    """What the baseline changes relative to its ``ablation_base`` (nothing without one).

    ``ablation_base`` names the config the ``--configs`` variants inherit (``plugin::x.py``,
    absolute, or relative to the baseline's folder); e.g. the LLM-AR mini config names the
    paper config, so each paper-faithful ablation runs with the mini changes on top.
    """
    from hhir_core.config import config_delta, load_config

    cfg = load_config(config)
    base = cfg.get("ablation_base")
    if not base:
        return {}
    if "::" not in base and not Path(base).is_absolute():
        base = str(Path(cfg["_config_path"]).parent / base)
    delta = config_delta(cfg, load_config(base))
    delta.pop("ablation_base", None)
    return delta


def merged_variant(variant: str, overrides: Dict[str, Any]):
    """The variant config with the baseline's mini overrides merged in (in memory)."""
    from hhir_core.config import load_config

    cfg = load_config(variant)
    cfg.pop("_config_path", None)
    cfg.merge_from_dict(overrides)
    return cfg


def write_override_config(variant: str, overrides: Dict[str, Any], out: Path) -> str:
    """A config file = the variant config + the baseline's mini overrides (merged)."""
    cfg = merged_variant(variant, overrides)
    out.parent.mkdir(parents=True, exist_ok=True)
    cfg.dump(str(out))
    return str(out)


def schedule_length(cfg: Any) -> float:
    """Iterations (or epochs) summed over the config's stages: the unit time scales with."""
    total = 0.0
    stages = cfg.get("stages") or [dict(cfg={})]
    for stage in stages:
        loop = dict(cfg.get("train_cfg") or {})
        loop.update(dict((stage.get("cfg") or {}).get("train_cfg") or {}))
        total += float(loop.get("max_iters") or loop.get("max_epochs") or 0)
    return total


def baseline_minutes(cfg: Any, out: Path) -> Optional[float]:
    """Measured wall time of one baseline run: a finished run here, else the config's metadata."""
    done = sorted((out / "baseline").glob(f"seed*/{DONE}"))
    if done:
        return json.loads(done[0].read_text()).get("seconds", 0.0) / 60.0 or None
    minutes = (cfg.get("metadata") or {}).get("wall_minutes")
    return float(minutes) if minutes else None


def check_same_method(baseline: Any, name: str, variant: Any) -> None:
    """Refuse a variant that builds another method's recognizer than the baseline."""
    ours = (baseline.get("model") or {}).get("type")
    theirs = (variant.get("model") or {}).get("type")
    if ours and theirs and ours != theirs:
        raise SystemExit(f"error: variant {name!r} builds {theirs} but the baseline builds {ours}; "
                         "an ablation compares variants of one method (pick that method's "
                         "configs/ablations/<method>/ configs)")


def run_variant(config: str, options: List[str], work_dir: Path,
                extra: List[str]) -> Tuple[Optional[Dict[str, float]], str]:
    cmd = [sys.executable, str(REPO / "tools" / "train.py"), config, "--work-dir", str(work_dir)]
    if options:
        cmd += ["--cfg-options", *options]
    cmd += extra
    shown = " ".join(shlex.quote(c) for c in ["python", *cmd[1:]])
    done = work_dir / DONE
    if done.is_file():
        print(f"[ablate] done already: {work_dir}", flush=True)
        return json.loads(done.read_text())["metrics"], shown
    work_dir.mkdir(parents=True, exist_ok=True)
    print(f"[ablate] running: {shown}", flush=True)
    start = time.time()
    code = subprocess.call(cmd + ["--resume", "auto"], cwd=REPO)
    if code != 0:
        print(f"[ablate] FAILED (exit {code}): {work_dir}; re-run to resume", flush=True)
        return None, shown
    metrics_file = work_dir / "metrics.json"
    metrics = json.loads(metrics_file.read_text()) if metrics_file.is_file() else {}
    done.write_text(json.dumps({"metrics": metrics, "command": shown,
                                "seconds": round(time.time() - start, 1)}, indent=2))
    return metrics, shown


def summarise(rows: List[Dict[str, Any]], metrics: List[str]) -> List[Dict[str, Any]]:
    table = []
    for row in rows:
        entry = {"variant": row["variant"], "command": row["commands"][0] if row["commands"] else "",
                 "seeds": len(row["runs"])}
        for m in metrics:
            values = [r[m] for r in row["runs"] if r and m in r]
            if values:
                mean = sum(values) / len(values)
                std = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
                entry[m] = (mean, std, len(values))
        table.append(entry)
    return table


def write_outputs(table: List[Dict[str, Any]], metrics: List[str], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    header = ["variant"] + metrics + ["seeds", "command"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    with open(out / "results.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["variant"] + [x for m in metrics for x in (f"{m}_mean", f"{m}_std")]
                        + ["seeds", "command"])
        for row in table:
            cells = []
            csv_cells = []
            for m in metrics:
                if m in row:
                    mean, std, n = row[m]
                    cells.append(f"{mean:.2f} ± {std:.2f}" if n > 1 else f"{mean:.2f}")
                    csv_cells += [f"{mean:.4f}", f"{std:.4f}"]
                else:
                    cells.append("—")
                    csv_cells += ["", ""]
            lines.append("| " + " | ".join([row["variant"], *cells, str(row["seeds"]),
                                            f"`{row['command']}`"]) + " |")
            writer.writerow([row["variant"], *csv_cells, row["seeds"], row["command"]])
    (out / "results.md").write_text("\n".join(lines) + "\n")
    _bar_chart(table, metrics[0] if metrics else None, out / "results.png")
    print("\n".join(lines))
    print(f"[ablate] wrote {out / 'results.md'}, {out / 'results.csv'}, {out / 'results.png'}")


def _bar_chart(table: List[Dict[str, Any]], metric: Optional[str], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in table if metric and metric in r]
    fig, ax = plt.subplots(figsize=(max(4, 0.9 * len(rows) + 2), 3.5))
    if rows:
        ax.bar(range(len(rows)), [r[metric][0] for r in rows], yerr=[r[metric][1] for r in rows],
               color="#4C72B0", capsize=3)
        ax.set_xticks(range(len(rows)), [r["variant"] for r in rows], rotation=30, ha="right")
        ax.set_ylabel(metric)
    else:
        ax.text(0.5, 0.5, "no finished runs", ha="center")
    ax.set_title("ablation")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def dry_run(plan: List[Tuple[str, str, List[str]]], base_cfg: Any, lengths: Dict[str, float],
            out: Path, args: argparse.Namespace) -> int:
    """Print each run and the estimated wall time; write nothing."""
    per_run = baseline_minutes(base_cfg, out)
    base_len = schedule_length(base_cfg) or 1.0
    total = 0.0
    for name, config, options in plan:
        ratio = lengths.get(name, base_len) / base_len
        for seed in range(args.seeds):
            work = out / name / f"seed{seed}"
            state = "done" if (work / DONE).is_file() else "to run"
            minutes = None if per_run is None else per_run * ratio
            if state == "to run" and minutes is not None:
                total += minutes
            options_text = f" --cfg-options {' '.join(options)}" if options else ""
            eta = f"~{minutes:.0f} min" if minutes is not None else "time unknown"
            print(f"[ablate] {state:<6} {name} seed {seed}: {config}{options_text} ({eta})")
    runs = len(plan) * args.seeds
    if per_run is None:
        print(f"[ablate] {runs} runs; no wall time known for {args.config} (run the baseline once, "
              "or set metadata.wall_minutes in its config) — nothing was written")
    else:
        print(f"[ablate] {runs} runs, estimated {total:.0f} min (~{total / 60:.1f} h) on this machine "
              f"from {per_run:.1f} min per baseline run scaled by each schedule — nothing was written")
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", help="the baseline config")
    parser.add_argument("--grid", action="append", default=[], help="key=v1,v2 (repeatable)")
    parser.add_argument("--configs", nargs="+", default=[], help="variant config files")
    parser.add_argument("--seeds", type=int, default=1, help="runs per variant (seeds 0..N-1)")
    parser.add_argument("--out", default=None, help="output folder (default work_dirs/ablate_<name>)")
    parser.add_argument("--metrics", default=None, help="comma-separated metric names to tabulate")
    parser.add_argument("--cfg-options", nargs="+", default=[], help="applied to every variant")
    parser.add_argument("--no-baseline", action="store_true", help="do not run the baseline itself")
    parser.add_argument("--dry-run", action="store_true",
                        help="list the runs and the estimated wall time; write nothing")
    args = parser.parse_args(argv)
    if not args.grid and not args.configs:
        parser.error("give --grid key=v1,v2 or --configs A.py B.py")

    from hhir_core.errors import HHIRError

    out = Path(args.out or REPO / "work_dirs" / f"ablate_{Path(args.config).stem}")
    try:
        overrides = ablation_overrides(args.config) if args.configs else {}
    except HHIRError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from hhir_core.config import load_config

    base_cfg = load_config(args.config)
    plan: List[Tuple[str, str, List[str]]] = []  # (variant, config, options)
    lengths: Dict[str, float] = {}
    if not args.no_baseline:
        plan.append(("baseline", args.config, []))
    for name, opts in parse_grid(args.grid) if args.grid else []:
        plan.append((name, args.config, [f"{k}={v}" for k, v in opts.items()]))
    for variant in args.configs:
        name = Path(variant).stem
        variant_cfg = merged_variant(variant, overrides)
        check_same_method(base_cfg, name, variant_cfg)
        lengths[name] = schedule_length(variant_cfg)
        config = variant
        if overrides and not args.dry_run:
            config = write_override_config(variant, overrides, out / "_configs" / f"{name}.py")
        plan.append((name, config, []))
    if args.dry_run:
        return dry_run(plan, base_cfg, lengths, out, args)

    rows = []
    for name, config, options in plan:
        row = {"variant": name, "runs": [], "commands": []}
        for seed in range(args.seeds):
            work = out / name / f"seed{seed}"
            metrics, cmd = run_variant(config, options + list(args.cfg_options), work,
                                       ["--seed", str(seed)])
            row["commands"].append(cmd)
            if metrics is not None:
                row["runs"].append(metrics)
        rows.append(row)
    if args.metrics:
        metric_names = args.metrics.split(",")
    else:
        seen: List[str] = []
        for row in rows:
            for run in row["runs"]:
                seen += [k for k in run if "/" not in k and k not in seen]
        preferred = [m for m in ("top1", "top5", "mean_class_acc", "macro_f1") if m in seen]
        metric_names = preferred or seen[:4]
    table = summarise(rows, metric_names)
    write_outputs(table, metric_names, out)
    failed = [r["variant"] for r in rows if len(r["runs"]) < args.seeds]
    if failed:
        print(f"[ablate] unfinished variants: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
