"""Estimate 2-D poses for every video in a folder and write the annotation pickle
that ``VideoPoseDataset`` reads (NTU 2-D convention).

    python tools/data/extract_poses.py VIDEO_DIR --pose-source vitpose --out poses.pkl \
        [--labels labels.json] [--split-file splits.json] [--num-persons 1] \
        [--model usyd-community/vitpose-base-simple] [--max-frames 0]

``--pose-source``: ``vitpose`` (transformers ViTPose, top-down on OpenCV-HOG or
``--boxes`` person boxes), ``mmpose`` (optional extra), or any registered
PoseSource name; ``--source-cfg '{"key": value}'`` passes extra kwargs.
``--labels``: JSON ``{video_stem: label}`` or a list of ``{"vid_name", "label"}``
(Diving48's format); videos without a label get -1.
``--split-file``: JSON ``{split_name: [video_stem, ...]}`` copied into the pickle.
"""
from __future__ import annotations

import argparse
import json
import pickle
import sys
from pathlib import Path
from typing import Any, Dict, List

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

VIDEO_EXTS = (".mp4", ".avi", ".mkv", ".mov", ".webm")


def read_video(path: Path, max_frames: int = 0):
    """All RGB frames ``uint8 [T,H,W,3]`` and the fps of a video (OpenCV)."""
    import cv2
    import numpy as np

    from hhir_core.errors import DataError

    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise DataError(f"video {path} cannot be opened by OpenCV")
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    frames = []
    while not max_frames or len(frames) < max_frames:
        ok, f = cap.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(f, cv2.COLOR_BGR2RGB))
    cap.release()
    if not frames:
        raise DataError(f"video {path} has no readable frame")
    return np.stack(frames), fps


def load_labels(path: str) -> Dict[str, int]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if isinstance(data, dict):
        return {str(k): int(v) for k, v in data.items()}
    return {str(d["vid_name"]): int(d["label"]) for d in data}


def build_source(name: str, num_persons: int, model: str, extra: Dict[str, Any]):
    from hhir_core.plugins.manager import get_manager
    from hhir_core.registry import build

    get_manager().load()  # build() alone does not load plugins before its lookup
    names = {"vitpose": "ViTPoseSource", "mmpose": "MMPoseSource", "annotation": "AnnotationPoseSource"}
    cfg: Dict[str, Any] = dict(type=names.get(name, name), num_persons=num_persons)
    if name == "vitpose" and model:
        cfg["model"] = json.loads(model) if model.startswith("{") else model
    cfg.update(extra)
    return build("pose_source", cfg)


def main(argv: List[str] = None) -> int:
    from hhir_core.errors import HHIRError

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("video_dir")
    p.add_argument("--pose-source", default="vitpose")
    p.add_argument("--out", required=True)
    p.add_argument("--num-persons", type=int, default=1)
    p.add_argument("--model", default="", help="ViTPose hub id / folder / JSON dict (tiny)")
    p.add_argument("--source-cfg", default="{}", help="JSON kwargs for the pose source")
    p.add_argument("--labels", default=None)
    p.add_argument("--split-file", default=None)
    p.add_argument("--max-frames", type=int, default=0, help="0 = all frames")
    args = p.parse_args(argv)
    try:
        import numpy as np
        from tqdm import tqdm

        from hhir_core.errors import DataError
        from hhir_core.structures import VideoClip

        vdir = Path(args.video_dir)
        if not vdir.is_dir():
            raise DataError(f"video folder {vdir} does not exist")
        videos = sorted(f for f in vdir.iterdir() if f.suffix.lower() in VIDEO_EXTS)
        if not videos:
            raise DataError(f"no videos ({', '.join(VIDEO_EXTS)}) in {vdir}")
        labels = load_labels(args.labels) if args.labels else {}
        source = build_source(args.pose_source, args.num_persons, args.model, json.loads(args.source_cfg))
        anns = []
        for path in tqdm(videos, desc=f"poses ({args.pose_source})", unit="video"):
            frames, fps = read_video(path, args.max_frames)
            seq = source.poses(dict(clip=VideoClip(frames=frames, fps=fps, source=str(path)),
                                    frame_dir=path.stem))
            kp = np.asarray(seq.keypoint, np.float32)
            score = (np.asarray(seq.score, np.float32) if seq.score is not None
                     else np.ones(kp.shape[:3], np.float32))
            h, w = frames.shape[1:3]
            anns.append(dict(frame_dir=path.stem, label=labels.get(path.stem, -1), keypoint=kp[..., :2],
                             keypoint_score=score, img_shape=(h, w), original_shape=(h, w),
                             total_frames=int(kp.shape[1]), layout=seq.layout))
        split = json.loads(Path(args.split_file).read_text()) if args.split_file else {"all": [a["frame_dir"] for a in anns]}
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        with open(out, "wb") as f:
            pickle.dump(dict(split=split, annotations=anns), f)
        print(f"wrote {len(anns)} pose annotations to {out}")
        return 0
    except HHIRError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
