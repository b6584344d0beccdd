#!/usr/bin/env python
"""OV-HHIR inference on one video: segment, encode the three branches, describe, classify.

    python tools/infer.py CONFIG CHECKPOINT VIDEO [--segmenter NAME (default: the config's segmenter)] [--question "..."]

Prints the generated description and the description classifier's label (over the
config's ``model.class_names``). CHECKPOINT is a run's ``.pth`` (trainable weights; loaded
with weights_only=True); frozen parts are rebuilt from the config.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("config")
    ap.add_argument("checkpoint")
    ap.add_argument("video")
    ap.add_argument("--segmenter", default=None,
                    help="registered segmenter name (default: the config's `segmenter` dict, "
                         "else OpenCVPersonSegmenter)")
    ap.add_argument("--question", default="Describe interaction between <p1> and <p2> in <bg>?")
    ap.add_argument("--cfg-options", nargs="*", default=[], help="key=value overrides")
    args = ap.parse_args(argv)

    import cv2
    import numpy as np
    import torch
    from hhir_core.errors import HHIRError

    torch.set_num_threads(max(1, min(2, torch.get_num_threads())))
    cv2.setNumThreads(1)
    try:
        from mmengine.config import Config, DictAction  # noqa: F401
        from hhir_core.data.hhirchat import frames_to_tensor, validate_conversation
        from hhir_core.engine.checkpoint import safe_load
        from hhir_core.registry import build
        from hhir_ov_hhir.branches import branch_frames, read_video

        cfg = Config.fromfile(args.config)
        for kv in args.cfg_options:
            k, _, v = kv.partition("=")
            cfg.merge_from_dict({k: eval(v, {}, {}) if v[:1] in "[({0123456789'\"-" or v in ("True", "False", "None") else v})
        model = build("model", cfg.model)
        state = safe_load(args.checkpoint)
        state = state.get("state_dict", state)
        missing, unexpected = model.load_state_dict(state, strict=False)
        trainable = {n for n, p in model.named_parameters() if p.requires_grad}
        not_loaded = sorted(trainable & set(missing))
        if not_loaded:
            raise HHIRError(f"{args.checkpoint}: trainable weights missing from the checkpoint, e.g. {not_loaded[:3]}")
        model.eval()

        data = cfg.val_dataloader.dataset
        num_frames, size = int(data.get("num_frames", 16)), tuple(data.get("frame_size", (64, 64)))
        t0 = time.time()
        clip = read_video(args.video)
        seg_cfg = dict(type=args.segmenter) if args.segmenter else \
            dict(cfg.get("segmenter") or dict(type="OpenCVPersonSegmenter"))
        seg = build("segmenter", seg_cfg)
        tracks = seg.segment(clip, num_persons=2)
        t_seg = time.time() - t0
        idx = np.linspace(0, len(clip.frames) - 1, num_frames).round().astype(int)
        batch = {}
        for name, frames in branch_frames(clip, tracks).items():
            small = np.stack([cv2.resize(frames[i], (size[1], size[0]), interpolation=cv2.INTER_AREA) for i in idx])
            batch[name] = frames_to_tensor(small)[None]
        branches = tuple(model.branch_names) or ("p1", "p2", "bg")
        turns = [{"from": "human", "value": args.question}, {"from": "gpt", "value": "(to be generated)"}]
        validate_conversation(Path(args.video).stem, turns, branches)
        batch.update(conversation=[json.dumps(turns)])
        with torch.no_grad():
            text = model.describe(batch)[0]
            scores = model.classify([text])[0]
        label = model.class_names[int(scores.argmax())]
        print(f"video: {args.video} ({len(clip.frames)} frames; segmentation {t_seg:.1f}s)")
        print(f"description: {text}")
        print(f"label: {label}")
    except HHIRError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
