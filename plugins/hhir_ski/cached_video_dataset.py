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

from typing import Any, Dict, Optional, Tuple

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

    Args:
        augment: training-time clip augmentation (ignored when ``test_mode``), the
            same for every frame of a clip, as in ViFi-CLIP's training pipeline:
            ``flip`` (probability of a horizontal flip), ``shift`` (random
            translation by up to that many pixels, edges replicated) and
            ``channel_shuffle`` (random RGB order: person and background colours
            of the synthetic clips carry no class information). ``None``: off.
    """

    def __init__(self, *args: Any, augment: Optional[Dict[str, Any]] = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.with_video and self.frame_size is None:
            raise DataError("CachedVideoSkeletonDataset: set frame_size (frames are cached at "
                            "that size); use VideoSkeletonDataset for full-resolution frames")
        augment = dict(augment or {})
        unknown = set(augment) - {"flip", "shift", "channel_shuffle"}
        if unknown:
            raise DataError(f"CachedVideoSkeletonDataset: augment has unknown keys "
                            f"{sorted(unknown)}; use flip, shift, channel_shuffle")
        self.flip = float(augment.get("flip", 0.0))
        self.shift = int(augment.get("shift", 0))
        self.channel_shuffle = bool(augment.get("channel_shuffle", False))

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
        clip = self.select_frames(video, idx, background)
        if not self.test_mode:
            clip = self.augment_clip(clip)
        return self.normalise_frames(clip)

    def augment_clip(self, clip: np.ndarray) -> np.ndarray:
        """One random flip / shift / channel order for all frames ``[T,H,W,3]`` of a clip."""
        if self.flip and np.random.rand() < self.flip:
            clip = clip[:, :, ::-1]
        if self.shift:
            s = self.shift
            h, w = clip.shape[1:3]
            padded = np.pad(clip, ((0, 0), (s, s), (s, s), (0, 0)), mode="edge")
            i, j = np.random.randint(0, 2 * s + 1, size=2)
            clip = padded[:, i:i + h, j:j + w]
        if self.channel_shuffle:
            clip = clip[..., np.random.permutation(3)]
        return clip


def clear_frame_cache() -> None:
    """Drop every cached clip (frees the memory; tests use it for isolation)."""
    _FRAMES.clear()
    _BACKGROUNDS.clear()


__all__ = ["CachedVideoSkeletonDataset", "clear_frame_cache"]
