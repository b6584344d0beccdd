#!/usr/bin/env python
"""Write docs/model_zoo.md; ``--collect CONFIG=WORK_DIR`` records measured metrics first.

    python tools/make_zoo_doc.py --collect llm_ar_ntu120_mini=work_dirs/demo_llm_ar_ntu120_mini
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs-dir", default=str(REPO / "configs"))
    parser.add_argument("--collect", nargs="*", default=[],
                        help="CONFIG=WORK_DIR pairs (CONFIG relative to configs/, no .py) to record")
    parser.add_argument("--out", default=str(REPO / "docs" / "model_zoo.md"))
    args = parser.parse_args(argv)

    from hhir_core.zoo import collect_zoo, record_measured, render_markdown

    for item in args.collect:
        stem, _, work_dir = item.partition("=")
        metrics_file = Path(work_dir) / "metrics.json"
        if not metrics_file.is_file():
            print(f"error: {metrics_file} not found", file=sys.stderr)
            return 2
        record_measured(args.configs_dir, stem, json.loads(metrics_file.read_text()))
    Path(args.out).write_text(render_markdown(collect_zoo(args.configs_dir)))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
