#!/usr/bin/env python
"""Write docs/model_zoo.md; ``--collect CONFIG=WORK_DIR`` records measured metrics first.

    python tools/make_zoo_doc.py --collect llm_ar_ntu120_mini=work_dirs/demo_llm_ar_ntu120_mini
    python tools/make_zoo_doc.py --estimates     # also redo the paper-scale cost section

The paper-scale cost section (``hhir estimate`` of every paper config, from the
marker ``<!-- hhir estimate -->`` to the end) is kept as it is unless ``--estimates``
is given, because working it out takes a few minutes.
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
    parser.add_argument("--configs-dir", default=str(REPO / "configs"), help='folder of configs to index')
    parser.add_argument("--collect", nargs="*", default=[],
                        help="CONFIG=WORK_DIR pairs (CONFIG relative to configs/, no .py) to record")
    parser.add_argument("--out", default=str(REPO / "docs" / "model_zoo.md"), help='where to write the Markdown table')
    parser.add_argument("--estimates", action="store_true",
                        help="redo the `hhir estimate` section for every paper config")
    args = parser.parse_args(argv)

    from hhir_core.zoo import collect_zoo, record_measured, render_markdown

    for item in args.collect:
        stem, _, work_dir = item.partition("=")
        metrics_file = Path(work_dir) / "metrics.json"
        if not metrics_file.is_file():
            print(f"error: {metrics_file} not found", file=sys.stderr)
            return 2
        record_measured(args.configs_dir, stem, json.loads(metrics_file.read_text()))
    out = Path(args.out)
    old = out.read_text() if out.is_file() else ""
    section = old[old.index(ESTIMATE_MARKER):] if ESTIMATE_MARKER in old else ""
    if args.estimates:
        section = estimate_section(Path(args.configs_dir))
    text = render_markdown(collect_zoo(args.configs_dir)).rstrip("\n") + "\n"
    out.write_text(text + ("\n" + section.rstrip("\n") + "\n" if section else ""))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
