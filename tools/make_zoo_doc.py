#!/usr/bin/env python
"""Write docs/model_zoo.md; ``--collect`` first records measured metrics with how they were made.

    python tools/make_zoo_doc.py --collect llm_ar_ntu120_mini=work_dirs/s0,work_dirs/s1 \\
        --command "python tools/train.py configs/llm_ar_ntu120_mini.py --seed S" --seeds 0 1 --wall-min 14
    python tools/make_zoo_doc.py --check      # exit 1 if the zoo metadata is inconsistent
    python tools/make_zoo_doc.py --estimates  # also redo the paper-scale cost section

The paper-scale cost section (``hhir estimate`` of every paper config, from the marker
``<!-- hhir estimate -->`` to the end) is kept as it is unless ``--estimates`` is given,
because working it out takes a few minutes.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

ESTIMATE_MARKER = "<!-- hhir estimate -->"


def estimate_section(configs_dir: Path, gpus: int = 8, mfu: float = 0.4) -> str:
    """``hhir estimate`` of every paper config (``configs/*.py`` without ``_mini``)."""
    from hhir_estimate.estimate import estimate, render, schedule_line

    lines = [ESTIMATE_MARKER, "## Paper-scale cost (`hhir estimate`)", "",
             f"Worked out on the meta device from each paper config (no weights downloaded; "
             f"`hhir estimate CONFIG` prints the same): {gpus} GPUs, bf16, AdamW, "
             f"{int(mfu * 100)} % model FLOPs utilisation. The formulas are in "
             "`plugins/hhir_estimate/estimate.py`; they are estimates, not measurements.", ""]
    for path in sorted(configs_dir.glob("*.py")):
        if "_mini" in path.stem:
            continue
        est = estimate(str(path), gpus=gpus)
        lines += [f"### `{path.name}`", "", schedule_line(est), "",
                  render(est, gpus=gpus, mfu=mfu, markdown=True), ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs-dir", default=str(REPO / "configs"), help="the configs folder")
    parser.add_argument("--collect", default=None,
                        help="CONFIG=WORK_DIR[,WORK_DIR...] (CONFIG relative to configs/, no .py; "
                             "one work dir per seed) to record")
    parser.add_argument("--command", default="", help="the command that made the runs (with --collect)")
    parser.add_argument("--seeds", type=int, nargs="*", default=[], help="the runs' seeds (with --collect)")
    parser.add_argument("--wall-min", type=float, default=None, help="wall time of one run in minutes")
    parser.add_argument("--note", default="", help="a short note shown beside the number")
    parser.add_argument("--check", action="store_true", help="only validate the zoo metadata")
    parser.add_argument("--out", default=str(REPO / "docs" / "model_zoo.md"), help="the page to write")
    parser.add_argument("--estimates", action="store_true",
                        help="redo the `hhir estimate` section for every paper config")
    args = parser.parse_args(argv)

    from hhir_core.zoo import collect_zoo, record_measured, render_markdown, validate_zoo

    if args.collect:
        stem, _, dirs = args.collect.partition("=")
        runs = []
        for work_dir in dirs.split(","):
            metrics_file = Path(work_dir) / "metrics.json"
            if not metrics_file.is_file():
                print(f"error: {metrics_file} not found", file=sys.stderr)
                return 2
            runs.append(json.loads(metrics_file.read_text()))
        if not args.command or args.wall_min is None or len(args.seeds) != len(runs):
            print("error: --collect needs --command, --wall-min and one --seeds value per work dir",
                  file=sys.stderr)
            return 2
        record_measured(args.configs_dir, stem, runs, args.command, args.seeds, args.wall_min, args.note)
    entries = collect_zoo(args.configs_dir)
    problems = validate_zoo(entries)
    for p in problems:
        print(f"zoo: {p}", file=sys.stderr)
    if args.check:
        return 1 if problems else 0
    out = Path(args.out)
    old = out.read_text() if out.is_file() else ""
    section = old[old.index(ESTIMATE_MARKER):] if ESTIMATE_MARKER in old else ""
    if args.estimates:
        section = estimate_section(Path(args.configs_dir))
    text = render_markdown(entries).rstrip("\n") + "\n"
    out.write_text(text + ("\n" + section.rstrip("\n") + "\n" if section else ""))
    print(f"wrote {args.out}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
