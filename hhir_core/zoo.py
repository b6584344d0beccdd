"""The model-zoo index: configs, the papers' numbers and the numbers we measured.

Every config carries ``metadata = dict(method=..., paper=..., dataset=..., protocol=...,
setting=..., reported=dict(top1=...), table=...)``:

* ``setting='paper'``: a paper-scale config (the method's main result or one of the paper's
  ablations, on the paper's dataset). Its ``reported`` numbers are the paper's, and ``table``
  says where in the paper they are (e.g. ``'Table 4'``). A paper row without a number says
  why in ``reported_note``.
* ``setting='mini'``: a CPU-sized config on the synthetic benchmark (``'mini'`` in the
  name, or an ablation of a mini config). It never quotes a paper number: the two are not
  comparable. It may name the paper config it shrinks in ``paper_config``.

Measured numbers of the mini configs live in ``docs/zoo_measured.json``: config path
relative to configs/, without ``.py`` -> ``dict(metrics=..., command=..., seeds=[...],
wall_min=...)`` (mean over the seeds, with ``spread`` = max - min when several), written by
``tools/make_zoo_doc.py --collect``. :func:`validate_zoo` checks all of this; the tests run
it over every config.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Optional

_METHODS = {"llm_ar": "LLM-AR", "ski": "SKI", "pevl": "PeVL", "ov_hhir": "OV-HHIR",
            "stgcn": "ST-GCN"}
SETTINGS = ("paper", "mini")
#: keys every measured entry must have (how to reproduce the number)
MEASURED_KEYS = ("metrics", "command", "seeds", "wall_min")


def _method_from_name(stem: str) -> str:
    for prefix, method in _METHODS.items():
        if stem.startswith(prefix):
            return method
    return stem.split("_")[0]


def measured_file(configs_dir: str) -> Path:
    return Path(configs_dir).resolve().parent / "docs" / "zoo_measured.json"


def collect_zoo(configs_dir: str = "configs") -> List[Dict[str, Any]]:
    """One entry per top-level config (ablations are listed under their method)."""
    from mmengine.config import Config

    from .config import install_config_resolver

    install_config_resolver()  # the configs inherit packaged ones (``plugin::x.py``)
    root = Path(configs_dir)
    measured_path = measured_file(configs_dir)
    measured = json.loads(measured_path.read_text()) if measured_path.is_file() else {}
    entries = []
    for path in sorted(root.glob("*.py")) + sorted(root.glob("ablations/*/*.py")):
        try:
            cfg = Config.fromfile(str(path))
            meta = dict(cfg.get("metadata") or {})
        except Exception as exc:  # a broken config is listed, not fatal
            meta = {"error": f"{type(exc).__name__}: {exc}"}
        stem = path.stem
        key = str(path.relative_to(root).with_suffix(""))  # e.g. ablations/pevl/no_ucmr
        reported, m = dict(meta.get("reported") or {}), measured.get(key, {})
        entries.append({
            "config": str(path.relative_to(root.parent)) if root.parent != Path(".") else str(path),
            "name": stem,
            "key": key,
            "method": meta.get("method", _method_from_name(stem)),
            "paper": meta.get("paper", ""),
            "dataset": meta.get("dataset", ""),
            "protocol": meta.get("protocol", ""),
            "setting": meta.get("setting", ""),
            "table": meta.get("table", ""),
            "reported": reported,
            "reported_text": _fmt_reported(reported, meta.get("table", ""), meta.get("reported_note", "")),
            "reported_note": meta.get("reported_note", ""),
            "paper_config": meta.get("paper_config", ""),
            "measured": m,
            "reproduce": _fmt_how(m),
            "measured_text": _fmt_measured(m),
            **({"error": meta["error"]} if "error" in meta else {}),
        })
    return entries


def validate_zoo(entries: List[Dict[str, Any]]) -> List[str]:
    """Problems with the zoo metadata, one line each (empty: the zoo is consistent)."""
    problems = []
    for e in entries:
        where = e["config"]
        if "error" in e:
            problems.append(f"{where}: does not load ({e['error']})")
            continue
        setting, reported = e["setting"], e["reported"]
        if setting not in SETTINGS:
            problems.append(f"{where}: metadata.setting={setting!r}, expected one of {SETTINGS}")
        looks_mini = "_mini" in e["name"] or "synthetic" in e["dataset"].lower()
        if looks_mini and setting != "mini":
            problems.append(f"{where}: a synthetic/mini config marked setting={setting!r}")
        if setting == "mini" and reported:
            problems.append(f"{where}: a mini config quotes paper numbers {reported} as its own")
        if setting == "paper":
            if not e["paper"] or not e["protocol"] or not e["dataset"]:
                problems.append(f"{where}: a paper row needs metadata.paper, dataset and protocol")
            if reported and not e["table"]:
                problems.append(f"{where}: paper numbers {reported} without metadata.table")
            if not reported and not e["reported_note"]:
                problems.append(f"{where}: a paper row without a number needs metadata.reported_note")
            if e["measured"]:
                problems.append(f"{where}: measured numbers on a paper-scale row (measure a mini config)")
        m = e["measured"]
        if m:
            missing = [k for k in MEASURED_KEYS if k not in m]
            if missing:
                problems.append(f"{where}: measured entry lacks {missing} (how it is reproduced)")
    return problems


def _fmt(metrics: Dict[str, Any]) -> str:
    if not metrics:
        return "—"
    def one(k: str, v: Any) -> str:
        if not isinstance(v, (int, float)):
            return f"{k} {v}"
        return f"{k} {v:.1f}" if abs(v) >= 1.5 else f"{k} {v:.3f}"

    return ", ".join(one(k, v) for k, v in metrics.items())


def _fmt_reported(reported: Dict[str, Any], table: str, note: str) -> str:
    """The paper column: the numbers with their table, or why there is none."""
    if reported:
        return _fmt(reported) + (f" ({table})" if table else "")
    return f"— ({note})" if note else "—"


def _fmt_measured(m: Dict[str, Any]) -> str:
    if not m:
        return "—"
    spread = m.get("spread") or {}
    parts = []
    for k, v in (m.get("metrics") or {}).items():
        text = _fmt({k: v})
        if k in spread:
            text += f" ± {spread[k] / 2:.1f}" if abs(v) >= 1.5 else f" ± {spread[k] / 2:.3f}"
        parts.append(text)
    return ", ".join(parts) or "—"


def _fmt_how(m: Dict[str, Any]) -> str:
    if not m:
        return "—"
    seeds = m.get("seeds") or []
    seed_text = f"seed {seeds[0]}" if len(seeds) == 1 else f"seeds {', '.join(map(str, seeds))}"
    return f"`{m.get('command', '?')}`; {seed_text}; {m.get('wall_min', '?')} min" + \
        (f"; {m['note']}" if m.get("note") else "")


#: The papers' orderings in miniature: whether each holds on the measured mini runs, and why
#: not where it fails (numbers from docs/zoo_measured.json and the method pages).
ORDERINGS = """## The papers' orderings, in miniature

| paper's ordering | mini runs (synthetic xsub val) | holds? | why / measurement |
|---|---|---|---|
| LLM-AR ≥ ST-GCN (same split) | LLM-AR mini top-1 76.5 (three seeds, 75.0-78.5) vs ST-GCN mini 81.0 (three seeds, 77.2-83.2) | no | the mini LLM-AR keeps 8 of SmolLM2's 30 blocks and trains stage 2 for 340 steps; its mean is 4.5 points below ST-GCN's, its best seed (78.5) above ST-GCN's worst (77.2) ([docs/llm_ar.md](llm_ar.md)) |
| SKI-VLM (with SCD) ≥ ViFi-CLIP (without) | 76.4 vs 79.7 unseen top-1 (three seeds each: 75.8 / 76.9 / 76.6 vs 82.9 / 75.5 / 80.7) | no, on average | paired by seed, distillation wins once (+1.4) and loses twice (−7.1, −4.1); the synthetic SkeletonCLIP teacher is weak (40.8 % zero-shot from skeletons), so distilling towards it does not add knowledge; it does narrow the seed spread (1.1 vs 7.4 points) ([docs/ski.md](ski.md)) |
| PeVL with UCMR ≥ without | 63.2 vs 61.6 top-1 (five seeds each: 59.8 / 64.6 / 69.0 / 63.7 / 58.9 vs 65.5 / 63.1 / 58.1 / 61.1 / 60.1) | on average only, within the noise | paired by seed the gain is +1.6 points on average but ranges from −5.7 to +10.9; with 271 validation clips and a random-init tiny CLIP the mini cannot separate the two ([docs/pevl.md](pevl.md)) |
| OV-HHIR branches ≥ text-only | cosine 0.330 (three seeds, 0.301 / 0.331 / 0.358) vs 0.098 (40 iterations); 0.491 vs 0.098 at 200 iterations (seed 0) | yes, on every seed | the classifier-based macro-F1 stays at chance: the describer writes one string for every clip, because the randomly initialised Q-Former's soft tokens barely depend on the clip (cosine 0.9999 between clips of different classes, also after 500 steps with LoRA, and on clearly separable input); after 2000 steps with LoRA the descriptions vary with the clip but mostly name the wrong class (seen-class macro-F1 0.147, top-1 11.4 %, chance 9.1 %); a contrastive Q-Former pre-training stage first (as BLIP-2) classifies at 17.4 % (three seeds, 15.9-20.5) from the pooled Q-Former output, but through the describer at most 13.6 % (seen-class macro-F1 0.125) ([docs/ov_hhir.md](ov_hhir.md)) |
"""


def render_markdown(entries: List[Dict[str, Any]], title: Optional[str] = "Model zoo") -> str:
    lines = [f"# {title}", "",
             "Generated by `python tools/make_zoo_doc.py` (also `hhir zoo`) from each config's "
             "`metadata` and `docs/zoo_measured.json`. *Paper* = the number the paper reports for "
             "a paper-scale config, with the table it comes from. *Measured* = what this project "
             "measured on a mini config (synthetic data, small models, 2 CPU cores): mean over the "
             "seeds, ± half the range when several; *how* = the command, seeds and wall time. The "
             "two kinds of number are never on the same row: they are not comparable.", ""]
    methods = sorted({e["method"] for e in entries})
    for method in methods:
        rows = [e for e in entries if e["method"] == method]
        lines += [f"## {method}", "", "| config | setting | dataset | protocol | paper (table) | "
                  "measured (this project) | how it was measured |", "|---|---|---|---|---|---|---|"]
        for e in rows:
            lines.append(f"| `{e['config']}` | {e['setting']} | {e['dataset'] or '—'} | "
                         f"{e['protocol'] or '—'} | {e['reported_text']} | {e['measured_text']} | "
                         f"{e['reproduce']} |")
        papers = sorted({e["paper"] for e in rows if e["paper"]})
        if papers:
            lines += ["", "Paper: " + "; ".join(papers)]
        lines.append("")
    lines += [ORDERINGS]
    return "\n".join(lines)


_PERCENT_KEYS = ("top", "mean_class_acc", "macro_f1", "acc")


def as_percent(name: str, value: float) -> float:
    """Accuracy-like metrics (also qualified ones such as ``seen_macro_f1``) are fractions in
    metrics.json and percent in papers."""
    accuracy_like = name.startswith(_PERCENT_KEYS) or name.endswith(("_macro_f1", "_acc"))
    return value * 100 if accuracy_like and 0 <= value <= 1 else value


def record_measured(configs_dir: str, stem: str, runs: List[Dict[str, float]], command: str,
                    seeds: List[int], wall_min: float, note: str = "") -> Path:
    """Store the measured metrics of config ``stem`` (one metrics dict per seed) with how to
    reproduce them in docs/zoo_measured.json: the mean, and the spread (max - min) over seeds."""
    path = measured_file(configs_dir)
    data = json.loads(path.read_text()) if path.is_file() else {}
    keys = sorted({k for r in runs for k in r if "/" not in k and isinstance(r[k], (int, float))})
    values = {k: [as_percent(k, float(r[k])) for r in runs if k in r] for k in keys}
    entry: Dict[str, Any] = dict(metrics={k: round(sum(v) / len(v), 3) for k, v in values.items()},
                                 command=command, seeds=list(seeds), wall_min=round(float(wall_min), 1))
    if len(runs) > 1:
        entry["spread"] = {k: round(max(v) - min(v), 3) for k, v in values.items()}
    if note:
        entry["note"] = note
    data[stem] = entry
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    return path
