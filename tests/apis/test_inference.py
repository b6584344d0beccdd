"""The inference API and ``hhir infer`` on tiny trained runs of the shipped mini configs."""
from __future__ import annotations

import doctest
import json
import os
import subprocess

import numpy as np
import pytest

from helpers import FIXTURES, PYTHON, REPO

SKELETON_FILE = FIXTURES / "ntu" / "S001C001P001R001A001.skeleton"
HUG_CLIP = FIXTURES / "video" / "ntu_two_person_hug.avi"
ENV = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", OMP_NUM_THREADS="2")


def hhir(*args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    return subprocess.run([PYTHON, "-m", "hhir_core.cli", *args], cwd=REPO, env=ENV,
                          capture_output=True, text=True, timeout=timeout)


API_EXAMPLE = """
>>> from hhir_core.apis import init_model, inference
>>> model = init_model(work_dir)
>>> result = inference(model, skeleton_file)
>>> len(result.topk)
5
>>> result.label                     # from the file name (A001)
'drink water'
>>> names = model.inference_class_names(model.hhir_cfg)
>>> all(name in names for name, score in result.topk)
True
>>> scores = [score for name, score in result.topk]
>>> scores == sorted(scores, reverse=True) and 0 < sum(scores) <= 1 + 1e-6
True
>>> len(result.code_ids)             # 32 frames -> 8 action tokens
8
>>> all(0 <= i < 512 for i in result.code_ids)
True
"""


@pytest.mark.realdata
def test_python_api_on_a_raw_skeleton_file(llm_ar_work_dir):
    """The README's Python example, run as a doctest against a trained LLM-AR work dir."""
    test = doctest.DocTestParser().get_doctest(
        API_EXAMPLE, {"work_dir": str(llm_ar_work_dir), "skeleton_file": str(SKELETON_FILE)},
        "api_example", None, 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test)
    assert runner.summarize(verbose=False).failed == 0


def test_every_input_form_gives_the_same_answer(llm_ar_work_dir):
    """An annotation entry, its [M,T,V,C] array and a SkeletonSeq are one input to the model."""
    from hhir_core.apis import inference, init_model
    from hhir_core.data.ntu import load_annotation_file
    from hhir_core.structures import SkeletonSeq

    ann = load_annotation_file(llm_ar_work_dir.parent / "syn" / "ntu3d.pkl")["annotations"][3]
    model = init_model(str(llm_ar_work_dir))
    by_entry, by_array, by_seq = inference(
        model, [ann, ann["keypoint"], SkeletonSeq(keypoint=np.asarray(ann["keypoint"]))], topk=3)
    assert by_entry.topk == by_array.topk == by_seq.topk
    assert by_entry.code_ids == by_array.code_ids
    assert by_entry.input == ann["frame_dir"] and by_array.input == "array"
    assert len(by_entry.topk) == 3 and by_entry.label is not None
    with pytest.raises(Exception, match=r"\[M,T,V,C\]"):
        inference(model, np.zeros((3, 25, 3), np.float32))


@pytest.mark.realdata
def test_cli_json_and_visualisation(llm_ar_work_dir, tmp_path):
    out = tmp_path / "out"
    proc = hhir("infer", str(llm_ar_work_dir), str(SKELETON_FILE), "--json", "--out", str(out))
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["input"] == str(SKELETON_FILE)
    assert len(record["topk"]) == 5 and {"label", "score"} <= set(record["topk"][0])
    assert len(record["code_ids"]) == 8
    assert "scoring 22 class names with the LLM" in proc.stderr  # progress goes to stderr
    assert json.loads((out / "result.json").read_text())["topk"] == record["topk"]
    png = out / "action_sentence.png"
    assert png.is_file() and (out / "visualisation.mp4").stat().st_size > 1000
    import cv2

    img = cv2.imread(str(png))
    assert img is not None and img.shape[1] > img.shape[0] and img.std() > 10
    # the human-readable form prints the ranked list
    text = hhir("infer", str(llm_ar_work_dir), str(SKELETON_FILE), "--topk", "3", "--quiet")
    assert text.returncode == 0, text.stderr[-2000:]
    assert "  1. " in text.stdout and "  3. " in text.stdout and "  4. " not in text.stdout
    assert record["topk"][0]["label"] in text.stdout


def test_missing_checkpoint_names_the_command(tmp_path):
    proc = hhir("infer", str(tmp_path / "no_such_run"), str(tmp_path / "x.skeleton"))
    assert proc.returncode == 2
    assert f"python tools/train.py CONFIG --work-dir {tmp_path / 'no_such_run'}" in proc.stderr
    demo = hhir("infer", "work_dirs/demo_llm_ar_ntu120_mini_absent/demo_llm_ar_ntu120_mini",
                str(tmp_path / "x.skeleton"))
    assert demo.returncode == 2 and "`make demo`" in demo.stderr
    # a config whose default work dir holds no run: the exact training command
    cfg = tmp_path / "stgcn_untrained.py"
    cfg.write_text(f"_base_ = [{str(REPO / 'configs' / 'stgcn_ntu120_mini.py')!r}]\n"
                   f"work_dir = {str(tmp_path / 'never_trained')!r}\n")
    untrained = hhir("infer", str(cfg), str(tmp_path / "x.skeleton"))
    assert untrained.returncode == 2
    assert f"`python tools/train.py {cfg}`" in untrained.stderr, untrained.stderr


def test_every_registered_recognizer_implements_the_inference_hooks():
    from hhir_core.apis import InferenceRecognizer
    from hhir_core.registry import iter_components, resolve

    names = sorted(name for _, name, _ in iter_components(["model"]))
    assert {"LLMARRecognizer", "SkeletonRecognizer", "OVHHIRRecognizer", "PeVLRecognizer",
            "SKIVLMRecognizer"} <= set(names)
    for name in names:
        cls = resolve("model", name)
        assert issubclass(cls, InferenceRecognizer), name


def test_skeleton_classifier_through_the_same_api(tmp_path):
    """ST-GCN (hhir_mmaction) takes the same path: evaluation pipeline, softmax scores, names."""
    import torch

    from hhir_core.apis import inference, init_model
    from hhir_core.config import load_config
    from hhir_core.registry import build

    config = str(REPO / "configs" / "stgcn_ntu120_mini.py")
    model = build("model", load_config(config).model)
    torch.save({"state_dict": model.state_dict()}, tmp_path / "stgcn.pth")
    model = init_model(config, checkpoint=str(tmp_path / "stgcn.pth"))
    rng = np.random.default_rng(0)
    result = inference(model, {"frame_dir": "S001C001P001R001A050", "label": 49,
                               "keypoint": rng.normal(size=(2, 40, 25, 3)).astype(np.float32)})
    assert len(result.topk) == 5 and result.label == "punching/slapping other person"
    assert len({name for name, _ in result.topk}) == 5 and result.text is None
    assert result.code_ids is None
    with pytest.raises(Exception, match="3-D keypoints"):
        inference(model, np.zeros((1, 10, 17, 2), np.float32))


def test_init_model_silences_the_known_third_party_notices(tmp_path):
    """The Python API (and the page built on it) filters the notices the CLI filters: e.g.
    transformers' KV-cache rename line on every generated description."""
    import logging

    import torch

    from hhir_core import compat
    from hhir_core.apis import init_model
    from hhir_core.config import load_config
    from hhir_core.registry import build

    generic = logging.getLogger("transformers.utils.generic")
    generic.removeFilter(compat._NOISE_FILTER)
    config = str(REPO / "configs" / "stgcn_ntu120_mini.py")
    torch.save({"state_dict": build("model", load_config(config).model).state_dict()}, tmp_path / "m.pth")
    init_model(config, checkpoint=str(tmp_path / "m.pth"))
    record = generic.makeRecord(generic.name, logging.WARNING, __file__, 0,
                                "`past_key_values`/`cache_params` are deprecated. Use `cache` instead.", (), None)
    assert not generic.filter(record)


@pytest.mark.realdata
def test_ov_hhir_on_the_real_hug_clip(ov_hhir_work_dir, tmp_path):
    out = tmp_path / "hug"
    proc = hhir("infer", str(ov_hhir_work_dir), str(HUG_CLIP), "--out", str(out), "--json")
    assert proc.returncode == 0, proc.stderr[-3000:]
    record = json.loads(proc.stdout.strip().splitlines()[-1])
    assert record["text"] is not None and record["tracks"]["persons"] == 2
    assert record["tracks"]["frames"] == 72
    assert "segmenting two people" in proc.stderr
    saved = json.loads((out / "result.json").read_text())
    assert saved["topk"] == record["topk"] and saved["files"]["video"].endswith("visualisation.mp4")
    import cv2

    cap = cv2.VideoCapture(str(out / "visualisation.mp4"))
    frames = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    ok, frame = cap.read()
    cap.release()
    assert ok and frames == 72 and max(frame.shape[:2]) == 640
