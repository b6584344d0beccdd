"""``hhir ui [WORKDIR...]``: a local demo page for trained runs (Gradio, the ``hhir[ui]`` extra).

Three tabs: **video** (upload or pick a clip -> person/branch previews, pose overlay, top-5,
the generated description), **skeleton** (upload a raw NTU ``.skeleton`` file or pick a
validation sample -> the action sentence as code ids coloured by their training usage,
top-5) and **zoo** (the ``hhir zoo`` table, sortable, and each config's plots).

Offline: analytics are off (``GRADIO_ANALYTICS_ENABLED=False``), the theme uses system
fonts (no web-font requests), no share link, no server-side rendering process; the page
serves on loopback by default. Models load on first use and stay cached.
"""
from __future__ import annotations

import argparse
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

DEFAULT_WORK_DIR = "work_dirs/demo_llm_ar_ntu120_mini"
SYSTEM_FONTS = ["ui-sans-serif", "system-ui", "Segoe UI", "Helvetica", "Arial", "sans-serif"]
MONO_FONTS = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"]
USAGE_TIERS = {"rare": "#d73027", "common": "#fee08b", "frequent": "#1a9850"}


def add_ui_parser(sub: Any) -> None:
    p = sub.add_parser("ui", help="local demo page for trained runs (needs the hhir[ui] extra)")
    p.add_argument("work_dirs", nargs="*", help=f"work dirs of tools/train.py (default: {DEFAULT_WORK_DIR})")
    p.add_argument("--host", default="127.0.0.1", help="address to serve on (default: loopback only)")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--clip", action="append", default=[], help="a video offered as an example (repeatable)")
    p.add_argument("--configs-dir", default="configs", help="configs listed in the zoo tab")
    p.set_defaults(func=run_ui)


# ------------------------------------------------------------------ runs
@dataclass
class Run:
    """One work dir offered on the page; its model is built on first use."""
    work_dir: str
    name: str
    config: Optional[str] = None
    checkpoint: Optional[str] = None
    problem: Optional[str] = None         # why it cannot run (e.g. how to make a checkpoint)
    inputs: Tuple[str, ...] = ("skeleton", "video")
    cfg: Any = None
    model: Any = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def get_model(self, progress: Any = None) -> Any:
        from hhir_core.apis.inference import init_model

        with self.lock:
            if self.model is None:
                self.model = init_model(self.work_dir, progress=progress)
            return self.model


def describe_run(work_dir: str) -> Run:
    """Locate a work dir's config/checkpoint without building the model."""
    from hhir_core.apis.inference import locate
    from hhir_core.errors import HHIRError

    run = Run(work_dir=work_dir, name=Path(work_dir).name or work_dir)
    try:
        loc = locate(work_dir)
    except HHIRError as exc:
        run.problem = str(exc)
        return run
    run.config, run.checkpoint = loc.config, loc.checkpoint
    if not loc.checkpoint:
        run.problem = f"no trained checkpoint in {work_dir}; make one with `{loc.train_command}`"
    try:
        from hhir_core.config import load_config
        from hhir_core.registry import resolve

        run.cfg = load_config(loc.config)
        stages = run.cfg.get("stages") or []
        if stages:
            run.cfg.merge_from_dict(dict(stages[-1].get("cfg") or {}))
        kinds = getattr(resolve("model", str(run.cfg.model.get("type"))), "inference_inputs", None)
        if isinstance(kinds, (tuple, list)):
            run.inputs = tuple(kinds)
    except HHIRError as exc:
        run.problem = run.problem or str(exc)
    return run


def _dataset_root(cfg: Any) -> Optional[Path]:
    """Folder of the run's evaluation data (the synthetic set or the annotation file's folder)."""
    from hhir_core.apis.recognizer import _eval_dataset_cfg

    data = _eval_dataset_cfg(cfg) if cfg is not None else None
    if not data:
        return None
    if data.get("data_root"):
        return Path(data["data_root"])
    ann = data.get("ann_file")
    return Path(ann).parent if ann and Path(ann).is_file() else None


def validation_samples(run: Run, limit: int = 12) -> List[Dict[str, Any]]:
    """Up to ``limit`` samples of the run's validation split (3-D skeleton annotations)."""
    from hhir_core.apis.recognizer import _eval_dataset_cfg

    root = _dataset_root(run.cfg)
    data = _eval_dataset_cfg(run.cfg) if run.cfg is not None else None
    if root is None or not data:
        return []
    ann = Path(str(data.get("ann_file") or "ntu3d.pkl"))
    path = ann if ann.is_absolute() else root / ann.name
    if not path.is_file() or path.suffix != ".pkl":
        return []
    from hhir_core.data.ntu import load_annotation_file

    content = load_annotation_file(path)
    split = data.get("split", "xsub_val")
    keep = set(content.get("split", {}).get(split or "", [])) or None
    classes = data.get("classes")
    out = []
    for a in content["annotations"]:
        if keep is not None and a["frame_dir"] not in keep:
            continue
        if classes is not None and int(a["label"]) not in set(int(c) for c in classes):
            continue
        out.append(a)
        if len(out) >= limit:
            break
    return out


def example_clips(runs: Sequence[Run], extra: Sequence[str], limit: int = 4) -> List[str]:
    clips = [str(Path(c)) for c in extra if Path(c).is_file()]
    for run in runs:
        if "video" not in run.inputs:
            continue
        root = _dataset_root(run.cfg)
        if root is not None and (root / "videos").is_dir():
            clips += [str(p) for p in sorted((root / "videos").glob("*.mp4"))[:limit]]
            break
    return clips


#: longest metrics cell of the page's zoo table: a tall (wrapped) row pushes later rows
#: out of the table's rendered window, so long cells are cut and point to the doc
ZOO_CELL_CHARS = 110
ZOO_CELL_MORE = ", … (docs/model_zoo.md)"


def _short_metrics(text: str, limit: int = ZOO_CELL_CHARS) -> str:
    """``text`` (comma-separated metrics) cut after the last metric that fits in ``limit``."""
    if len(text) <= limit:
        return text
    parts, kept = text.split(", "), []
    while parts and len(", ".join(kept + parts[:1]) + ZOO_CELL_MORE) <= limit:
        kept.append(parts.pop(0))
    return ", ".join(kept) + ZOO_CELL_MORE


def zoo_rows(configs_dir: str) -> Tuple[List[str], List[List[Any]]]:
    from hhir_core.zoo import collect_zoo

    headers = ["config", "method", "setting", "dataset", "reported (paper)", "measured (this project)"]
    # the cells of docs/model_zoo.md (mean ± half range), cut to fit; the seeds, command and
    # notes stay in the doc
    rows = [[e["config"], e["method"], e["setting"], e["dataset"] or "—", _short_metrics(e["reported_text"]),
             _short_metrics(e["measured_text"])] for e in collect_zoo(configs_dir)]
    return headers, rows


def config_plots(config: str, runs: Sequence[Run], configs_dir: str) -> List[Tuple[str, str]]:
    """PNG plots measured for ``config``: in its work dirs and in docs/images."""
    stem = Path(config).stem
    found: List[Path] = []
    for run in runs:
        if run.config and Path(run.config).stem == stem:
            found += sorted(Path(run.work_dir).rglob("*.png"))
    default = Path("work_dirs") / stem
    if default.is_dir():
        found += sorted(default.rglob("*.png"))
    docs = Path(configs_dir).resolve().parent / "docs" / "images"
    method = stem.split("_ntu")[0].split("_synthetic")[0].split("_vificlip")[0]
    found += sorted(docs.glob(f"{method}*.png"))
    seen, out = set(), []
    for p in found:
        if p.resolve() not in seen:
            seen.add(p.resolve())
            out.append((str(p), f"{p.parent.name}/{p.name}"))
    return out


# ------------------------------------------------------------------ handlers
def _usage_tiers(code_ids: Sequence[int], usage: Optional[Sequence[float]]) -> List[Tuple[str, Optional[str]]]:
    if usage is None:
        return [(str(i), None) for i in code_ids]
    nonzero = sorted(u for u in usage if u > 0) or [0.0]
    lo, hi = nonzero[len(nonzero) // 3], nonzero[(2 * len(nonzero)) // 3]
    out = []
    for code, u in zip(code_ids, usage):
        tier = "frequent" if u >= hi and u > 0 else "common" if u >= lo and u > 0 else "rare"
        out.append((str(code), tier))
    return out


def _frame_samples(frames: Any, count: int = 4) -> List[Any]:
    import numpy as np

    idx = np.linspace(0, len(frames) - 1, count).round().astype(int)
    return [frames[i] for i in idx]


def build_app(runs: Sequence[Run], clips: Sequence[str] = (), configs_dir: str = "configs"):
    """The Gradio Blocks of the page (not launched)."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import gradio as gr

    from hhir_core.apis.inference import inference
    from hhir_core.apis.visualize import action_sentence_image, branch_preview, overlay_frames
    from hhir_core.errors import HHIRError

    by_name = {r.name: r for r in runs}
    video_runs = [r.name for r in runs if "video" in r.inputs] or [r.name for r in runs]
    skel_runs = [r.name for r in runs if "skeleton" in r.inputs] or [r.name for r in runs]

    def progress_fn(progress: Any):
        """Each inference step's message shown on the page while it runs. The number of
        steps is not known in advance, so the bar moves half-way to the end per step."""
        count = [0]

        def say(message: str) -> None:
            count[0] += 1
            progress(1.0 - 0.5 ** count[0], desc=message)
        return say

    def problem_of(name: Optional[str]) -> Optional[str]:
        if not name or name not in by_name:
            return f"no run selected; train one with `make demo` and start `hhir ui {DEFAULT_WORK_DIR}`"
        return by_name[name].problem

    def run_video(name: str, video: Optional[str], progress=gr.Progress()):
        empty = ("", None, "", None, [], None)
        problem = problem_of(name)
        if problem:
            return (f"**Cannot run:** {problem}",) + empty[1:]
        if not video:
            return ("Upload a video or pick an example first.",) + empty[1:]
        try:
            model = by_name[name].get_model(progress_fn(progress))
            result = inference(model, video, progress=progress_fn(progress))
        except HHIRError as exc:
            return (f"**Error:** {exc}",) + empty[1:]
        progress_fn(progress)("drawing the results")
        frames = overlay_frames(result)
        top = {n: float(s) for n, s in result.topk}
        status = (f"`{Path(result.input).name}`: **{result.pred_label}** ({result.topk[0][1]:.2f}) "
                  f"in {result.seconds:.1f} s")
        preview = branch_preview(result) if result.tracks is not None else None
        out_dir = Path(_session_dir()) / f"video_{abs(hash((video, name))) % 10**8}"
        from hhir_core.apis.visualize import save_visualisation

        files = save_visualisation(result, str(out_dir))
        return (status, top, result.text or "", preview, _frame_samples(frames), files.get("video"))

    def run_skeleton(name: str, upload: Optional[str], sample: Optional[str], progress=gr.Progress()):
        empty = ("", None, None, [], None)
        problem = problem_of(name)
        if problem:
            return (f"**Cannot run:** {problem}",) + empty[1:]
        run = by_name[name]
        item: Any = upload
        if not item and sample:
            picked = [a for a in validation_samples(run, 200) if a["frame_dir"] == sample.split(" ")[0]]
            item = picked[0] if picked else None
        if item is None:
            return ("Upload a .skeleton file or pick a validation sample first.",) + empty[1:]
        try:
            model = run.get_model(progress_fn(progress))
            result = inference(model, item, progress=progress_fn(progress))
        except HHIRError as exc:
            return (f"**Error:** {exc}",) + empty[1:]
        top = {n: float(s) for n, s in result.topk}
        status = (f"`{Path(result.input).name}`: **{result.pred_label}** ({result.topk[0][1]:.2f}) "
                  f"in {result.seconds:.1f} s")
        if result.label:
            status += f"; ground truth: {result.label}"
        sentence, tiers = None, []
        if result.code_ids is not None:
            usage = result.extras.get("code_usage")
            sentence = action_sentence_image(result.code_ids, usage)
            tiers = _usage_tiers(result.code_ids, usage)
        skeleton = overlay_frames(result)
        return (status, top, sentence, tiers, _frame_samples(skeleton, 1)[0])

    theme = gr.themes.Default(font=SYSTEM_FONTS, font_mono=MONO_FONTS)
    with gr.Blocks(title="hhir demo", analytics_enabled=False) as app:
        app.hhir_theme = theme
        gr.Markdown("# hhir — try a trained model\nRuns locally on CPU. "
                    + ("Runs: " + ", ".join(f"`{r.work_dir}`" for r in runs) if runs else
                       f"No run given: train one with `make demo`, then `hhir ui {DEFAULT_WORK_DIR}`."))
        for r in runs:
            if r.problem:
                gr.Markdown(f"**{r.name}:** {r.problem}")
        with gr.Tabs():
            with gr.Tab("Video", elem_id="tab-video"):
                with gr.Row():
                    with gr.Column(scale=1):
                        v_run = gr.Dropdown(video_runs, value=video_runs[0] if video_runs else None,
                                            label="run", elem_id="video-run")
                        v_in = gr.Video(label="video", sources=["upload"], elem_id="video-input")
                        if clips:
                            gr.Examples(examples=[[c] for c in clips], inputs=[v_in], label="example clips")
                        v_go = gr.Button("Recognise", variant="primary", elem_id="video-run-button")
                    with gr.Column(scale=2):
                        v_status = gr.Markdown(elem_id="video-status")
                        v_top = gr.Label(num_top_classes=5, label="top-5", elem_id="video-top5")
                        v_text = gr.Textbox(label="description (methods that generate text)",
                                            elem_id="video-text", interactive=False)
                        v_prev = gr.Image(label="branches: masks | person 1 | person 2 | background",
                                          elem_id="video-branches", interactive=False)
                        v_frames = gr.Gallery(label="pose / mask overlay", columns=4, object_fit="contain", height=240,
                                              elem_id="video-overlay")
                        v_file = gr.File(label="visualisation video", elem_id="video-file")
                v_go.click(run_video, [v_run, v_in], [v_status, v_top, v_text, v_prev, v_frames, v_file])
            with gr.Tab("Skeleton", elem_id="tab-skeleton"):
                with gr.Row():
                    with gr.Column(scale=1):
                        s_run = gr.Dropdown(skel_runs, value=skel_runs[0] if skel_runs else None,
                                            label="run", elem_id="skeleton-run")
                        s_file = gr.File(label=".skeleton file", file_types=[".skeleton"], type="filepath",
                                         elem_id="skeleton-input")
                        samples = validation_samples(by_name[skel_runs[0]]) if skel_runs and by_name[skel_runs[0]].cfg is not None else []
                        from hhir_core.data.ntu_classes import ntu120_classes

                        names = ntu120_classes()
                        s_pick = gr.Dropdown([f"{a['frame_dir']} ({names[int(a['label'])]})" for a in samples],
                                             label="or a validation sample", elem_id="skeleton-sample")
                        s_go = gr.Button("Recognise", variant="primary", elem_id="skeleton-run-button")
                    with gr.Column(scale=2):
                        s_status = gr.Markdown(elem_id="skeleton-status")
                        s_top = gr.Label(num_top_classes=5, label="top-5", elem_id="skeleton-top5")
                        s_codes = gr.HighlightedText(label="action sentence (code ids by training usage)",
                                                     color_map=USAGE_TIERS, elem_id="skeleton-codes")
                        s_img = gr.Image(label="action sentence", elem_id="skeleton-sentence", interactive=False)
                        s_skel = gr.Image(label="skeleton", elem_id="skeleton-view", interactive=False)
                s_go.click(run_skeleton, [s_run, s_file, s_pick], [s_status, s_top, s_img, s_codes, s_skel])
            with gr.Tab("Zoo", elem_id="tab-zoo"):
                headers, rows = zoo_rows(configs_dir)
                gr.Dataframe(value=rows, headers=headers, interactive=False, wrap=True,
                             show_search="filter", column_widths=["24%", "8%", "7%", "17%", "22%", "22%"],
                             elem_id="zoo-table")
                stems = {Path(r.config).stem for r in runs if r.config}
                first = next((row[0] for row in rows if Path(row[0]).stem in stems), None)
                z_pick = gr.Dropdown([row[0] for row in rows], value=first, label="plots of config",
                                     elem_id="zoo-config")
                z_plots = gr.Gallery(value=config_plots(first, runs, configs_dir) if first else None,
                                     label="measured plots", columns=3, object_fit="contain", height=420,
                                     elem_id="zoo-plots")
                z_pick.change(lambda c: config_plots(c, runs, configs_dir) if c else [], [z_pick], [z_plots])
    return app


_SESSION_DIR: Optional[str] = None


def _session_dir() -> str:
    global _SESSION_DIR
    if _SESSION_DIR is None:
        import tempfile

        _SESSION_DIR = tempfile.mkdtemp(prefix="hhir_ui_")
    return _SESSION_DIR


def run_ui(args: argparse.Namespace) -> int:
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    try:
        import gradio  # noqa: F401
    except ImportError:
        from hhir_core.errors import HHIRError

        raise HHIRError("hhir ui needs Gradio: pip install 'hhir[ui]'") from None
    work_dirs = list(args.work_dirs) or [DEFAULT_WORK_DIR]
    runs = [describe_run(w) for w in work_dirs]
    app = build_app(runs, example_clips(runs, args.clip), args.configs_dir)
    print(f"[hhir] demo page on http://{args.host}:{args.port}  (Ctrl-C stops it)", flush=True)
    app.queue().launch(server_name=args.host, server_port=args.port, share=False, ssr_mode=False,
                       mcp_server=False, theme=app.hhir_theme, footer_links=[], quiet=True,
                       allowed_paths=[_session_dir()])
    return 0


__all__ = ["build_app", "describe_run", "run_ui", "Run", "validation_samples", "zoo_rows"]
