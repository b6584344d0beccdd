"""Plain data structures passed between roles (no torch import at module level)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

#: joints per skeleton layout (``SkeletonSeq.layout``)
LAYOUT_JOINTS: Dict[str, int] = {"coco": 17, "toyota": 13, "nturgb+d": 25, "mediapipe33": 33}


@dataclass
class VideoClip:
    """RGB frames ``uint8 [T,H,W,3]`` and their frame rate."""
    frames: Any
    fps: float = 30.0
    source: str = ""


@dataclass
class PersonTracks:
    """Per-person masks ``bool [P,T,H,W]``, boxes ``float32 [P,T,4]``, scores ``[P]``.

    Person ``p`` is the same individual in every frame; the background is
    ``~masks.any(0)``.
    """
    masks: Any
    boxes: Any
    scores: Any

    def background(self):
        return ~self.masks.any(axis=0)


@dataclass
class SkeletonSeq:
    """Keypoints ``float32 [M,T,V,C]``, optional scores ``[M,T,V]``, layout name."""
    keypoint: Any
    score: Optional[Any] = None
    layout: str = "nturgb+d"
    img_shape: Optional[tuple] = None


@dataclass
class TokenizerOutput:
    """What a Tokenizer returns: embeddings, optional ids, its own losses."""
    embeds: Any
    ids: Optional[Any] = None
    losses: Dict[str, Any] = field(default_factory=dict)
    extras: Dict[str, Any] = field(default_factory=dict)


@dataclass
class Conversation:
    """One HHIRChat sample: branch clip paths and alternating turns."""
    id: str
    turns: List[Dict[str, str]]
    branches: Dict[str, str] = field(default_factory=dict)
