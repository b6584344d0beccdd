"""Video + skeleton dataset that decodes every clip once and keeps its frames in memory.

Why: on a CPU the SCD stage of the mini config spent ~70 % of each step decoding
mp4 clips (data_time 0.25-1.2 s of a 0.35-1.7 s step, measured), re-decoding
the same ~2000 short clips every epoch. A random-init video student needs a few
thousand steps, which only fit in the mini budget if a clip is decoded once:
the first read of a clip decodes and resizes *all* its frames (``uint8``,
``frame_size``) and keeps them; later epochs only sample, normalise and copy.
Sampling is unchanged (``num_frames`` segments, random offset in training,
segment centres at test time), so samples are exactly those of
:class:`hhir_ski.video_skeleton.VideoSkeletonDataset`.

Memory: ``clips x frames x H x W x 3`` bytes (the synthetic mini benchmark at
32 px: about 2000 x 56 x 3 KB = 340 MB). The cache lives in the process; with
``num_workers > 0`` each worker fills its own, so keep ``num_workers=0``.
"""
from __future__ import annotations

from typing import Any, Dict, Tuple

import numpy as np

from hhir_core.errors import DataError

from .video_skeleton import VideoSkeletonDataset, clip_background, read_video, sample_indices

#: (video path, frame size) -> uint8 frames [T,H,W,3]; shared by every instance in the process
#: (train and val datasets of one run, and stage 1 -> stage 2 of one tools/train.py call).
_FRAMES: Dict[Tuple[str, Any], np.ndarray] = {}
#: the same key -> the clip's temporal median (``frame_mode='motion'``), computed once
_BACKGROUNDS: Dict[Tuple[str, Any], np.ndarray] = {}


class CachedVideoSkeletonDataset(VideoSkeletonDataset):
    """:class:`VideoSkeletonDataset` whose clips are decoded once per process.

    Takes the same arguments; ``frame_size`` is required (caching full-resolution
    frames would defeat the purpose on a CPU-sized run).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.with_video and self.frame_size is None:
            raise DataError("CachedVideoSkeletonDataset: set frame_size (frames are cached at "
                            "that size); use VideoSkeletonDataset for full-resolution frames")

    def _cache_key(self, frame_dir: str) -> Tuple[str, Any]:
        return str(self.video_dir / f"{frame_dir}{self.video_ext}"), self.frame_size

    def cached_frames(self, frame_dir: str) -> np.ndarray:
        """All frames of one clip, resized, ``uint8 [T,H,W,3]`` (decoded on first use)."""
        key = self._cache_key(frame_dir)
        frames = _FRAMES.get(key)
        if frames is None:
            frames = np.ascontiguousarray(self.resize_frames(read_video(key[0])))
            _FRAMES[key] = frames
        return frames

    def cached_background(self, frame_dir: str) -> np.ndarray:
        """The clip's temporal median at ``frame_size`` (computed on first use)."""
        key = self._cache_key(frame_dir)
        if key not in _BACKGROUNDS:
            _BACKGROUNDS[key] = clip_background(self.cached_frames(frame_dir))
        return _BACKGROUNDS[key]

    def load_frames(self, frame_dir: str) -> np.ndarray:
        """Sampled, normalised frames ``float32 [T,3,H,W]`` from the in-memory cache."""
        video = self.cached_frames(frame_dir)
        idx = sample_indices(len(video), self.num_frames, self.test_mode)
        background = self.cached_background(frame_dir) if self.frame_mode == "motion" else None
        return self.normalise_frames(self.select_frames(video, idx, background))


def clear_frame_cache() -> None:
    """Drop every cached clip (frees the memory; tests use it for isolation)."""
    _FRAMES.clear()
    _BACKGROUNDS.clear()


__all__ = ["CachedVideoSkeletonDataset", "clear_frame_cache"]
