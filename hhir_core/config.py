"""Load, merge and validate configs before anything is built.

* ``plugin::path/to/config.py`` addresses a config packaged by a plugin
  (its ``hhir_config_dir`` hook) or by the core (``hhir_core::_base_/...``), as a
  path and inside ``_base_`` (:func:`install_config_resolver`).
* ``requires = ['hhir-llm-ar>=0.1', ...]`` is checked against installed plugins.
* :func:`validate` walks every ``type=`` in the config and checks, with the
  component's constructor signature, that the type is registered, required
  keys are present, unknown keys are not passed and simple annotated types
  match. Every problem is a :class:`ConfigError` naming the key path.
"""
from __future__ import annotations

import difflib
import hashlib
import inspect
import json
import os
import typing
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from .errors import ConfigError, RegistryMiss, RequirementError

#: top-level keys -> registry role holding their ``type``
_KEY_ROLES = {
    "model": "model", "dataset": "dataset", "pipeline": "transform", "transforms": "transform",
    "train_pipeline": "transform", "val_pipeline": "transform", "test_pipeline": "transform",
    "val_evaluator": "metric", "test_evaluator": "metric", "metrics": "metric",
    "custom_hooks": "hook", "default_hooks": "hook", "train_cfg": "loop", "val_cfg": "loop",
    "test_cfg": "loop", "tokenizer": "tokenizer", "language_head": "language_head",
    "llm": "language_head", "text_encoder": "language_head", "distiller": "distiller",
    "segmenter": "segmenter", "pose_source": "pose_source", "encoder": "branch_encoder",
    "backbone": "branch_encoder", "skeleton_encoder": "branch_encoder",
    "prepare_data": "data_preparation",
}
#: sub-trees built by mmengine itself with its own registries (not validated)
_MMENGINE_OWNED = ("optim_wrapper", "param_scheduler", "visualizer", "log_processor",
                   "env_cfg", "vis_backends", "collate_fn", "sampler", "data_preprocessor")


def resolve_config_path(path: str) -> str:
    """Turn ``plugin::rel/path.py`` into a file path; check the file exists."""
    if "::" in path:
        plugin, rel = path.split("::", 1)
        try:
            base = config_dir_of(plugin)
        except Exception as exc:
            raise ConfigError(f"cannot resolve config {path!r}: {exc}") from None
        path = str(Path(base) / rel)
    if not os.path.isfile(path):
        hint = ""
        parent = Path(path).parent
        if parent.is_dir():
            close = difflib.get_close_matches(Path(path).name, os.listdir(parent), n=3)
            hint = f" (close: {', '.join(close)})" if close else ""
        raise ConfigError(f"config file not found: {path}{hint}")
    return path


#: packaged configs of the core itself (shared runtime and dataset bases)
CORE_CONFIG_DIR = Path(__file__).resolve().parent / "configs"


def config_dir_of(owner: str) -> str:
    """Config folder served by ``owner`` (``hhir_core`` or a plugin's ``hhir_config_dir``)."""
    if owner == "hhir_core":
        return str(CORE_CONFIG_DIR)
    from .plugins.manager import get_manager

    return get_manager().config_dir(owner)


def install_config_resolver() -> None:
    """Let mmengine's ``_base_ = ['owner::rel/path.py']`` resolve through hhir.

    mmengine itself only knows OpenMMLab packages there (and would tag every base dict
    with the owner as registry scope); for ``hhir_core`` and installed hhir plugins
    the path resolves to the folder of the owner's ``hhir_config_dir`` hook instead.
    Installed when :mod:`hhir_core.config` or :mod:`hhir_core.registry` is imported.
    """
    from mmengine.config import Config
    from mmengine.config.utils import MODULE2PACKAGE

    current = Config.__dict__["_get_cfg_path"].__func__
    if getattr(current, "_hhir_resolver", False):
        return

    def _get_cfg_path(cfg_path: str, filename: str):
        if "::" in cfg_path and cfg_path.partition("::")[0] not in MODULE2PACKAGE:
            return resolve_config_path(cfg_path), None
        return current(cfg_path, filename)

    _get_cfg_path._hhir_resolver = True  # type: ignore[attr-defined]
    Config._get_cfg_path = staticmethod(_get_cfg_path)


def load_config(path: str, cfg_options: Optional[Dict[str, Any]] = None):
    """Load a config file (``plugin::`` aware) and apply ``--cfg-options``."""
    from mmengine.config import Config

    install_config_resolver()
    real = resolve_config_path(path)
    try:
        cfg = Config.fromfile(real)
    except ConfigError:
        raise
    except Exception as exc:  # syntax errors, bad _base_ paths, ...
        raise ConfigError(f"cannot load config {real}: {type(exc).__name__}: {exc}") from None
    if cfg_options:
        try:
            cfg.merge_from_dict(cfg_options)
        except Exception as exc:
            raise ConfigError(f"bad --cfg-options {cfg_options}: {exc}") from None
    cfg["_config_path"] = real
    return cfg


def config_delta(child: Any, parent: Any) -> Dict[str, Any]:
    """What ``child`` changes relative to ``parent``, as a dict for ``merge_from_dict``.

    Nested dicts are compared key by key; a dict that drops keys of its parent's comes
    whole with ``_delete_=True``; any other changed value (lists included) comes whole.
    Top-level keys starting with ``_`` are private to a file and left out.
    """
    def diff(a: Dict[str, Any], b: Dict[str, Any]) -> Dict[str, Any]:
        out: Dict[str, Any] = {}
        for key, value in a.items():
            if key not in b:
                out[key] = value
            elif isinstance(value, dict) and isinstance(b[key], dict):
                if set(b[key]) - set(value):
                    out[key] = dict(value, _delete_=True)
                else:
                    sub = diff(value, b[key])
                    if sub:
                        out[key] = sub
            elif value != b[key]:
                out[key] = value
        return out

    def as_dict(cfg: Any) -> Dict[str, Any]:
        cfg = cfg.to_dict() if hasattr(cfg, "to_dict") else dict(cfg)
        return {k: v for k, v in cfg.items() if not str(k).startswith("_")}

    return diff(as_dict(child), as_dict(parent))


def config_hash(cfg: Any) -> str:
    """Stable short hash of a resolved config (for provenance)."""
    text = json.dumps(_plain(cfg), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _plain(obj: Any) -> Any:
    if hasattr(obj, "to_dict"):
        obj = obj.to_dict()
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items() if not str(k).startswith("_")}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    return obj


# -- requires ---------------------------------------------------------------
def check_requires(requires: Optional[Sequence[str]]) -> None:
    """Check ``requires`` entries against installed plugins (or distributions)."""
    if not requires:
        return
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.version import Version

    from .plugins.manager import get_manager

    manager = get_manager()
    manager.load()
    for text in requires:
        try:
            req = Requirement(text)
        except InvalidRequirement as exc:
            raise ConfigError(f"requires: invalid requirement {text!r}: {exc}") from None
        key = req.name.lower().replace("-", "_")
        info = manager.plugins.get(key)
        if info is not None:
            if info.status != "ok":
                raise RequirementError(f"requires {text!r}: plugin {key!r} is {info.status}"
                                       f" ({info.error})")
            version = info.version or "0"
        else:
            try:
                from importlib.metadata import version as dist_version

                version = dist_version(req.name)
            except Exception:
                raise RequirementError(
                    f"requires {text!r}: no plugin or package {req.name!r} is installed; "
                    f"installed plugins: {', '.join(sorted(manager.plugins)) or '(none)'}") from None
        if req.specifier and not req.specifier.contains(Version(version), prereleases=True):
            raise RequirementError(f"requires {text!r}: installed {req.name} is {version}")


# -- validation ---------------------------------------------------------------
def iter_typed(node: Any, path: str = "") -> Iterable[Tuple[str, Dict[str, Any]]]:
    """Yield ``(key_path, dict)`` for every dict with a ``type`` key."""
    if hasattr(node, "items"):
        if isinstance(node.get("type", None), str):
            yield path, node
        for k, v in node.items():
            if str(k).startswith("_"):
                continue
            yield from iter_typed(v, f"{path}.{k}" if path else str(k))
    elif isinstance(node, (list, tuple)):
        for i, v in enumerate(node):
            yield from iter_typed(v, f"{path}[{i}]")


def _role_for(path: str) -> Optional[str]:
    parts = [p.split("[")[0] for p in path.split(".")]
    for part in reversed(parts):
        if part in _KEY_ROLES:
            return _KEY_ROLES[part]
    return None


def _lookup(name: str, role: Optional[str]):
    """Find ``name`` in the role's registry, then anywhere (mmengine roots too)."""
    from .registry import REGISTRIES

    order = [REGISTRIES[role]] if role in REGISTRIES else []
    order += [r for r in REGISTRIES.values() if r not in order]
    for reg in order:
        obj = reg.get_or_none(name)
        if obj is not None:
            return obj
    import mmengine.registry as mme

    for value in vars(mme).values():  # mmengine's own roots (samplers, optimizers, ...)
        if isinstance(value, mme.Registry):
            try:
                obj = value.get(name)
            except Exception:
                obj = None
            if obj is not None:
                return obj
    return None


def validate(cfg: Any, check_signatures: bool = True) -> None:
    """Raise :class:`ConfigError` naming the key of the first problem found."""
    from .plugins.manager import get_manager
    from .registry import REGISTRIES, miss_message

    get_manager().load()
    check_requires(cfg.get("requires"))
    import mmengine.evaluator  # noqa: F401  (registers mmengine's own components)
    import mmengine.runner  # noqa: F401
    for path, node in iter_typed(cfg):
        if any(part.split("[")[0] in _MMENGINE_OWNED for part in path.split(".")):
            continue
        name = node["type"]
        role = _role_for(path)
        try:
            obj = _lookup(name, role)
        except RegistryMiss:
            raise
        except Exception as exc:  # a plugin's lazy import failed
            raise ConfigError(f"{path}.type={name!r}: {exc}") from None
        if obj is None:
            reg = REGISTRIES.get(role or "", None)
            detail = miss_message(reg, name) if reg is not None else \
                f"{name!r} is not registered in any hhir registry"
            raise ConfigError(f"{path}.type: unknown component {name!r}.\n{detail}")
        if check_signatures and inspect.isclass(obj) and not obj.__module__.startswith(
                ("mmengine.", "torch.")):
            _check_signature(path, node, obj)


def _check_signature(path: str, node: Dict[str, Any], cls: type) -> None:
    try:
        sig = inspect.signature(cls.__init__)
    except (TypeError, ValueError):
        return
    params = list(sig.parameters.values())[1:]
    accepts_kwargs = any(p.kind is p.VAR_KEYWORD for p in params)
    named = {p.name: p for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
    injected = set(getattr(cls, "injected_args", ()))  # filled in by the parent component
    for p in named.values():
        if p.default is p.empty and p.name not in node and p.name not in injected:
            raise ConfigError(f"{path}: missing required key {p.name!r} for "
                              f"{node['type']} ({cls.__module__}.{cls.__qualname__})")
    if not accepts_kwargs:
        for key in node:
            if key != "type" and not str(key).startswith("_") and key not in named:
                close = difflib.get_close_matches(key, named, n=2)
                raise ConfigError(f"{path}.{key}: {node['type']} has no parameter {key!r}"
                                  + (f" (did you mean {', '.join(close)}?)" if close else "")
                                  + f"; parameters: {', '.join(named)}")
    try:
        hints = typing.get_type_hints(cls.__init__)
    except Exception:
        return
    for key, value in node.items():
        if key in hints and not _matches(value, hints[key]):
            raise ConfigError(f"{path}.{key}: expected {_fmt(hints[key])}, got "
                              f"{type(value).__name__} {value!r}")


_SIMPLE = {int: (int,), float: (int, float), str: (str,), bool: (bool,), list: (list, tuple),
           tuple: (list, tuple), dict: (dict,)}


def _matches(value: Any, hint: Any) -> bool:
    """Conservative check: only simple annotations are enforced."""
    origin = typing.get_origin(hint)
    if origin is typing.Union:
        return any(_matches(value, a) for a in typing.get_args(hint))
    if hint is type(None):
        return value is None
    base = origin or hint
    if base in _SIMPLE:
        if base is int and isinstance(value, bool):
            return False
        if base is dict:
            return hasattr(value, "items")
        return isinstance(value, _SIMPLE[base])
    return True  # anything richer is left to the component


def _fmt(hint: Any) -> str:
    return getattr(hint, "__name__", None) or str(hint).replace("typing.", "")


def require_keys(cfg: Any, keys: List[str], context: str) -> None:
    """Check top-level keys needed by ``context`` (e.g. training)."""
    for key in keys:
        if cfg.get(key) is None:
            raise ConfigError(f"config {cfg.get('_config_path', '')}: missing required key "
                              f"{key!r} for {context}")


def retarget_data_root(cfg: Any, new_root: str) -> List[str]:
    """Point every path under the config's ``data_root`` at ``new_root`` (``--data DIR``).

    Why: a config family reads one folder through several keys (three dataloaders, their
    annotation files, a preparation step); the user names the folder once. Strings equal to
    ``data_root`` or under it are rewritten; ``prepare_data`` steps that would write into the
    old folder are dropped, since the user brings the data. Returns the rewritten keys.
    """
    old = cfg.get("data_root")
    if not isinstance(old, str) or not old:
        raise ConfigError(f"--data: config {cfg.get('_config_path', '')} has no top-level "
                          "'data_root'; set its dataset paths with --cfg-options instead")
    old_norm, new_root = os.path.normpath(old), os.path.normpath(os.path.expanduser(new_root))
    changed: List[str] = []

    def rewrite(node: Any, path: str) -> Any:
        if isinstance(node, str):
            norm = os.path.normpath(node) if ("/" in node or node == old) else node
            if norm == old_norm or norm.startswith(old_norm + os.sep):
                changed.append(path)
                return new_root + norm[len(old_norm):]
            return node
        if isinstance(node, dict):
            for key in list(node):
                node[key] = rewrite(node[key], f"{path}.{key}" if path else str(key))
            return node
        if isinstance(node, list):
            return [rewrite(v, f"{path}.{i}") for i, v in enumerate(node)]
        return node

    steps = [s for s in (cfg.get("prepare_data") or [])
             if os.path.normpath(str(s.get("out_dir", ""))) != old_norm]
    cfg.prepare_data = steps
    for key in list(cfg.keys()):
        if key not in ("metadata", "_config_path", "prepare_data"):
            cfg[key] = rewrite(cfg[key], key)
    return changed
