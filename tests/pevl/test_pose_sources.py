"""Pose sources: annotation, ViTPose (tiny random config), mmpose (optional extra)."""
import numpy as np
import pytest

from hhir_core.errors import DataError, PluginError
from hhir_core.structures import VideoClip
from hhir_pevl.pose_sources import AnnotationPoseSource, MMPoseSource, ViTPoseSource, box_to_affine, decode_heatmaps


def test_vitpose_tiny_returns_contract_shapes():
    src = ViTPoseSource.tiny()
    args, kwargs = src.example_inputs()
    out = src.poses(*args, **kwargs)
    src.check_output(out, args, kwargs)
    assert out.keypoint.shape == (2, 3, 17, 2) and out.keypoint.dtype == np.float32
    assert out.score.shape == (2, 3, 17) and out.layout == "coco" and out.img_shape == (64, 80)
    # person 2 has no box in frame 1: zero-filled with score 0
    assert (out.keypoint[1, 1] == 0).all() and (out.score[1, 1] == 0).all()
    # joints land inside the (expanded) box of their person
    box = args[0]["boxes"][0, 0]
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    assert np.all(np.abs(out.keypoint[0, 0, :, 0] - cx) <= 1.25 * 60 / 2 + 2)
    assert np.all(np.abs(out.keypoint[0, 0, :, 1] - cy) <= 1.25 * 60 / 2 + 2)


def test_vitpose_hog_detector_runs_on_frames_without_people():
    src = ViTPoseSource.tiny(detector="hog", num_persons=1)
    frames = np.full((2, 96, 96, 3), 127, np.uint8)
    out = src.poses(dict(clip=VideoClip(frames=frames)))
    assert out.keypoint.shape == (1, 2, 17, 2) and (out.score == 0).all()


def test_vitpose_needs_boxes_in_boxes_mode():
    with pytest.raises(DataError, match="boxes"):
        ViTPoseSource.tiny().poses(dict(clip=VideoClip(frames=np.zeros((1, 32, 32, 3), np.uint8))))


def test_affine_and_heatmap_decoding_round_trip():
    a = box_to_affine(np.array([10, 20, 40, 80], np.float32), (64, 48), expand=1.0)
    centre = a @ np.array([25, 50, 1.0])
    assert np.allclose(centre, [24, 32])
    hm = np.zeros((1, 2, 16, 12), np.float32)
    hm[0, 0, 5, 7] = 1.0
    hm[0, 1, 9, 3] = 0.5
    hm[0, 1, 9, 4] = 0.2
    xy, s = decode_heatmaps(hm)
    assert np.allclose(xy[0, 0], [7, 5]) and np.allclose(xy[0, 1], [3.25, 9]) and np.allclose(s, [[1, 0.5]])


def test_annotation_source_pads_persons():
    src = AnnotationPoseSource.tiny()
    args, _ = src.example_inputs()
    out = src.poses(*args)
    assert out.keypoint.shape == (2, 4, 17, 2) and (out.score[1] == 0).all()
    with pytest.raises(DataError):
        AnnotationPoseSource().poses(dict(frame_dir="missing"))


def test_mmpose_optional_extra():
    try:
        import mmpose.apis  # noqa: F401
    except Exception as exc:
        with pytest.raises(PluginError, match="optional extra"):
            MMPoseSource()
        pytest.skip(f"mmpose does not import here ({type(exc).__name__}); optional extra, see docs/pevl.md")
    src = MMPoseSource()
    args, kwargs = src.example_inputs()
    out = src.poses(*args, **kwargs)
    assert out.keypoint.ndim == 4


def test_extract_poses_tool_writes_dataset_file(tmp_path):
    import json
    import pickle
    import sys
    from pathlib import Path

    import cv2

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools" / "data"))
    import extract_poses

    vdir = tmp_path / "videos"
    vdir.mkdir()
    for name in ("a", "b"):
        w = cv2.VideoWriter(str(vdir / f"{name}.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), 10, (80, 64))
        for _ in range(4):
            w.write(np.random.default_rng(0).integers(0, 255, (64, 80, 3), dtype=np.uint8))
        w.release()
    (tmp_path / "labels.json").write_text(json.dumps([{"vid_name": "a", "label": 2}]))
    out = tmp_path / "poses.pkl"
    rc = extract_poses.main([str(vdir), "--pose-source", "vitpose", "--model", '{"tiny": true}',
                             "--out", str(out), "--labels", str(tmp_path / "labels.json"),
                             "--num-persons", "1", "--segmenter", "none"])
    assert rc == 0
    data = pickle.load(open(out, "rb"))
    a, b = data["annotations"]
    assert a["label"] == 2 and b["label"] == -1 and a["keypoint"].shape == (1, 4, 17, 2)
    assert a["img_shape"] == (64, 80) and data["split"]["all"] == ["a", "b"]
    # the dataset reads it
    from hhir_pevl.video_pose import VideoPoseDataset
    s = VideoPoseDataset(str(out), str(vdir), split="all", num_video_frames=2, num_pose_frames=4,
                         image_size=32, test_mode=True)[0]
    assert s["pose"].shape == (1, 4, 17, 3)
    assert extract_poses.main([str(tmp_path / "none"), "--out", str(out)]) == 1
