"""The core's shared vision helpers: the one CLIP loader, video reader and people detector."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from helpers import FIXTURES
from hhir_core.errors import ConfigError, DataError
from hhir_core.vision import detect_people, load_clip_vision, read_video

TINY = dict(tiny=True, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
            num_attention_heads=2, image_size=32, patch_size=16, projection_dim=8)


def test_random_clip_depends_on_its_seed_only_and_leaves_the_global_rng_alone():
    torch.manual_seed(123)
    expected_next = torch.rand(3)
    torch.manual_seed(123)
    a = load_clip_vision(TINY)
    assert torch.equal(torch.rand(3), expected_next)        # global RNG not consumed
    torch.manual_seed(7)                                     # another global state ...
    b = load_clip_vision(TINY)                               # ... same weights
    c = load_clip_vision(dict(TINY, seed=1))
    wa, wb, wc = (m.vision_model.embeddings.patch_embedding.weight for m in (a, b, c))
    assert torch.equal(wa, wb) and not torch.equal(wa, wc)
    assert a.config.projection_dim == 8
    with pytest.raises(ConfigError, match="tiny=True"):
        load_clip_vision(dict(hidden_size=16))


def test_detect_people_on_an_empty_frame_finds_nobody():
    boxes, scores = detect_people(np.full((96, 64, 3), 127, np.uint8))
    assert boxes.shape == (0, 4) and scores.shape == (0,)


@pytest.mark.realdata
def test_detect_people_finds_the_two_people_of_the_real_hug_clip():
    import cv2

    clip = FIXTURES / "video" / "ntu_two_person_hug.avi"
    if not clip.is_file():
        pytest.skip(f"real-data fixture not found at {clip} (set HHIR_FIXTURES)")
    cap = cv2.VideoCapture(str(clip))
    ok, frame = cap.read()
    cap.release()
    assert ok
    small = cv2.resize(frame, (480, 270))
    boxes, scores = detect_people(small, min_score=0.3)
    assert len(boxes) >= 1 and (scores >= 0.3).all()
    assert ((boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])).all()
    assert (boxes[:, [0, 2]] <= 480 + 1).all() and (boxes[:, [1, 3]] <= 270 + 1).all()


def test_read_video_returns_rgb_frames_and_fps_and_names_bad_files(tmp_path):
    import cv2

    path = tmp_path / "red.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 12.0, (32, 24))
    for _ in range(5):
        writer.write(np.dstack([np.zeros((24, 32), np.uint8)] * 2 + [np.full((24, 32), 255, np.uint8)]))
    writer.release()                                      # BGR red
    clip = read_video(path)
    assert clip.frames.shape == (5, 24, 32, 3) and clip.frames.dtype == np.uint8
    assert clip.fps == pytest.approx(12.0)
    assert clip.frames[..., 0].mean() > 200 and clip.frames[..., 2].mean() < 50   # RGB order
    assert read_video(path, max_frames=2).frames.shape[0] == 2
    with pytest.raises(DataError, match="missing.mp4.*does not exist"):
        read_video(tmp_path / "missing.mp4")
    (tmp_path / "empty.mp4").write_bytes(b"not a video")
    with pytest.raises(DataError, match="empty.mp4"):
        read_video(tmp_path / "empty.mp4")
