"""HHIRChat: the OV-HHIR instruction format and its dataset.

Format: a JSON list of records::

    {"id": "S001C001P001R001A050",
     "p1": "branches/x_p1.mp4", "p2": "branches/x_p2.mp4", "bg": "branches/x_bg.mp4",
     "video": "branches/x_video.mp4",                                # optional: the whole clip
     "label": 49, "label_name": "punching/slapping other person",   # optional
     "source": "ntu120",                                             # optional (default: dataset name)
     "conversations": [
        {"from": "human", "value": "Describe interaction between <p1> and <p2> in <bg>?"},
        {"from": "gpt",   "value": "<description>"},
        {"from": "human", "value": "Describe the activity in one word."},
        {"from": "gpt",   "value": "Punching."}]}

Branch paths are relative to ``data_root`` (default: the JSON's folder). Human turns
carry the placeholders ``<p1> <p2> <bg>`` that the model replaces with each branch's
soft tokens; loss is on gpt turns only. Each branch clip is read with OpenCV and
``num_frames`` frames are sampled uniformly. The optional ``video`` stream is the whole,
unsegmented clip (the single-branch VideoLLaMA-style analogue configs read it); its
placeholder ``<video>`` may be absent from the conversation, in which case the recognizer
puts the video's soft tokens before the first question.

Why validation is strict: a missing placeholder silently trains a model that never
sees a branch; every malformed record is a :class:`DataError` naming the sample id.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

from hhir_core.errors import DataError

HUMAN, GPT = "human", "gpt"
PLACEHOLDER = re.compile(r"<(p1|p2|bg|video)>")
#: streams a record may give; ``video`` (the whole clip) needs no placeholder in the questions
STREAMS = ("p1", "p2", "bg", "video")
OPTIONAL_PLACEHOLDERS = ("video",)
IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], np.float32)


def validate_conversation(sample_id: str, turns: Any, branches: Sequence[str], where: str = "") -> List[Dict[str, str]]:
    """Check one conversation; return it as a list of ``{"from", "value"}`` dicts.

    Rules: a non-empty list of turns alternating human/gpt starting with human; every
    value a non-empty string; every branch placeholder of ``branches`` present in a
    human turn; no placeholder in a gpt turn (answers are trained on, never spliced).
    """
    at = f"sample {sample_id!r}" + (f" in {where}" if where else "")
    if not isinstance(turns, list) or not turns:
        raise DataError(f"{at}: 'conversations' must be a non-empty list of turns")
    out = []
    for i, turn in enumerate(turns):
        if not isinstance(turn, dict) or "from" not in turn or "value" not in turn:
            raise DataError(f"{at}: turn {i} must be a dict with 'from' and 'value', got {turn!r}")
        role, value = turn["from"], turn["value"]
        if role not in (HUMAN, GPT):
            raise DataError(f"{at}: turn {i} has unknown role {role!r} (expected 'human' or 'gpt')")
        expected = HUMAN if i % 2 == 0 else GPT
        if role != expected:
            raise DataError(f"{at}: turn {i} is {role!r} but turns must alternate human/gpt starting with human")
        if not isinstance(value, str) or not value.strip():
            kind = "empty answer" if role == GPT else "empty question"
            raise DataError(f"{at}: turn {i} ({role}) is an {kind}")
        if role == GPT and PLACEHOLDER.search(value):
            raise DataError(f"{at}: turn {i} (gpt answer) contains a placeholder {PLACEHOLDER.search(value).group(0)}")
        out.append({"from": role, "value": value})
    if out[-1]["from"] != GPT:
        raise DataError(f"{at}: the last turn must be a gpt answer")
    human_text = " ".join(t["value"] for t in out if t["from"] == HUMAN)
    for b in branches:
        if b not in OPTIONAL_PLACEHOLDERS and f"<{b}>" not in human_text:
            raise DataError(f"{at}: placeholder <{b}> is missing from the human turns "
                            f"(every used branch must appear once, e.g. 'Describe interaction between <p1> and <p2> in <bg>?')")
    return out


def read_clip_frames(path: Path, num_frames: int, size: Sequence[int], sample_id: str = "") -> np.ndarray:
    """``num_frames`` uniformly sampled RGB frames of a video, resized to ``size`` (h, w): uint8 ``[T,h,w,3]``."""
    import cv2

    from hhir_core.vision import read_video

    try:
        frames = read_video(path).frames
    except DataError as exc:
        raise DataError(f"sample {sample_id!r}: {exc}") from None
    idx = np.linspace(0, len(frames) - 1, int(num_frames)).round().astype(int)
    h, w = int(size[0]), int(size[1])
    return np.stack([cv2.resize(frames[i], (w, h), interpolation=cv2.INTER_AREA) for i in idx])


def frames_to_tensor(frames: np.ndarray):
    """uint8 ``[T,H,W,3]`` -> float ``[T,3,H,W]`` normalised with the ImageNet statistics."""
    import torch

    x = (frames.astype(np.float32) / 255.0 - IMAGENET_MEAN) / IMAGENET_STD
    return torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))


class HHIRChatDataset:
    """HHIRChat samples: branch frame tensors, the conversation, label and reference description.

    Args:
        ann_file: HHIRChat JSON; a relative path is taken inside ``data_root`` when that is given.
        data_root: folder the branch paths are relative to (default: the JSON's folder).
        branches: streams used (``("p1", "p2")`` drops the background branch; ``("video",)``
            reads only the whole clip, the record's ``video`` path).
        num_frames: frames sampled uniformly per clip (16 in the paper).
        frame_size: ``(h, w)`` the frames are resized to.
        classes: NTU label ids to keep, remapped to ``0..K-1`` in this order (``None``: all, labels kept).
        exclude_classes: label ids dropped (held-out classes for the open-vocabulary protocol).
        source: name of the source dataset for per-source metrics (a record's ``source`` wins).
        max_samples: keep at most this many samples (evenly spaced; small CPU runs).

    Each item: each used stream (``p1``/``p2``/``bg``/``video``) float ``[T,3,h,w]``,
    ``conversation`` (JSON string of the validated turns, so it survives collation),
    ``reference`` (first gpt answer), ``label`` (int, -1 if absent), ``label_name``, ``id``,
    ``source``.
    """

    def __init__(self, ann_file: str, data_root: Optional[str] = None, branches: Sequence[str] = ("p1", "p2", "bg"),
                 num_frames: int = 16, frame_size: Sequence[int] = (64, 64), classes: Optional[Sequence[int]] = None,
                 exclude_classes: Optional[Sequence[int]] = None,
                 source: str = "hhirchat", max_samples: Optional[int] = None, test_mode: bool = False,
                 **unused: Any) -> None:
        self.ann_file = Path(data_root) / ann_file if data_root else Path(ann_file)
        if not self.ann_file.is_file():
            raise DataError(f"HHIRChat file {self.ann_file} does not exist (build one with tools/data/build_hhirchat.py, "
                            "or run configs/ov_hhir_synthetic_mini.py which generates the synthetic set)")
        self.data_root = Path(data_root) if data_root else self.ann_file.parent
        self.branches = tuple(branches)
        bad = [b for b in self.branches if b not in STREAMS]
        if bad:
            raise DataError(f"{self.ann_file}: unknown branches {bad} (use {', '.join(STREAMS)})")
        self.num_frames = int(num_frames)
        self.frame_size = tuple(frame_size)
        self.source = source
        try:
            records = json.loads(self.ann_file.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise DataError(f"{self.ann_file}: not valid JSON ({exc})") from exc
        if not isinstance(records, list):
            raise DataError(f"{self.ann_file}: an HHIRChat file is a JSON list of records")
        keep = {int(c): i for i, c in enumerate(classes)} if classes is not None else None
        drop = {int(c) for c in (exclude_classes or [])}
        self.samples: List[Dict[str, Any]] = []
        for n, rec in enumerate(records):
            sid = str(rec.get("id", f"#{n}")) if isinstance(rec, dict) else f"#{n}"
            if not isinstance(rec, dict) or "id" not in rec:
                raise DataError(f"{self.ann_file}: record {sid} must be an object with an 'id'")
            label = int(rec.get("label", -1))
            if label in drop or (keep is not None and label not in keep):
                continue
            for b in self.branches:
                if not isinstance(rec.get(b), str):
                    raise DataError(f"{self.ann_file}: sample {sid!r} has no path for branch {b!r}")
            turns = validate_conversation(sid, rec.get("conversations"), self.branches, str(self.ann_file))
            self.samples.append(dict(id=sid, paths={b: rec[b] for b in self.branches}, turns=turns,
                                     label=keep[label] if keep is not None else label, ntu_label=label,
                                     label_name=str(rec.get("label_name", "")), source=str(rec.get("source", source))))
        if max_samples is not None and len(self.samples) > int(max_samples):
            idx = np.linspace(0, len(self.samples) - 1, int(max_samples)).round().astype(int)
            self.samples = [self.samples[i] for i in idx]
        if not self.samples:
            raise DataError(f"{self.ann_file}: no samples left after class selection "
                            f"(classes={classes}, exclude_classes={exclude_classes})")
        self.metainfo = dict(classes=list(classes) if classes is not None else None)

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, i: int) -> Dict[str, Any]:
        s = self.samples[i]
        item: Dict[str, Any] = {}
        for b in self.branches:
            frames = read_clip_frames(self.data_root / s["paths"][b], self.num_frames, self.frame_size, s["id"])
            item[b] = frames_to_tensor(frames)
        item.update(conversation=json.dumps(s["turns"]), reference=next(t["value"] for t in s["turns"] if t["from"] == GPT),
                    label=s["label"], label_name=s["label_name"], id=s["id"], source=s["source"])
        return item
