"""The swap matrix: every registered component whose contract fits a method's slot runs there.

The cells are not a hand list: they come from the slot table
(:func:`hhir_core.interfaces.slots.slot_table`, what ``hhir components --slots``
prints), i.e. from each method's declared slots and the components' contracts.
Every cell builds the component from its own tiny config *through the registry*
into a tiny instance of the method, runs one training step (loss, backward,
SGD step; the loss must be finite and some trainable weight must change) and
one prediction. A method that declares slots but has no runner here fails
``test_every_method_with_slots_has_a_runner``.

Extra cells the issue names: LLM-AR's tokenizer slot in both token modes that
apply (``vocab`` needs ``code_vectors()``), the example plugin's GRU tokenizer
(registered in-process from ``examples/third_party_plugin``), and the causal-LM
slot with the offline SmolLM2 GGUF as well as a tiny random config.
"""
from __future__ import annotations

import importlib
import json
import os
import sys
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
torch = pytest.importorskip("torch")

from hhir_core.interfaces.slots import slot_table  # noqa: E402
from hhir_core.plugins.manager import get_manager  # noqa: E402
from hhir_core.registry import registry_for  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "third_party_plugin"


# ------------------------------------------------------------------------------ helpers
def tiny_cfg(role: str, name: str) -> Tuple[Dict[str, Any], Any]:
    """``(config, tiny instance)`` of a registered component: ``dict(type=name, **kwargs)``
    with the kwargs its ``tiny()`` passes to the constructor."""
    from hhir_core.testing.checks import _CaptureInit, seed_everything

    cls = registry_for(role).get(name)
    missing = [m for m in getattr(cls, "optional_requires", ()) or ()
               if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"{name} needs the optional extra(s) {', '.join(missing)}")
    seed_everything(0)
    from hhir_core.errors import PluginError

    try:
        with _CaptureInit(cls) as cap:
            inst = cls.tiny()
    except PluginError as exc:  # an optional extra installed in an unusable version
        pytest.skip(f"{name}: {exc}")
    kwargs = dict(cap.kwargs or cls.tiny_config())
    return dict(type=name, **kwargs), inst


def example_x(inst: Any) -> Any:
    """The first positional example input of a component (its stream)."""
    args, _ = inst.example_inputs()
    return args[0]


def first_batch(x: Any, b: int = 2) -> Any:
    """``x`` with batch size ``b`` (repeated or cut along dim 0)."""
    reps = [-(-b // x.shape[0])] + [1] * (x.dim() - 1)
    return x.repeat(*reps)[:b]


def train_step(model: Any, batch: Dict[str, Any]) -> Dict[str, float]:
    """One SGD step; asserts a finite loss that changes some trainable weight."""
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    assert params, "nothing trains"
    before = [p.detach().clone() for p in params]
    losses = model(mode="loss", **batch)
    total = sum(v for k, v in losses.items() if "loss" in k)
    assert torch.isfinite(total), f"non-finite loss {losses}"
    opt = torch.optim.SGD(params, lr=0.1)
    opt.zero_grad()
    total.backward()
    opt.step()
    changed = sum(not torch.equal(a, p.detach()) for a, p in zip(before, params))
    assert changed, "one training step changed no trainable weight"
    return {k: float(v.detach()) for k, v in losses.items()}


def predict(model: Any, batch: Dict[str, Any], n: int, num_classes: int) -> List[dict]:
    model.eval()
    with torch.no_grad():
        out = model(mode="predict", **batch)
    assert len(out) == n
    for o in out:
        assert o["pred_scores"].shape == (num_classes,) and torch.isfinite(o["pred_scores"]).all()
        assert 0 <= o["pred_label"] < num_classes
    return out


# ------------------------------------------------------------------------------ runners
NTU_IDS = [9, 22, 49, 57]


def run_llm_ar(slot: str, comp: str, variant: str) -> None:
    """Both stages: stage 1 trains the tokenizer, stage 2 the LLM on its tokens."""
    from hhir_llm_ar.recognizer import LLMARRecognizer

    kw: Dict[str, Any] = dict(classes=NTU_IDS)
    tok_cls = registry_for("tokenizer").get("HyperbolicVQTokenizer")
    x = torch.randn(2, 2, 16, 25, 3)
    if slot == "model.tokenizer":
        cfg, inst = tiny_cfg("tokenizer", comp)
        cfg.pop("llm_dim", None)  # the method fills it from its LLM
        if "loss_weights" in cfg:
            cfg["loss_weights"] = dict(cfg["loss_weights"], mmd=0.1)  # uses the LLM's embeddings
        kw["tokenizer"], kw["token_mode"] = cfg, variant
        x = first_batch(example_x(inst))
    else:  # model.llm
        kw["llm"] = tiny_cfg("language_head", comp)[0]
        if variant == "smollm2":
            kw["llm"]["model"] = "smollm2"
            kw["llm_layers"] = 1
            kw["tokenizer"] = dict(type="HyperbolicVQTokenizer", in_channels=150, num_codes=8,
                                   hidden=16, depth=1)
        kw["token_mode"] = "vocab"
    assert tok_cls is not None
    torch.manual_seed(0)
    stage1 = LLMARRecognizer.tiny(train_stage="tokenizer", **kw)
    batch = dict(keypoint=x, label=torch.tensor([0, 1]))
    losses = train_step(stage1, batch)
    assert any(k.startswith("loss_") for k in losses)
    stage1.eval()
    with torch.no_grad():
        out = stage1(mode="predict", **batch)
    assert len(out) == 2 and all(o["recon_error"] == o["recon_error"] for o in out)
    torch.manual_seed(0)
    stage2 = LLMARRecognizer.tiny(train_stage="llm", **kw)
    missing, unexpected = stage2.load_state_dict(stage1.state_dict(), strict=False)
    assert not unexpected, unexpected
    assert not [k for k in missing if k.startswith("tokenizer.")], "stage 2 lost tokenizer weights"
    stage2.on_stage_start()
    train_step(stage2, batch)
    predict(stage2, batch, 2, len(NTU_IDS))


TEXT = ("TextEncoderHead", dict(model=dict(tiny=True, arch="bert", hidden_size=32)))
CLIP_FRAMES = dict(type="CLIPFrameEncoder",
                   model=dict(tiny=True, hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                              num_attention_heads=2, image_size=32, patch_size=16,
                              projection_dim=16))
GRAPH_SKELETON = dict(type="GraphAttentionSkeletonEncoder", embed_dim=16, depth=1, heads=2,
                      max_frames=32)
SKI_NAMES = [f"action number {i}" for i in range(10)]


def _ski_streams(slot: str, comp: str) -> Tuple[Dict[str, Any], Dict[str, Any], Dict[str, Any]]:
    """``(video encoder cfg, skeleton encoder cfg, inputs)``, one of them the component's."""
    video, skeleton = dict(CLIP_FRAMES), dict(GRAPH_SKELETON)
    inputs = dict(imgs=torch.randn(2, 3, 3, 32, 32), keypoint=torch.randn(2, 2, 16, 25, 3))
    if slot.endswith("encoder") and ("video" in slot or "skeleton" in slot):
        cfg, inst = tiny_cfg("branch_encoder", comp)
        if "video" in slot:
            video, inputs["imgs"] = cfg, first_batch(example_x(inst))
        else:
            skeleton, inputs["keypoint"] = cfg, first_batch(example_x(inst))
    return video, skeleton, inputs


def run_ski(model_name: str, slot: str, comp: str, variant: str) -> None:
    from hhir_core.registry import MODELS

    video, skeleton, inputs = _ski_streams(slot, comp)
    text = dict(type=TEXT[0], **TEXT[1])
    if slot == "model.text_encoder":
        text = tiny_cfg("language_head", comp)[0]
    distiller = dict(type="SkeletonCLIPDistiller", alpha=1.0)
    if slot == "model.distiller":
        distiller = tiny_cfg("distiller", comp)[0]
    cls = MODELS.get(model_name)
    kw: Dict[str, Any] = dict(text_encoder=text, train_classes=[0, 1, 2, 3],
                              test_classes=[7, 8, 9], class_names=SKI_NAMES)
    phase = {"SkeletonCLIPRecognizer": "skeleton_clip",
             "VideoCLIPRecognizer": "video_clip"}.get(model_name, "scd")
    if phase in ("video_clip", "scd"):
        kw["video"] = dict(encoder=video, template="a video of {}.")
    if phase in ("skeleton_clip", "scd"):
        kw["skeleton"] = dict(encoder=skeleton, template="a skeleton of {}.")
    if phase == "scd":
        kw["distiller"] = distiller
    torch.manual_seed(0)
    model = cls(**kw)
    label = torch.tensor([0, 1])
    batch = dict(label=label)
    if phase != "video_clip":
        batch["keypoint"] = inputs["keypoint"]
    if phase != "skeleton_clip":
        batch["imgs"] = inputs["imgs"]
    train_step(model, batch)
    test = dict(label=label)
    test.update(keypoint=inputs["keypoint"]) if phase == "skeleton_clip" else \
        test.update(imgs=inputs["imgs"])
    predict(model, test, 2, 3)


def run_ski_lvlm(slot: str, comp: str, variant: str) -> None:
    from hhir_ski.lvlm import SKILVLM

    video, skeleton, inputs = _ski_streams(slot.replace("_encoder", ".encoder"), comp)
    llm = dict(type="CausalLMHead", model=dict(tiny=True, hidden_size=64, num_layers=2, num_heads=4))
    if slot == "model.llm":
        llm = tiny_cfg("language_head", comp)[0]
    llm["lora"] = None  # SKI-LVLM keeps the LLM frozen
    torch.manual_seed(0)
    model = SKILVLM(video_encoder=video, skeleton_encoder=skeleton, llm=llm, test_classes=[0, 1],
                    class_names=["clapping", "waving"], max_new_tokens=2)
    text = ["a person claps.", "someone waves a hand."]
    train_step(model, dict(imgs=inputs["imgs"], keypoint=inputs["keypoint"], text=text,
                           label=torch.tensor([0, 1])))
    out = predict(model, dict(imgs=inputs["imgs"], text=text, label=torch.tensor([0, 1])), 2, 2)
    assert all(isinstance(o["pred_text"], str) for o in out)


PEVL_CLASSES = [dict(name="clapping", two_person=False), dict(name="punching", two_person=True)]


def run_pevl(slot: str, comp: str, variant: str) -> None:
    from hhir_pevl.recognizer import PeVLRecognizer

    video_cfg, video = tiny_cfg("branch_encoder", "CLIPVideoEncoder")
    pose_cfg, pose_enc = tiny_cfg("branch_encoder", "PoseTransformerEncoder")
    text = dict(type=TEXT[0], **TEXT[1])
    if slot == "model.video_encoder":
        video_cfg, video = tiny_cfg("branch_encoder", comp)
    elif slot == "model.pose_encoder":
        pose_cfg, pose_enc = tiny_cfg("branch_encoder", comp)
    elif slot == "model.text_encoder":
        text = tiny_cfg("language_head", comp)[0]
    args, kwargs = video.example_inputs()
    imgs, kp = first_batch(args[0]), kwargs.get("video_keypoint")
    kp = first_batch(kp) if kp is not None else None
    pose = first_batch(example_x(pose_enc))
    pose_cfgs = [pose_cfg]
    if slot == "pose_source":
        pose = pose_tensor_from_source(comp)
        layout = dict(num_joints=pose.shape[3], num_persons=pose.shape[1], in_channels=3,
                      max_frames=pose.shape[2])
        # the poses feed both pose encoders: the separate one and the paper's, which shares
        # the video encoder's CLIP layers
        pose_cfgs = [dict(type="PoseTransformerEncoder", dim=16, depth=1, num_heads=2, **layout),
                     dict(type="SharedCLIPPoseEncoder", **layout)]
        if kp is not None:  # one pose source gives both: its joints, in pixels, guide P2V
            kp = video_keypoints_from_pose(pose, imgs)
    for pose_cfg in pose_cfgs:
        torch.manual_seed(0)
        model = PeVLRecognizer(video_encoder=video_cfg, pose_encoder=pose_cfg, text_encoder=text,
                               class_names=PEVL_CLASSES, use_p2v=kp is not None)
        batch = dict(imgs=imgs, pose=pose, video_keypoint=kp, label=torch.tensor([0, 1]))
        train_step(model, batch)
        predict(model, batch, 2, 2)


def video_keypoints_from_pose(pose: Any, imgs: Any) -> Any:
    """``[B,M,T,V,3]`` pixel keypoints of the video frames from normalised poses ``[B,M,Tp,V,3]``."""
    t, size = imgs.shape[1], imgs.shape[-1]
    idx = torch.linspace(0, pose.shape[2] - 1, t).round().long()
    picked = pose[:, :, idx]
    return torch.cat([(picked[..., :2] + 1) / 2 * (size - 1), picked[..., 2:]], dim=-1)


def pose_tensor_from_source(name: str) -> Any:
    """``[2,M,T,V,3]`` poses (x, y in [-1, 1], score) from a pose source's SkeletonSeq."""
    import numpy as np

    from hhir_core.structures import LAYOUT_JOINTS, SkeletonSeq

    _, src = tiny_cfg("pose_source", name)
    seq = src.poses(example_x(src))
    assert isinstance(seq, SkeletonSeq) and seq.keypoint.shape[2] == LAYOUT_JOINTS[seq.layout]
    kp = np.asarray(seq.keypoint, np.float32)[..., :2]
    score = np.ones(kp.shape[:3], np.float32) if seq.score is None else np.asarray(seq.score)
    lo, hi = kp.reshape(-1, 2).min(0), kp.reshape(-1, 2).max(0)
    xy = (kp - lo) / np.maximum(hi - lo, 1e-6) * 2 - 1
    pose = torch.from_numpy(np.concatenate([xy, score[..., None]], -1).astype(np.float32))
    return first_batch(pose[None])


OV_CLASSES = ["handshaking", "hugging other person"]
CONV = [{"from": "human", "value": "Describe interaction between <p1> and <p2> in <bg>?"},
        {"from": "gpt", "value": "Two people shake hands."}]
QFORMER = dict(frame_encoder=dict(kind="vitpose", config=dict(hidden_size=32, num_attention_heads=2)),
               num_queries=4, max_frames=4,
               qformer=dict(hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                            intermediate_size=64))


def run_ov_hhir(slot: str, comp: str, variant: str) -> None:
    from hhir_ov_hhir.recognizer import OVHHIRRecognizer

    head = dict(type="CausalLMHead", model=dict(tiny=True, hidden_size=64, num_layers=2, num_heads=4))
    kw: Dict[str, Any] = dict(branch=dict(QFORMER), class_names=OV_CLASSES, max_new_tokens=2)
    if slot == "model.language_head":
        head = tiny_cfg("language_head", comp)[0]
        head["lora"] = None
    elif slot == "model.classifier_head":
        kw["classifier_head"] = tiny_cfg("language_head", comp)[0]
    elif slot == "model.branch":
        cfg = tiny_cfg("branch_encoder", comp)[0]
        cfg.pop("llm_dim", None)  # the method fills it from its LLM
        kw["branch"] = {k: v for k, v in cfg.items() if k != "type"}
        kw["branch_overrides"] = {n: dict(type=comp) for n in ("p1", "p2", "bg")}
    frames = {n: torch.randn(2, 4, 3, 64, 64) for n in ("p1", "p2", "bg")}
    if slot == "segmenter":
        frames = branch_tensors_from_segmenter(comp)
    torch.manual_seed(0)
    model = OVHHIRRecognizer(language_head=head, **kw)
    batch = dict(frames, conversation=[json.dumps(CONV)] * 2, reference=[CONV[1]["value"]] * 2,
                 label=torch.tensor([0, 1]), source=["syn"] * 2, id=["a", "b"])
    train_step(model, batch)
    out = predict(model, batch, 2, len(OV_CLASSES))
    assert all(isinstance(o["pred_text"], str) for o in out)


def branch_tensors_from_segmenter(name: str) -> Dict[str, Any]:
    """Person 1 / person 2 / background clips cut by a segmenter, as ``[2,4,3,64,64]`` tensors."""
    import torch.nn.functional as F

    from hhir_core.structures import PersonTracks
    from hhir_ov_hhir.branches import branch_frames

    _, seg = tiny_cfg("segmenter", name)
    args, kwargs = seg.example_inputs()
    clip = args[0]
    tracks = seg.segment(clip, num_persons=2)
    assert isinstance(tracks, PersonTracks) and tracks.masks.shape[1] == len(clip.frames)
    out = {}
    for branch, frames in branch_frames(clip, tracks).items():
        x = torch.from_numpy(frames[:4]).float().permute(0, 3, 1, 2) / 255.0
        out[branch] = first_batch(F.interpolate(x, size=(64, 64))[None])
    assert set(out) == {"p1", "p2", "bg"}
    return out


def run_skeleton_recognizer(slot: str, comp: str, variant: str) -> None:
    from hhir_mmaction.recognizer import SkeletonRecognizer

    cfg, inst = tiny_cfg("branch_encoder", comp)
    torch.manual_seed(0)
    model = SkeletonRecognizer(backbone=cfg, num_classes=4)
    batch = dict(keypoint=first_batch(example_x(inst)), label=torch.tensor([0, 1]))
    train_step(model, batch)
    predict(model, batch, 2, 4)


RUNNERS = {
    "LLMARRecognizer": run_llm_ar,
    "SKIRecognizer": lambda s, c, v: run_ski("SKIRecognizer", s, c, v),
    "SkeletonCLIPRecognizer": lambda s, c, v: run_ski("SkeletonCLIPRecognizer", s, c, v),
    "VideoCLIPRecognizer": lambda s, c, v: run_ski("VideoCLIPRecognizer", s, c, v),
    "SKILVLM": run_ski_lvlm,
    "PeVLRecognizer": run_pevl,
    "OVHHIRRecognizer": run_ov_hhir,
    "SkeletonRecognizer": run_skeleton_recognizer,
}


# ------------------------------------------------------------------------------ cells
def _inherited(model_cls: type) -> bool:
    """True if a registered parent declares the very same slots (its cells cover these)."""
    reg = registry_for("model")
    for base in model_cls.__mro__[1:]:
        if getattr(base, "slots", None) is model_cls.slots and reg.get_or_none(base.__name__) is base:
            return True
    return False


def _rows() -> List[Dict[str, Any]]:
    get_manager().load()
    reg = registry_for("model")
    return [r for r in slot_table() if not _inherited(reg.get(r["model"]))]


def _cells() -> List[Any]:
    cells = []
    for r in _rows():
        for c in r["fits"]:
            variants = ["-"]
            if r["slot"] == "model.tokenizer" and r["model"] == "LLMARRecognizer":
                variants = ["embeds"] + (["vocab"] if "code_vectors" in c["capabilities"] else [])
            if r["slot"] == "model.llm" and r["model"] == "LLMARRecognizer":
                variants = ["tiny", "smollm2"]
            for v in variants:
                cells.append(pytest.param(r["model"], r["slot"], c["name"], v,
                                          id=f"{r['model']}:{r['slot']}:{c['name']}:{v}"))
    return cells


def test_every_method_with_slots_has_a_runner():
    rows = _rows()
    assert {r["model"] for r in rows} <= set(RUNNERS), \
        f"methods with slots but no swap-matrix runner: {sorted({r['model'] for r in rows} - set(RUNNERS))}"
    # the matrix is not empty where the issue asks for it
    fits = {(r["model"], r["slot"]): {c["name"] for c in r["fits"]} for r in rows}
    assert {"HyperbolicVQTokenizer", "EuclideanVQTokenizer", "ContinuousTokenizer"} <= \
        fits["LLMARRecognizer", "model.tokenizer"]
    assert {"GraphAttentionSkeletonEncoder", "STGCNEncoder", "AAGCNEncoder"} <= \
        fits["SKIRecognizer", "model.skeleton.encoder"]
    assert {"AnnotationPoseSource", "ViTPoseSource"} <= fits["PeVLRecognizer", "pose_source"]
    assert {"OpenCVPersonSegmenter", "GroundTruthMaskSegmenter", "Sam2Segmenter"} <= \
        fits["OVHHIRRecognizer", "segmenter"]


@pytest.mark.parametrize("model_name,slot,component,variant", _cells())
def test_swap_cell(model_name, slot, component, variant):
    torch.set_num_threads(1)
    RUNNERS[model_name](slot, component, variant)


@pytest.fixture()
def example_plugin():
    """The example plugin registered in-process (as ``add_plugin`` does for notebooks)."""
    from hhir_core.plugins import manager as mgr

    if not EXAMPLE.is_dir():
        pytest.skip(f"{EXAMPLE} is missing")
    sys.path.insert(0, str(EXAMPLE))
    try:
        module = importlib.import_module("hhir_example_plugin.plugin")
        m = get_manager()
        m.load()
        already = "hhir_example_plugin" in m.plugins
        if not already:
            m.add_plugin("hhir_example_plugin", module, "0.1.0")
        yield
        if not already:
            m.plugins.pop("hhir_example_plugin", None)
            mgr._unregister("tokenizer", "GRUSkeletonTokenizer")
    finally:
        sys.path.remove(str(EXAMPLE))


def test_example_plugin_gru_tokenizer_fits_and_runs_in_llm_ar(example_plugin):
    rows = [r for r in slot_table(["LLMARRecognizer"]) if r["slot"] == "model.tokenizer"]
    fits = {c["name"]: c for c in rows[0]["fits"]}
    assert "GRUSkeletonTokenizer" in fits, rows[0]["does_not_fit"].get("GRUSkeletonTokenizer")
    assert "code_vectors" not in fits["GRUSkeletonTokenizer"]["capabilities"]
    torch.set_num_threads(1)
    run_llm_ar("model.tokenizer", "GRUSkeletonTokenizer", "embeds")


FIRST_PARTY = {"hhir_core", "hhir_llm_ar", "hhir_ski", "hhir_pevl", "hhir_ov_hhir", "hhir_mmaction",
               "hhir_mediapipe"}


def test_docs_slot_table_is_current():
    """docs/plugins.md carries the slot table of the built-in plugins (regenerate it with
    ``hhir components --slots --markdown`` when a slot or a component changes)."""
    from hhir_core.interfaces.slots import format_slot_table

    get_manager().load()
    rows = slot_table()
    for r in rows:
        r["fits"] = [c for c in r["fits"] if c["plugin"] in FIRST_PARTY]
    doc = (ROOT / "docs" / "plugins.md").read_text()
    table = doc.split("<!-- slot-table -->\n", 1)[1].split("\n<!-- /slot-table -->", 1)[0]
    assert table == format_slot_table(rows, markdown=True)


def test_cli_prints_the_slot_table(capsys):
    from hhir_core.cli import main

    assert main(["components", "--slots", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    tok = next(r for r in rows if r["model"] == "LLMARRecognizer" and r["slot"] == "model.tokenizer")
    assert tok["contract"] == "SkeletonTokenizer"
    # a branch encoder is not a tokenizer: it is not even in the tokenizer registry; a text
    # encoder registered as language_head does not fit a causal-LM slot, with the reason
    llm = next(r for r in rows if r["model"] == "LLMARRecognizer" and r["slot"] == "model.llm")
    assert llm["does_not_fit"]["TextEncoderHead"] == "not a CausalLM"
    assert main(["components", "--slots"]) == 0
    assert "LLMARRecognizer" in capsys.readouterr().out


def test_missing_capability_is_a_one_line_error_naming_component_and_slot():
    from hhir_core.errors import ConfigError
    from hhir_llm_ar.recognizer import LLMARRecognizer

    with pytest.raises(ConfigError) as err:
        LLMARRecognizer.tiny(train_stage="tokenizer", codebook_init="llm",
                             tokenizer=dict(type="ContinuousTokenizer", in_channels=150, hidden=16,
                                            depth=1))
    msg = str(err.value)
    assert "\n" not in msg and "model.tokenizer" in msg and "ContinuousTokenizer" in msg \
        and "init_codebook_from" in msg, msg


def test_wrong_contract_in_a_slot_is_a_config_error():
    from hhir_core.errors import ConfigError
    from hhir_llm_ar.recognizer import LLMARRecognizer

    with pytest.raises(ConfigError, match=r"model.llm: TextEncoderHead does not implement CausalLM"):
        LLMARRecognizer.tiny(llm=dict(type="TextEncoderHead",
                                      model=dict(tiny=True, arch="bert", hidden_size=32)))
