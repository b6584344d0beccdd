"""Preflight: everything a config needs that this machine lacks, listed at once.

Why: a paper config used to fail on the missing LLM weights first and on the
missing data only after the user had fetched the weights. ``hhir check CONFIG``
(also run by ``tools/train.py`` and ``tools/test.py`` before anything is built)
walks the resolved config once and reports every missing model, data file,
optional extra and gated-access need, each with the command that fixes it.

Nothing here downloads or imports a model: hub ids are looked up in the local
Hugging Face cache only.
"""
from __future__ import annotations

import importlib.util
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, List, Optional, Sequence, Tuple

#: keys whose string value names a model (hub id, local folder or file)
MODEL_KEYS = {"model", "llm", "llm_name", "pretrained", "clip_model", "clip_id", "model_name",
              "name_or_path", "scene_encoder", "person_encoder", "text_model", "vision_model"}
#: keys whose string value names a data file or folder
DATA_KEYS = {"ann_file", "data_root", "video_dir", "class_names", "frame_dir", "split_file"}
#: names the offline loaders resolve without a path (hhir_core.llm.loading, text_encoder)
OFFLINE_ALIASES = {"smollm2", "smollm2-135m", "smollm2-135m-instruct", "minilm",
                   "all-minilm-l6-v2", "tiny"}
#: hub organisations whose models need an accepted licence and a login
GATED_ORGS = ("meta-llama/", "mistralai/", "google/gemma")
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


@dataclass
class Problem:
    """One thing the config needs that is missing, and how to get it."""
    kind: str   # weights | data | extra | access
    key: str    # dotted config key
    what: str
    fix: str

    def render(self) -> str:
        return f"  [{self.kind}] {self.key}: {self.what}\n      fix: {self.fix}"


def hub_client() -> str:
    """The Hugging Face command installed here (``hf`` since huggingface_hub 1.0)."""
    if shutil.which("hf"):
        return "hf"
    if shutil.which("huggingface-cli"):
        return "huggingface-cli"
    return "hf"


def hub_download_command(repo_id: str) -> str:
    """Exact command that puts ``repo_id`` into the local cache."""
    cmd = f"{hub_client()} download {repo_id}"
    if repo_id.startswith(GATED_ORGS):
        login = "hf auth login" if hub_client() == "hf" else "huggingface-cli login"
        cmd = (f"accept the licence at https://huggingface.co/{repo_id}, then `{login}` and "
               f"`{cmd}`")
        return cmd
    return f"`{cmd}`"


def _walk(node: Any, prefix: str = "") -> Iterator[Tuple[str, str, Any, Any]]:
    """Yield ``(dotted_key, key, value, parent)`` for every leaf and dict in the tree."""
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for key, value in items:
        dotted = f"{prefix}.{key}" if prefix else str(key)
        yield dotted, str(key), value, node
        if isinstance(value, (dict, list, tuple)):
            yield from _walk(value, dotted)


def _in_hub_cache(repo_id: str) -> bool:
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:  # pragma: no cover - transformers depends on it
        return False
    for name in ("config.json", "model_index.json", "preprocessor_config.json"):
        found = try_to_load_from_cache(repo_id, name)
        if isinstance(found, str) and os.path.isfile(found):
            return True
    return False


def _model_problem(dotted: str, value: str) -> Optional[Problem]:
    text = value.strip()
    if not text or text.lower() in OFFLINE_ALIASES:
        return None
    if os.path.exists(os.path.expanduser(text)):
        return None
    if text.endswith(".gguf") or text.startswith((".", "/", "~")):
        return Problem("weights", dotted, f"model file {text} does not exist",
                       "point the key at an existing file or folder (--cfg-options "
                       f"{dotted}=PATH)")
    if not _HUB_ID.match(text) or _in_hub_cache(text):
        return None
    kind = "access" if text.startswith(GATED_ORGS) else "weights"
    return Problem(kind, dotted, f"model {text!r} is not in the local Hugging Face cache "
                   "(nothing downloads at run time)", hub_download_command(text))


def _data_hint(path: str, parent: dict) -> str:
    hint = parent.get("missing_hint") if isinstance(parent, dict) else None
    if hint:
        return str(hint)
    if path.endswith(".pkl") and "ntu" in path.lower():
        return (f"convert the raw NTU files: `python tools/data/ntu_skeleton_to_pkl.py RAW_DIR "
                f"--out {path}` (see docs/data.md)")
    return "see docs/data.md (\"Use your own data\") for the files this config reads"


def _generated_roots(cfg: Any) -> List[str]:
    """Folders the config's ``prepare_data`` steps make before any dataset is read."""
    return [os.path.normpath(str(step["out_dir"])) for step in cfg.get("prepare_data") or []
            if isinstance(step, dict) and step.get("out_dir")]


def _data_problems(dotted: str, key: str, value: str, parent: Any,
                   generated: Sequence[str] = ()) -> Optional[Problem]:
    if not isinstance(parent, dict):
        return None
    if key == "class_names" and not value.endswith((".txt", ".json")):
        return None
    if "/" not in value and not value.endswith((".pkl", ".json", ".txt", ".npz")):
        return None
    ann = parent.get("ann_file")
    if key == "data_root" and isinstance(ann, str) and os.path.isabs(ann):
        return None  # an absolute ann_file does not read below data_root (its own check follows)
    candidates = [value]
    root = parent.get("data_root")
    if key != "data_root" and isinstance(root, str) and not os.path.isabs(value):
        candidates.append(os.path.join(root, value))
    if any(os.path.exists(c) for c in candidates):
        return None
    for made in generated:  # made by a prepare_data step before the datasets are built
        if any(os.path.normpath(c) == made or os.path.normpath(c).startswith(made + os.sep)
               for c in candidates):
            return None
    what = "folder" if key.endswith(("root", "dir")) else "file"
    shown = os.path.normpath(value)  # '<checkout>/data/ntu120', not 'configs/_base_/../../..'
    return Problem("data", dotted, f"{what} {shown} does not exist", _data_hint(shown, parent))


def _extra_problems(cfg: Any) -> List[Problem]:
    from .registry import REGISTRIES

    problems: List[Problem] = []
    seen = set()
    for dotted, key, value, _ in _walk(cfg):
        if key != "type" or not isinstance(value, str) or value in seen:
            continue
        seen.add(value)
        cls = None
        for registry in REGISTRIES.values():
            try:
                cls = registry.get_or_none(value)
            except Exception:  # a plugin module that fails to import is reported elsewhere
                cls = None
            if cls is not None:
                break
        for module in getattr(cls, "optional_requires", ()) or ():
            if importlib.util.find_spec(module) is None:
                problems.append(Problem(
                    "extra", dotted, f"{value} needs the optional package {module!r}",
                    f"`pip install {module}` in this environment"))
    return problems


def _mini_config_for(cfg: Any) -> Optional[str]:
    """The offline mini config of the same method (same recognizer type), if any."""
    from mmengine.config import Config

    own = cfg.get("_config_path") or ""
    model_type = (cfg.get("model") or {}).get("type")
    if not model_type or own.endswith("_mini.py"):
        return None
    for path in sorted(Path("configs").glob("*_mini.py")):
        try:
            other = Config.fromfile(str(path))
        except Exception:
            continue
        if (other.get("model") or {}).get("type") == model_type:
            return str(path)
    return None


def check_config(cfg: Any, extras: bool = True) -> List[Problem]:
    """Every missing model, data file, optional extra or gated-access need of ``cfg``."""
    problems: List[Problem] = []
    reported = set()
    # only what the runner and the tools read: the rest of a config is its own variables
    # (``llm_name = ...``, ``_data = dict(...)``), already substituted where they are used
    from .config import RUN_KEYS

    tree = {k: v for k, v in cfg.items() if k in RUN_KEYS
            and k not in ("metadata", "ablation_base", "prepare_data", "data_root")}
    generated = _generated_roots(cfg)
    for dotted, key, value, parent in _walk(tree):
        if not isinstance(value, str):
            continue
        problem = None
        if key in MODEL_KEYS:
            problem = _model_problem(dotted, value)
        elif key in DATA_KEYS:
            problem = _data_problems(dotted, key, value, parent, generated)
        if problem is not None and problem.what not in reported:
            reported.add(problem.what)
            problems.append(problem)
    if extras:
        problems.extend(_extra_problems(tree))
    return problems


def render_report(config: str, problems: List[Problem], cfg: Any = None) -> str:
    """The text ``hhir check`` prints: every problem, then the offline alternative."""
    if not problems:
        return f"{config}: ok (models, data and extras present)"
    lines = [f"{config}: {len(problems)} thing(s) missing on this machine"]
    lines += [p.render() for p in problems]
    mini = _mini_config_for(cfg) if cfg is not None else None
    if mini:
        lines.append(f"  or try this method offline first: python tools/train.py {mini}")
    return "\n".join(lines)


def require_ready(config: str, cfg: Any) -> None:
    """Raise :class:`PreflightError` listing everything ``cfg`` lacks (tools/train.py, test.py)."""
    from .errors import PreflightError

    problems = check_config(cfg)
    if problems:
        raise PreflightError(render_report(config, problems, cfg)
                             + "\n  (skip this check with --skip-check)")
