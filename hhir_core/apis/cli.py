"""``hhir infer CONFIG_OR_WORKDIR INPUT... [--checkpoint P] [--topk 5] [--out DIR] [--json]``."""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, Dict


def add_infer_parser(sub: Any) -> None:
    p = sub.add_parser("infer", help="run a trained model on videos / .skeleton files",
                       description="Run a trained model on videos, raw NTU .skeleton files or "
                                   "annotation pickles' samples and print the top-k classes.")
    p.add_argument("config", help="work dir of tools/train.py, config file or plugin::path")
    p.add_argument("inputs", nargs="+", help="video files (.mp4, .avi, ...) or .skeleton files")
    p.add_argument("--checkpoint", help="checkpoint (default: the work dir's last one)")
    p.add_argument("--topk", type=int, default=5, help="how many labels to show per input")
    p.add_argument("--out", help="write result.json and a visualisation per input here")
    p.add_argument("--json", action="store_true", help="one JSON object per input on stdout")
    p.add_argument("--device", default="cpu", help="torch device, e.g. cpu or cuda:0")
    p.add_argument("--pose-source", help="registered pose source for videos given to skeleton models")
    p.add_argument("--segmenter", help="registered segmenter for methods that split people")
    p.add_argument("--quiet", action="store_true", help="no progress messages on stderr")
    p.set_defaults(func=run_infer)


class StepPrinter:
    """Progress on stderr: each step with the time the previous one took."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet, self.last, self.message = quiet, None, None

    def __call__(self, message: str) -> None:
        self.finish()
        self.last, self.message = time.time(), message
        if not self.quiet:
            print(f"[hhir] {message} ...", file=sys.stderr, flush=True)

    def finish(self) -> None:
        if self.last is not None and not self.quiet:
            took = time.time() - self.last
            if took >= 1.0:
                print(f"[hhir]   ({took:.1f} s)", file=sys.stderr, flush=True)
        self.last = None


def run_infer(args: argparse.Namespace) -> int:
    from .inference import inference, init_model

    progress = StepPrinter(args.quiet)
    model = init_model(args.config, checkpoint=args.checkpoint, device=args.device,
                       pose_source=dict(type=args.pose_source) if args.pose_source else None,
                       segmenter=dict(type=args.segmenter) if args.segmenter else None,
                       progress=progress)
    progress.finish()
    for index, path in enumerate(args.inputs):
        result = inference(model, path, topk=args.topk, progress=progress)
        progress.finish()
        record: Dict[str, Any] = result.to_dict()
        if args.out:
            from .visualize import save_visualisation

            folder = Path(args.out) if len(args.inputs) == 1 else Path(args.out) / f"{index:03d}_{Path(path).stem}"
            progress(f"writing the visualisation to {folder}")
            record["files"] = save_visualisation(result, str(folder))
            (folder / "result.json").write_text(json.dumps(record, indent=2))
            progress.finish()
        if args.json:
            print(json.dumps(record), flush=True)
        else:
            _print_result(result, record.get("files"), getattr(args, "legacy_lines", False))
    return 0


def _print_result(result: Any, files: Any, legacy_lines: bool = False) -> None:
    print(f"{result.input}  ({result.seconds:.1f} s)")
    if result.label:
        print(f"  ground truth: {result.label}")
    if result.text is not None:
        print(f"  text: {result.text}")
    if result.code_ids is not None:
        print(f"  action sentence: {' '.join(str(i) for i in result.code_ids)}")
    for rank, (name, score) in enumerate(result.topk, 1):
        print(f"  {rank}. {name:<40} {score:.3f}")
    for kind, path in (files or {}).items():
        print(f"  {kind}: {path}")
    if legacy_lines:  # tools/infer.py's original output lines
        if result.text is not None:
            print(f"description: {result.text}")
        print(f"label: {result.pred_label}")
    sys.stdout.flush()
