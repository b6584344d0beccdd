"""Paired RGB clips and NTU-format skeletons (one sample = one ``frame_dir``).

SKI's dataset (its distillation learns from video *and* skeletons of the same
recordings): the skeleton side is exactly :class:`~hhir_core.data.ntu.NTUSkeletonDataset`
(splits, class filtering/remapping, pipelines), the video
side reads ``<video_dir>/<frame_dir><video_ext>`` with OpenCV. Either side can
be switched off (``with_video`` / ``with_skeleton``), e.g. so a video-only model
is evaluated without skeletons, or a skeleton model trains without decoding video.

Frames are RGB (``frame_mode='rgb'``, default) or a *motion map*
(``frame_mode='motion'``): per pixel, the absolute difference to the clip's temporal
median, summed over RGB — TSN's RGB-difference / motion-energy idea. It removes the
static background and flat clothing colours a small video model from scratch otherwise
memorises (measured on the SKI mini setting, docs/ski.md), and keeps 3 channels so any image encoder fits.

Sample dict: ``imgs`` float32 ``[T,3,H,W]`` (``(x/255 - mean)/std``),
``keypoint`` (after the skeleton pipeline), ``label``, ``frame_dir``, and with
``with_description`` a reference ``text`` from ``descriptions.json``.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from hhir_core.data.bad_samples import BadSampleError
from hhir_core.data.ntu import NTUSkeletonDataset
from hhir_core.errors import DataError
from hhir_core.vision import CLIP_MEAN, CLIP_STD
from hhir_core.vision import read_video as read_clip

#: CLIP's RGB normalisation, the default for frames.
#: ``frame_mode`` values: RGB frames, or the motion map (see the module docstring).
FRAME_MODES = ("rgb", "motion")
#: Default normalisation of motion maps (values in ``[0, 1]``, replicated over 3
#: channels): mean/std measured over the clips of the synthetic mini benchmark at 32 px,
#: so a map is roughly zero-mean, unit-variance.
MOTION_MEAN = (0.0135,) * 3
MOTION_STD = (0.0441,) * 3


def frame_normalisation(frame_mode: str) -> Tuple[np.ndarray, np.ndarray]:
    """Per-channel ``(mean, std)`` of frames in ``[0, 1]``: CLIP's for RGB, the motion maps' own."""
    motion = frame_mode == "motion"
    return (np.asarray(MOTION_MEAN if motion else CLIP_MEAN, np.float32),
            np.asarray(MOTION_STD if motion else CLIP_STD, np.float32))


def read_video(path: Union[str, Path]) -> np.ndarray:
    """All frames of a video as RGB ``uint8 [T,H,W,3]`` (OpenCV)."""
    try:
        return read_clip(path).frames
    except DataError as exc:  # one unusable sample, handled by the dataset's bad-sample policy
        raise BadSampleError(str(exc)) from None


def motion_maps(video: np.ndarray, idx: np.ndarray,
                background: Optional[np.ndarray] = None) -> np.ndarray:
    """Motion maps of frames ``idx`` of ``video`` (uint8 ``[T,H,W,3]``) as uint8 ``[len(idx),H,W,3]``.

    Value = ``sum_c |frame_c - median_c| / 3`` (the temporal median of the whole clip is
    the static background), the same in all three channels. ``background`` is that median
    when the caller has it already (float32 ``[H,W,3]``).
    """
    if background is None:
        background = clip_background(video)
    diff = np.abs(video[idx].astype(np.float32) - background).sum(-1) / 3.0
    m = np.clip(np.rint(diff), 0, 255).astype(np.uint8)
    return np.repeat(m[..., None], 3, axis=-1)


def clip_background(video: np.ndarray) -> np.ndarray:
    """Temporal median of a clip, float32 ``[H,W,3]`` (its static background)."""
    return np.median(video, axis=0).astype(np.float32)


def sample_indices(total: int, num: int, test_mode: bool,
                   rng: Optional[np.random.Generator] = None) -> np.ndarray:
    """``num`` frame indices in ``num`` equal segments (segment centre at test time)."""
    edges = np.linspace(0, total, num + 1)
    if test_mode:
        idx = (edges[:-1] + edges[1:]) / 2
    else:
        rng = rng or np.random.default_rng()
        idx = edges[:-1] + rng.random(num) * (edges[1:] - edges[:-1])
    return np.clip(idx.astype(np.int64), 0, total - 1)


def clip_tensor(video: np.ndarray, num_frames: int, frame_size: Union[None, int, Sequence[int]] = None,
                frame_mode: str = "rgb") -> np.ndarray:
    """One whole clip (uint8 ``[T,H,W,3]``) as a test-time sample of :class:`VideoSkeletonDataset`
    with these settings: float32 ``[num_frames,3,H,W]`` (inference on a video file)."""
    import cv2

    motion = frame_mode == "motion"
    mean, std = frame_normalisation(frame_mode)
    idx = sample_indices(len(video), int(num_frames), True)
    frames = motion_maps(video, idx) if motion else video[idx]
    if frame_size is not None:
        h, w = (frame_size, frame_size) if isinstance(frame_size, int) else tuple(frame_size)
        frames = np.stack([cv2.resize(f, (int(w), int(h)), interpolation=cv2.INTER_AREA) for f in frames])
    x = (frames.astype(np.float32) / 255.0 - mean) / std
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2))


class VideoSkeletonDataset(NTUSkeletonDataset):
    """NTU skeleton dataset + the matching RGB clip of every sample.

    Args (beyond :class:`NTUSkeletonDataset`'s):
        video_dir: folder of the clips; relative paths are taken next to the
            annotation pickle (the synthetic benchmark writes ``videos/``).
        video_ext: file suffix of the clips.
        num_frames: frames sampled per clip (uniform segments, random offset in
            training, centre at test time).
        frame_size: resize frames to ``size`` (int, square) or ``(H, W)``; ``None`` keeps them.
        frame_mode: ``'rgb'`` frames or ``'motion'`` maps (module docstring).
        with_video / with_skeleton: which modalities each sample carries.
        with_description: add ``text`` (one reference description) from
            ``descriptions.json`` next to the pickle.

    Frames are normalised with :func:`frame_normalisation`.
    """

    def __init__(self, *args: Any, video_dir: str = "videos", video_ext: str = ".mp4",
                 num_frames: int = 8, frame_size: Union[None, int, Sequence[int]] = None,
                 frame_mode: str = "rgb", with_video: bool = True, with_skeleton: bool = True,
                 with_description: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not (with_video or with_skeleton):
            raise DataError("VideoSkeletonDataset: with_video and with_skeleton are both False")
        root = Path(self.ann_file).parent
        self.video_dir = Path(video_dir) if Path(video_dir).is_absolute() else root / video_dir
        if with_video and not self.video_dir.is_dir():
            raise DataError(
                f"VideoSkeletonDataset: video folder {self.video_dir} does not exist (for the "
                "synthetic benchmark generate it with render=True)")
        self.video_ext = video_ext
        self.num_frames = int(num_frames)
        if frame_size is not None and isinstance(frame_size, int):
            frame_size = (frame_size, frame_size)
        self.frame_size: Optional[Tuple[int, int]] = (tuple(int(s) for s in frame_size)
                                                      if frame_size is not None else None)
        if frame_mode not in FRAME_MODES:
            raise DataError(f"VideoSkeletonDataset: frame_mode={frame_mode!r}; valid: "
                            f"{', '.join(FRAME_MODES)}")
        self.frame_mode = frame_mode
        self.mean, self.std = frame_normalisation(frame_mode)
        self.with_video, self.with_skeleton = with_video, with_skeleton
        self.descriptions: Optional[Dict[str, List[str]]] = None
        if with_description:
            path = root / "descriptions.json"
            try:
                self.descriptions = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise DataError(f"VideoSkeletonDataset: cannot read descriptions {path}: {exc}") \
                    from exc

    def resize_frames(self, frames: np.ndarray) -> np.ndarray:
        """uint8 ``[T,H,W,3]`` at ``frame_size`` (unchanged when it is ``None`` or already so)."""
        import cv2

        if self.frame_size is None or tuple(frames.shape[1:3]) == tuple(self.frame_size):
            return frames
        h, w = self.frame_size
        return np.stack([cv2.resize(f, (w, h), interpolation=cv2.INTER_AREA) for f in frames])

    def normalise_frames(self, frames: np.ndarray) -> np.ndarray:
        """uint8 ``[T,H,W,3]`` -> normalised float32 ``[T,3,H,W]``."""
        x = (frames.astype(np.float32) / 255.0 - self.mean) / self.std
        return np.ascontiguousarray(x.transpose(0, 3, 1, 2))

    def select_frames(self, video: np.ndarray, idx: np.ndarray,
                      background: Optional[np.ndarray] = None) -> np.ndarray:
        """Frames ``idx`` of a (resized) clip as uint8 ``[T,H,W,3]``: RGB or motion maps."""
        if self.frame_mode == "motion":
            return motion_maps(video, idx, background)
        return video[idx]

    def load_frames(self, frame_dir: str) -> np.ndarray:
        """Sampled, resized, normalised frames of one clip: float32 ``[T,3,H,W]``."""
        video = read_video(self.video_dir / f"{frame_dir}{self.video_ext}")
        idx = sample_indices(len(video), self.num_frames, self.test_mode)
        if self.frame_mode == "rgb":  # resize only the sampled frames; motion needs them all
            video, idx = video[idx], np.arange(len(idx))
        return self.normalise_frames(self.select_frames(self.resize_frames(video), idx))

    def prepare_data(self, idx: int) -> Dict[str, Any]:
        import torch

        info = self.get_data_info(idx)
        frame_dir = str(info.get("frame_dir") or self._frame_dir(idx))
        if self.with_skeleton:
            out = self.pipeline(info)
            if out is None:
                raise BadSampleError(f"the skeleton pipeline returned None for {frame_dir!r}")
            out = dict(out)
        else:
            out = dict(label=int(info["label"]))
        out["frame_dir"] = frame_dir
        if self.with_video:
            out["imgs"] = torch.from_numpy(self.load_frames(frame_dir))
        if self.descriptions is not None:
            texts = self.descriptions.get(frame_dir)
            if not texts:
                raise BadSampleError(f"no description for {frame_dir!r} in the descriptions file")
            out["text"] = texts[0] if self.test_mode else texts[np.random.randint(len(texts))]
        return out


__all__ = ["VideoSkeletonDataset", "read_video", "sample_indices", "motion_maps",
           "clip_background", "FRAME_MODES", "CLIP_MEAN", "CLIP_STD", "MOTION_MEAN", "MOTION_STD"]
