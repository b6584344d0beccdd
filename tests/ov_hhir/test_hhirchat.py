"""HHIRChat loader: format validation names the sample id; clips are sampled uniformly."""
import json

import numpy as np
import pytest

from hhir_core.errors import DataError
from hhir_ov_hhir.hhirchat import HHIRChatDataset, validate_conversation

Q = "Describe interaction between <p1> and <p2> in <bg>?"


def _good(sid="s1"):
    return {"id": sid, "p1": f"{sid}_p1.mp4", "p2": f"{sid}_p2.mp4", "bg": f"{sid}_bg.mp4", "label": 3,
            "conversations": [{"from": "human", "value": Q}, {"from": "gpt", "value": "They shake hands."},
                              {"from": "human", "value": "Describe the activity in one word."},
                              {"from": "gpt", "value": "Handshaking."}]}


def _write_clip(path, n, h=20, w=24):
    import cv2
    vw = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, (w, h))
    for i in range(n):  # frame i has brightness 5*i: tells which frames were sampled
        vw.write(np.full((h, w, 3), 5 * i, np.uint8))
    vw.release()


@pytest.mark.parametrize("mutate,needle", [
    (lambda c: c.__setitem__(0, {"from": "human", "value": "Describe <p1> and <p2>."}), "<bg> is missing"),
    (lambda c: c.__setitem__(1, {"from": "robot", "value": "x"}), "unknown role 'robot'"),
    (lambda c: c.__setitem__(3, {"from": "gpt", "value": "  "}), "empty answer"),
    (lambda c: c.__setitem__(1, {"from": "human", "value": "again"}), "alternate"),
    (lambda c: c.pop(), "last turn must be a gpt answer"),
])
def test_bad_conversations_name_the_sample(tmp_path, mutate, needle):
    rec = _good("S009C001P001R001A050")
    mutate(rec["conversations"])
    ann = tmp_path / "bad.json"
    ann.write_text(json.dumps([_good("ok1"), rec]))
    with pytest.raises(DataError) as ei:
        HHIRChatDataset(str(ann))
    assert "S009C001P001R001A050" in str(ei.value) and needle in str(ei.value)
    assert str(ann) in str(ei.value)


def test_background_optional():
    turns = [{"from": "human", "value": "What do <p1> and <p2> do?"}, {"from": "gpt", "value": "Hug."}]
    assert validate_conversation("x", turns, ("p1", "p2")) == turns
    with pytest.raises(DataError, match="<bg> is missing"):
        validate_conversation("x", turns, ("p1", "p2", "bg"))


def test_reads_branches_uniform_frames(tmp_path):
    for b in ("p1", "p2", "bg"):
        _write_clip(tmp_path / f"s1_{b}.mp4", 31)
    (tmp_path / "hc.json").write_text(json.dumps([_good("s1")]))
    ds = HHIRChatDataset(str(tmp_path / "hc.json"), num_frames=16, frame_size=(16, 16), classes=[3])
    item = ds[0]
    assert item["p1"].shape == (16, 3, 16, 16) and item["bg"].shape == (16, 3, 16, 16)
    assert item["label"] == 0 and item["reference"] == "They shake hands."
    assert json.loads(item["conversation"])[0]["value"] == Q
    # uniform sampling: first and last frame both present (brightness 0 and 150 before normalisation)
    mean = item["p1"].mean(dim=(1, 2, 3)).numpy()
    assert mean[0] < mean[7] < mean[-1]


def test_missing_clip_names_sample(tmp_path):
    (tmp_path / "hc.json").write_text(json.dumps([_good("lost")]))
    ds = HHIRChatDataset(str(tmp_path / "hc.json"))
    with pytest.raises(DataError, match="'lost'.*does not exist"):
        ds[0]


def test_held_out_classes_excluded(tmp_path):
    a, b = _good("a"), _good("b")
    b["label"] = 7
    (tmp_path / "hc.json").write_text(json.dumps([a, b]))
    ds = HHIRChatDataset(str(tmp_path / "hc.json"), exclude_classes=[7])
    assert [s["id"] for s in ds.samples] == ["a"]
