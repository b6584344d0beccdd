"""Sam2Segmenter: a tiny random transformers Sam2VideoModel, prompted with one box per person.

Random weights cannot segment, so these tests check what the component guarantees
whatever the weights: shapes and dtypes, one track per prompted person in prompt order,
boxes that describe the masks, the prompt boxes actually used, propagation over every
frame (forward and backward from the prompt frame), determinism, loading a saved model
by path, and clear errors for missing weights and bad prompts.
"""
import numpy as np
import pytest

from hhir_core.errors import ConfigError, DataError, HHIRError

TINY_MODEL = dict(tiny=True, image_size=64, seed=0)
PROMPT = dict(type="OpenCVPersonSegmenter", work_width=96)


@pytest.fixture(scope="module")
def clip():
    from hhir_ov_hhir.segmenters import synthetic_two_person_clip
    return synthetic_two_person_clip(T=8, size=96)[0]


@pytest.fixture(scope="module")
def seg():
    from hhir_ov_hhir.sam2_segmenter import Sam2Segmenter
    return Sam2Segmenter(model=TINY_MODEL, prompt=PROMPT)


def _spy(seg, monkeypatch):
    """Record ``(frame index, low-res mask logits)`` SAM 2 yields (the real iterator still runs)."""
    seen = []
    orig = seg.model.propagate_in_video_iterator

    def spy(*a, **k):
        for out in orig(*a, **k):
            seen.append((int(out.frame_idx), out.pred_masks.detach().clone()))
            yield out

    monkeypatch.setattr(seg.model, "propagate_in_video_iterator", spy)
    return seen


def test_tiny_model_gives_well_formed_tracks(seg, clip):
    from hhir_ov_hhir.segmenters import masks_to_boxes
    out = seg.segment(clip, num_persons=2)
    seg.check_output(out, (clip,), {})
    T, H, W = clip.frames.shape[:3]
    assert out.masks.shape == (2, T, H, W) and out.masks.dtype == np.bool_
    assert out.boxes.shape == (2, T, 4) and out.boxes.dtype == np.float32
    assert out.scores.shape == (2,) and out.scores.dtype == np.float32
    assert ((out.scores > 0) & (out.scores < 1)).all()          # mean object-presence probability
    assert not (out.masks[0] & out.masks[1]).any()                # non_overlapping=True
    np.testing.assert_array_equal(out.boxes, masks_to_boxes(out.masks))
    assert seg.model.num_parameters() < 2_000_000 and not any(p.requires_grad for p in seg.model.parameters())


def test_default_prompt_is_the_offline_tracker(seg, clip):
    """The prompt boxes are the OpenCV tracks' boxes on the first frame where both people are found."""
    from hhir_ov_hhir.sam2_segmenter import first_prompt_frame
    from hhir_ov_hhir.segmenters import OpenCVPersonSegmenter
    seg.segment(clip, num_persons=2)
    tracks = OpenCVPersonSegmenter(work_width=96).segment(clip, num_persons=2).boxes
    t, keep = first_prompt_frame(tracks)
    assert keep.all()
    assert seg.last_prompt["frame"] == t
    np.testing.assert_allclose(seg.last_prompt["boxes"], tracks[:, t], atol=1e-4)
    assert list(seg.last_prompt["persons"]) == [0, 1]
    # person 1 is the left one, as in the tracker
    assert seg.last_prompt["boxes"][0, 0] < seg.last_prompt["boxes"][1, 0]


def test_caller_boxes_keep_person_order(seg, clip):
    boxes = np.array([[10, 8, 40, 80], [52, 8, 84, 80]], np.float32)
    a = seg.segment(clip, 2, boxes=boxes)
    assert seg.last_prompt["frame"] == 0
    np.testing.assert_array_equal(seg.last_prompt["boxes"], boxes)
    b = seg.segment(clip, 2, boxes=boxes[::-1].copy())
    assert (a.masks[0] != a.masks[1]).mean() > 0.01                 # the two tracks differ...
    assert (b.masks != a.masks[::-1]).mean() < 1e-3                 # ...and track p follows prompt box p
    np.testing.assert_allclose(b.scores, a.scores[::-1], rtol=1e-5, atol=1e-6)
    # boxes outside the frame are clipped to it
    seg.segment(clip, 2, boxes=np.array([[-5, -5, 40, 200], [52, 8, 120, 80]], np.float32))
    np.testing.assert_array_equal(seg.last_prompt["boxes"], [[0, 0, 40, 96], [52, 8, 96, 80]])


def test_prompt_on_a_later_frame_propagates_both_ways(seg, clip, monkeypatch):
    T = len(clip.frames)
    tracks = np.full((2, T, 4), np.nan, np.float32)
    tracks[0, 5:] = [10, 8, 40, 80]
    tracks[1, 3:] = [52, 8, 84, 80]                                 # person 2 appears first
    rec = _spy(seg, monkeypatch)
    out = seg.segment(clip, 2, boxes=tracks)
    seen = [t for t, _ in rec]
    assert seg.last_prompt["frame"] == 5                            # first frame with both people
    assert sorted(set(seen)) == list(range(T))                      # every frame segmented
    assert seen[:T - 5] == list(range(5, T)) and seen[T - 5:] == [5, 4, 3, 2, 1, 0]
    assert out.masks.shape[:2] == (2, T)


def test_only_people_present_on_the_prompt_frame_are_tracked(seg, clip):
    T = len(clip.frames)
    tracks = np.full((3, T, 4), np.nan, np.float32)
    tracks[1, 2:] = [52, 8, 84, 80]                                 # persons 0 and 2 never found
    out = seg.segment(clip, 3, boxes=tracks)
    assert out.masks.shape[0] == 1 and list(seg.last_prompt["persons"]) == [1]
    assert seg.last_prompt["frame"] == 2
    out = seg.segment(clip, 1, boxes=np.full((2, T, 4), np.nan))   # nobody: empty tracks
    assert out.masks.shape == (0, T, 96, 96) and out.boxes.shape == (0, T, 4) and out.scores.shape == (0,)


def test_determinism_and_registry_build(seg, clip):
    from hhir_core.registry import build
    from hhir_ov_hhir.sam2_segmenter import Sam2Segmenter
    other = build("segmenter", dict(type="Sam2Segmenter", **Sam2Segmenter.tiny_config()))
    assert type(other) is Sam2Segmenter
    a, b = seg.segment(clip, 2), other.segment(clip, 2)
    np.testing.assert_array_equal(a.masks, b.masks)
    np.testing.assert_array_equal(a.scores, b.scores)
    # a different seed is a different random model
    c = Sam2Segmenter(model=dict(TINY_MODEL, seed=1), prompt=PROMPT).segment(clip, 2)
    assert not np.array_equal(a.masks, c.masks)


def test_saved_model_loads_by_local_path(seg, clip, tmp_path, monkeypatch):
    """save_pretrained -> Sam2Segmenter(model=folder): same weights, same logits, same tracks.

    The logits agree to float noise (~1e-8; the reloaded tensors live elsewhere in
    memory). With random weights both persons' logits are ~1e-3 and nearly tied in
    places, so the non-overlap argmax may flip a handful of pixels: allow 0.1 %.
    """
    import torch

    from hhir_ov_hhir.sam2_segmenter import Sam2Segmenter
    folder = tmp_path / "sam2_tiny"
    seg.model.save_pretrained(str(folder))
    assert (folder / "config.json").is_file()
    loaded = Sam2Segmenter(model=str(folder), prompt=PROMPT)
    assert loaded.image_size == (64, 64)
    sa, sb = seg.model.state_dict(), loaded.model.state_dict()
    assert sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)
    rec_a, rec_b = _spy(seg, monkeypatch), _spy(loaded, monkeypatch)
    a, b = seg.segment(clip, 2), loaded.segment(clip, 2)
    assert [t for t, _ in rec_a] == [t for t, _ in rec_b]
    for (_, la), (_, lb) in zip(rec_a, rec_b):
        torch.testing.assert_close(la, lb, atol=1e-6, rtol=1e-5)
    assert (a.masks != b.masks).mean() < 1e-3
    np.testing.assert_allclose(a.scores, b.scores, rtol=1e-5)


@pytest.mark.parametrize("kind", ["missing_folder", "empty_folder", "uncached_hub_id"])
def test_missing_weights_is_a_clear_error(tmp_path, monkeypatch, kind):
    from hhir_core.llm.loading import ModelNotFoundError
    from hhir_ov_hhir.sam2_segmenter import Sam2Segmenter
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    if kind == "missing_folder":
        spec = str(tmp_path / "no_such_sam2")
    elif kind == "empty_folder":
        (tmp_path / "empty").mkdir()
        spec = str(tmp_path / "empty")
    else:
        spec = "hhir-tests/no-such-sam2-model"
    with pytest.raises(ModelNotFoundError) as err:
        Sam2Segmenter(model=spec, prompt=PROMPT)
    msg = str(err.value)
    assert isinstance(err.value, HHIRError)
    assert spec in msg and "OpenCVPersonSegmenter" in msg, msg


def test_bad_inputs_are_clear_errors(seg, clip):
    from hhir_core.structures import VideoClip
    from hhir_ov_hhir.sam2_segmenter import Sam2Segmenter
    with pytest.raises(DataError, match="synthetic_two_person.*boxes must be"):
        seg.segment(clip, 2, boxes=np.zeros((2, 3)))
    with pytest.raises(DataError, match="uint8"):
        seg.segment(VideoClip(frames=clip.frames.astype(np.float32), source="x.mp4"), 2)
    with pytest.raises(ConfigError, match="needs boxes"):
        Sam2Segmenter(model=TINY_MODEL, prompt=None).segment(clip, 2)
    with pytest.raises(ConfigError, match="multiple of 32"):
        Sam2Segmenter(model=dict(tiny=True, image_size=50))
    with pytest.raises(ConfigError, match="tiny=True"):
        Sam2Segmenter(model=dict(image_size=64))
