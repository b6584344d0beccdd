#!/usr/bin/env python
"""Split a video into person 1 / person 2 / background clips (OV-HHIR's three streams).

    python tools/data/split_branches.py VIDEO --out DIR [--segmenter MediaPipePersonSegmenter] [--max-side 480]

Writes DIR/<stem>_p1.mp4, <stem>_p2.mp4, <stem>_bg.mp4 and <stem>_preview.png (frames with
coloured masks and the three streams). Runs offline with the default segmenter
(MediaPipePersonSegmenter: pretrained BlazePose + selfie segmentation, needs the
``hhir[mediapipe]`` extra); ``--segmenter OpenCVPersonSegmenter`` needs nothing extra and
suits small static-camera renders such as the synthetic benchmark's.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def build_segmenter(name: str):
    """The registered segmenter ``name``, with a progress bar where it offers one."""
    import inspect

    from hhir_core.registry import build, resolve

    cfg = dict(type=name)
    if "progress" in inspect.signature(resolve("segmenter", name)).parameters:
        cfg["progress"] = True
    return build("segmenter", cfg)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("video", help='video file to split')
    ap.add_argument("--out", required=True, help='output folder')
    ap.add_argument("--segmenter", default="MediaPipePersonSegmenter", help="registered segmenter name")
    ap.add_argument("--num-persons", type=int, default=2, help='people to separate')
    ap.add_argument("--max-side", type=int, default=480, help="branch clips are downsized to this (0: keep)")
    ap.add_argument("--preview", default=None, help="preview PNG path (default: OUT/<stem>_preview.png)")
    args = ap.parse_args(argv)

    import cv2

    from hhir_core.errors import HHIRError

    cv2.setNumThreads(1)
    try:
        from hhir_ov_hhir.branches import branch_frames, preview, read_video, write_clip

        clip = read_video(args.video)
        seg = build_segmenter(args.segmenter)
        t0 = time.time()
        tracks = seg.segment(clip, num_persons=args.num_persons)
        out, stem = Path(args.out), Path(args.video).stem
        for name, frames in branch_frames(clip, tracks).items():
            write_clip(out / f"{stem}_{name}.mp4", frames, clip.fps, args.max_side)
        png = Path(args.preview) if args.preview else out / f"{stem}_preview.png"
        png.parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(png), cv2.cvtColor(preview(clip, tracks), cv2.COLOR_RGB2BGR))
        cover = tracks.masks.reshape(len(tracks.masks), len(clip.frames), -1).any(-1).mean(1)
        print(f"{args.video}: {len(clip.frames)} frames segmented in {time.time() - t0:.1f}s; "
              f"person frames covered: {', '.join(f'p{i + 1}={c:.0%}' for i, c in enumerate(cover))}")
        print(f"wrote {out}/{stem}_{{p1,p2,bg}}.mp4 and {png}")
    except HHIRError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
