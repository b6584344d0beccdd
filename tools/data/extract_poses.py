"""Estimate poses for every video in a folder (or one video) and write the annotation
pickle the skeleton datasets read (``VideoPoseDataset``, ``NTUSkeletonDataset``).

    python tools/data/extract_poses.py VIDEO_DIR_OR_FILE --out poses.pkl \
        [--pose-source mediapipe] [--layout coco|nturgb+d|mediapipe33] [--num-persons 2] \
        [--segmenter MediaPipePersonSegmenter|none] [--preview-dir DIR] \
        [--labels labels.json] [--split-file splits.json] [--max-frames 0]

``--pose-source``: ``mediapipe`` (default: BlazePose from the mediapipe wheel, offline,
needs ``pip install 'hhir[mediapipe]'``), ``vitpose`` (transformers ViTPose, top-down on
person boxes), ``mmpose`` (optional extra), or any registered PoseSource name;
``--source-cfg '{"key": value}'`` passes extra kwargs. ``--layout nturgb+d`` writes 3-D
NTU joints (metres) for the NTU skeleton configs; ``coco`` 2-D pixels (NTU 2-D convention).
``--config``: take the ``pose_source`` and ``segmenter`` dicts (all options) from a config,
e.g. ``configs/_base_/mediapipe_frontend.py``.
``--segmenter``: people are segmented and tracked first (default
``MediaPipePersonSegmenter``) and the pose source gets their boxes/masks; ``none`` lets
the pose source find people itself. ``--preview-dir``: one ``<stem>_poses.mp4`` per video,
skeletons drawn over the (masked) frames.
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
    """All RGB frames ``uint8 [T,H,W,3]`` (or the first ``max_frames``) and the fps of a video."""
    from hhir_core.vision import read_video as read_clip

    clip = read_clip(path, max_frames=max_frames or None)
    return clip.frames, clip.fps


def load_labels(path: str) -> Dict[str, int]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if isinstance(data, dict):
        return {str(k): int(v) for k, v in data.items()}
    return {str(d["vid_name"]): int(d["label"]) for d in data}


def _with_progress(role: str, cfg: Dict[str, Any]) -> Dict[str, Any]:
    """``cfg`` plus ``progress=True`` where the component offers a progress bar."""
    import inspect

    from hhir_core.registry import resolve

    if "progress" in inspect.signature(resolve(role, cfg["type"])).parameters:
        cfg = dict(cfg, progress=True)
    return cfg


def build_source(name: str, num_persons: int, model: str, extra: Dict[str, Any], layout: str = ""):
    from hhir_core.registry import build

    names = {"vitpose": "ViTPoseSource", "mmpose": "MMPoseSource", "annotation": "AnnotationPoseSource",
             "mediapipe": "MediaPipePoseSource"}
    cfg: Dict[str, Any] = dict(type=names.get(name, name), num_persons=num_persons)
    if name == "vitpose" and model:
        cfg["model"] = json.loads(model) if model.startswith("{") else model
    if layout:
        cfg["layout"] = layout
    cfg.update(extra)
    return build("pose_source", _with_progress("pose_source", cfg))


def write_preview(path: Path, frames, fps: float, seq, tracks=None, max_side: int = 640) -> None:
    """``path`` (mp4): the frames with person masks tinted and 2-D skeletons drawn."""
    import cv2
    import numpy as np

    from hhir_core.errors import DataError
    from hhir_mediapipe.draw import draw_skeletons
    from hhir_mediapipe.layouts import BLAZEPOSE_EDGES, COCO_EDGES

    kp = np.asarray(seq.keypoint)
    score = np.asarray(seq.score) if seq.score is not None else np.ones(kp.shape[:3], np.float32)
    edges = {"coco": COCO_EDGES, "mediapipe33": BLAZEPOSE_EDGES}.get(seq.layout, ())
    if kp.shape[-1] != 2:
        print(f"note: no preview for {path.name}: {seq.layout} keypoints are not 2-D image points")
        return
    h, w = frames.shape[1:3]
    s = min(1.0, max_side / max(h, w))
    size = (int(round(w * s)) // 2 * 2, int(round(h * s)) // 2 * 2)
    path.parent.mkdir(parents=True, exist_ok=True)
    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), float(fps or 30.0), size)
    if not out.isOpened():
        raise DataError(f"cannot write preview video {path}")
    for t in range(len(frames)):
        masks = None if tracks is None else np.asarray(tracks.masks)[:, t]
        img = draw_skeletons(frames[t], kp[:, t], score[:, t], edges, masks=masks)
        out.write(cv2.cvtColor(cv2.resize(img, size, interpolation=cv2.INTER_AREA), cv2.COLOR_RGB2BGR))
    out.release()


def extract_one(path: Path, source, segmenter, num_persons: int, max_frames: int, preview_dir):
    """Poses of one video (segmented first when ``segmenter``), and its preview video."""
    from hhir_core.structures import VideoClip

    frames, fps = read_video(path, max_frames)
    clip = VideoClip(frames=frames, fps=fps, source=str(path))
    sample = dict(clip=clip, frame_dir=path.stem)
    tracks = None
    if segmenter is not None:
        tracks = segmenter.segment(clip, num_persons=num_persons)
        sample.update(boxes=tracks.boxes, masks=tracks.masks)
        if getattr(segmenter, "last_poses", None) is not None:  # it tracked poses already
            sample["pose_tracks"] = segmenter.last_poses
    shown = None
    if hasattr(source, "track") and hasattr(source, "to_skeleton"):  # MediaPipePoseSource
        from hhir_mediapipe.pose_source import tracks_to_skeleton

        tracked = source.track(sample)
        seq = source.to_skeleton(tracked, frames.shape[1:3])
        shown = tracks_to_skeleton(tracked, "mediapipe33", frames.shape[1:3])  # 2-D, for the preview
    else:
        seq = source.poses(sample)
    if preview_dir:
        write_preview(Path(preview_dir) / f"{path.stem}_poses.mp4", frames, fps, shown or seq, tracks)
    return frames, seq


def main(argv: List[str] = None) -> int:
    from hhir_core.errors import HHIRError

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("video_dir", help="a folder of videos, or one video file")
    p.add_argument("--pose-source", default="mediapipe", help="registered pose source (or 'mediapipe', 'vitpose')")
    p.add_argument("--layout", default="", help="output layout (default: the pose source's)")
    p.add_argument("--segmenter", default="MediaPipePersonSegmenter",
                   help="registered segmenter giving person boxes/masks, or 'none'")
    p.add_argument("--preview-dir", default=None, help="write <stem>_poses.mp4 previews here")
    p.add_argument("--config", default=None,
                   help="a config whose `pose_source` / `segmenter` dicts replace --pose-source / "
                        "--segmenter (e.g. configs/_base_/mediapipe_frontend.py)")
    p.add_argument("--out", required=True, help='annotation pickle to write')
    p.add_argument("--num-persons", type=int, default=2, help='people tracked per video')
    p.add_argument("--model", default="", help="ViTPose hub id / folder / JSON dict (tiny)")
    p.add_argument("--source-cfg", default="{}", help="JSON kwargs for the pose source")
    p.add_argument("--labels", default=None, help='JSON {video stem: label index}')
    p.add_argument("--split-file", default=None, help='JSON {split name: [video stems]}')
    p.add_argument("--max-frames", type=int, default=0, help="0 = all frames")
    args = p.parse_args(argv)
    try:
        import numpy as np
        from tqdm import tqdm

        from hhir_core.errors import DataError
        vdir = Path(args.video_dir)
        if vdir.is_file():
            videos = [vdir]
        elif not vdir.is_dir():
            raise DataError(f"video folder {vdir} does not exist")
        else:
            videos = sorted(f for f in vdir.iterdir() if f.suffix.lower() in VIDEO_EXTS)
        if not videos:
            raise DataError(f"no videos ({', '.join(VIDEO_EXTS)}) in {vdir}")
        labels = load_labels(args.labels) if args.labels else {}
        from hhir_core.registry import build

        frontend = {}
        if args.config:
            from hhir_core.config import load_config

            cfg = load_config(args.config)
            frontend = {k: dict(cfg[k]) for k in ("pose_source", "segmenter") if cfg.get(k)}
            if not frontend:
                raise DataError(f"{args.config}: no `pose_source` or `segmenter` dict in the config")
        if "pose_source" in frontend:
            source = build("pose_source", _with_progress("pose_source", frontend["pose_source"]))
            args.num_persons = int(frontend["pose_source"].get("num_persons", args.num_persons))
        else:
            source = build_source(args.pose_source, args.num_persons, args.model, json.loads(args.source_cfg),
                                  args.layout)
        segmenter = None
        if "segmenter" in frontend:
            segmenter = build("segmenter", _with_progress("segmenter", frontend["segmenter"]))
        elif args.segmenter.lower() != "none":
            segmenter = build("segmenter", _with_progress("segmenter", dict(type=args.segmenter)))
        anns = []
        for path in tqdm(videos, desc=f"poses ({args.pose_source})", unit="video"):
            frames, seq = extract_one(path, source, segmenter, args.num_persons, args.max_frames,
                                      args.preview_dir)
            kp = np.asarray(seq.keypoint, np.float32)
            score = (np.asarray(seq.score, np.float32) if seq.score is not None
                     else np.ones(kp.shape[:3], np.float32))
            h, w = frames.shape[1:3]
            ann = dict(frame_dir=path.stem, label=labels.get(path.stem, -1), keypoint=kp,
                       img_shape=(h, w), original_shape=(h, w), total_frames=int(kp.shape[1]),
                       layout=seq.layout)
            # NTU convention: 2-D pickles carry keypoint_score (a third input channel), 3-D
            # ones do not (x, y, z are the channels); 3-D scores are kept as "visibility"
            ann["keypoint_score" if kp.shape[-1] == 2 else "visibility"] = score
            anns.append(ann)
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
