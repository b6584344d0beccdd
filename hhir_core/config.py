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

import collections.abc
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


#: top-level keys that mmengine's Runner or hhir's tools read; the rest of a config is its own
#: variables (``llm_name = ...``), already substituted where used. ``hhir config show --all`` shows them.
RUN_KEYS = {
    "model", "work_dir", "train_dataloader", "val_dataloader", "test_dataloader", "train_cfg",
    "val_cfg", "test_cfg", "val_evaluator", "test_evaluator", "optim_wrapper", "param_scheduler",
    "default_hooks", "custom_hooks", "data_preprocessor", "auto_scale_lr", "default_scope",
    "env_cfg", "experiment_name", "launcher", "load_from", "resume", "log_level",
    "log_processor", "visualizer", "randomness", "model_wrapper_cfg", "stages", "requires",
    "metadata", "ablation_base", "prepare_data", "data_root", "inference_pose_source",
}

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
        owners = check_option_keys(cfg, cfg_options)
        try:
            cfg.merge_from_dict(cfg_options)
        except Exception as exc:
            raise ConfigError(f"bad --cfg-options {cfg_options}: {exc}") from None
        check_option_values(cfg_options, owners)
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
    forwarded = forwarded_kwargs(cls) if accepts_kwargs else None
    if forwarded is not None:  # **kwargs with a known destination: check those too
        for key in node:
            if key != "type" and not str(key).startswith("_") and key not in named \
                    and key not in forwarded:
                _refuse_key(f"{path}.{key}", key, node["type"], list(named) + sorted(forwarded))
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


def _refuse_key(full_key: str, key: str, owner: str, known: Sequence[str]) -> None:
    close = difflib.get_close_matches(key, known, n=3, cutoff=0.6)
    shown = ", ".join(list(known)[:25]) + (", ..." if len(known) > 25 else "")
    raise ConfigError(f"{full_key}: {owner} has no parameter {key!r}"
                      + (f" (did you mean {', '.join(close)}?)" if close else "")
                      + f"; parameters: {shown}")


def _init_params(cls: type) -> Tuple[List[str], bool]:
    """Named ``__init__`` parameters (without self) and whether it takes ``**kwargs``."""
    try:
        params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    except (TypeError, ValueError):
        return [], True
    named = [p.name for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    return named, any(p.kind is p.VAR_KEYWORD for p in params)


def forwarded_kwargs(cls: type) -> Optional[set]:
    """Names a component's ``**kwargs`` accepts, or ``None`` if that cannot be known.

    A component that forwards ``**kwargs`` declares where with a classmethod
    ``accepted_kwargs()``; otherwise ``**kwargs`` passed on to the base class
    (``super().__init__(**kwargs)``) take the next ``__init__`` in the MRO.
    """
    declared = getattr(cls, "accepted_kwargs", None)
    if callable(declared):
        names = declared()
        return None if names is None else set(names)
    for base in cls.__mro__[1:]:
        if base is object:
            return None
        if "__init__" in vars(base):
            named, more = _init_params(base)
            if more:
                inner = forwarded_kwargs(base)
                return None if inner is None else set(named) | inner
            return set(named)
    return None


#: top-level sections mmengine builds without a ``type`` -> the class it builds
_IMPLICIT = {"val_cfg": "mmengine.runner.ValLoop", "test_cfg": "mmengine.runner.TestLoop",
             "log_processor": "mmengine.runner.LogProcessor",
             "randomness": "mmengine.runner.Runner.set_randomness"}
_DATALOADER_EXTRA = ("dataset", "sampler", "batch_sampler", "collate_fn", "worker_init_fn",
                     "persistent_workers", "num_batch_per_epoch")
_ENV_KEYS = ("cudnn_benchmark", "mp_cfg", "dist_cfg", "resource_limit")
_EXTRA_TOP = ("stages", "requires", "metadata", "work_dir", "default_scope", "launcher",
              "load_from", "resume", "randomness", "custom_imports")


def _import_obj(dotted: str) -> Any:
    import importlib

    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for attr in parts[i:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(dotted)


def _params_of(obj: Any) -> Tuple[List[str], bool]:
    if inspect.isclass(obj):
        return _init_params(obj)
    params = list(inspect.signature(obj).parameters.values())
    named = [p.name for p in params if p.name != "self"
             and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    return named, any(p.kind is p.VAR_KEYWORD for p in params)


def _schema_for(path: List[str], node: Any) -> Tuple[Optional[str], Optional[Any]]:
    """``(owner name, class/function)`` deciding which keys a dict at ``path`` takes."""
    typ = node.get("type") if hasattr(node, "get") else None
    if isinstance(typ, str):
        role = _role_for(".".join(path))
        try:
            obj = _lookup(typ, role)
        except Exception:
            obj = None
        return typ, obj
    if typ is not None and (inspect.isclass(typ) or callable(typ)):
        return getattr(typ, "__name__", str(typ)), typ
    if len(path) == 1:
        key = path[0]
        if key.endswith("_dataloader"):
            return "DataLoader", "dataloader"
        if key == "train_cfg":
            loop = "EpochBasedTrainLoop" if node.get("by_epoch", True) else "IterBasedTrainLoop"
            return loop, _import_obj(f"mmengine.runner.{loop}")
        if key in _IMPLICIT:
            return key, _import_obj(_IMPLICIT[key])
        if key == "env_cfg":
            return "env_cfg", "env"
    return None, None


def _allowed_keys(owner: Any) -> Tuple[Optional[List[str]], bool]:
    """Keys a section accepts and whether that list is complete."""
    if owner == "dataloader":
        import torch.utils.data

        named, _ = _init_params(torch.utils.data.DataLoader)
        return named + list(_DATALOADER_EXTRA), True
    if owner == "env":
        return list(_ENV_KEYS), True
    if owner is None:
        return None, False
    named, more = _params_of(owner)
    named = [n for n in named if n not in ("runner", "dataloader")] + ["type"]
    if getattr(owner, "__name__", "").endswith("Loop"):
        named.append("by_epoch")  # read by the Runner to pick the loop
    if more:
        extra = forwarded_kwargs(owner) if inspect.isclass(owner) else None
        if extra is None:
            return named, False
        named += sorted(extra)
    return named, True


def check_option_keys(cfg: Any, options: Dict[str, Any]) -> Dict[str, Any]:
    """Check every ``--cfg-options`` key against the config tree and component signatures.

    A key must either exist in the config or be a parameter of the component (or
    mmengine section) that will receive it. Returns ``key -> owning class`` for the
    value checks. Raises :class:`ConfigError` naming the key, with close matches.
    """
    from .plugins.manager import get_manager

    get_manager().load()
    import mmengine.evaluator  # noqa: F401  (registers mmengine's own components)
    import mmengine.runner

    owners: Dict[str, Any] = {}
    for full_key in options:
        parts = str(full_key).split(".")
        node: Any = cfg
        owner_obj: Any = None
        for i, part in enumerate(parts):
            here = ".".join(parts[:i + 1])
            if isinstance(node, (list, tuple)):
                if not part.isdigit() or int(part) >= len(node):
                    raise ConfigError(f"{here}: {'.'.join(parts[:i])} is a list of "
                                      f"{len(node)} item(s); use an index 0..{len(node) - 1}")
                node = node[int(part)]
                continue
            if not hasattr(node, "keys"):
                raise ConfigError(f"{here}: {'.'.join(parts[:i])} is a "
                                  f"{type(node).__name__} ({node!r}), not a section")
            name, obj = _schema_for(parts[:i], node) if i else (None, None)
            owner_obj = obj  # the section that receives ``part``
            if part in node:
                node = node[part]
                continue
            existing = [str(k) for k in node.keys() if not str(k).startswith("_")]
            if i == 0:
                top, _ = _init_params(mmengine.runner.Runner)
                allowed, complete = top + list(_EXTRA_TOP), True
                where = "the config"
            else:
                allowed, complete = _allowed_keys(obj)
                where = name or ".".join(parts[:i])
            if allowed is not None and part in allowed:
                break
            candidates = sorted(set(existing) | set(allowed or []))
            close = difflib.get_close_matches(part, candidates, n=3, cutoff=0.6)
            if complete or close:
                noun = "parameter" if inspect.isclass(obj) or callable(obj) else "key"
                raise ConfigError(
                    f"{here}: {where} has no {noun} {part!r}"
                    + (f" (did you mean {', '.join(close)}?)" if close else "")
                    + (f"; it has: {', '.join(candidates[:25])}" if candidates else ""))
            break  # an open-ended section (**kwargs going somewhere unknown): allowed
        owners[full_key] = owner_obj
    return owners


#: option names whose value must be a positive int (or >= 0 for num_workers)
_POSITIVE_INTS = ("max_epochs", "max_iters", "batch_size", "val_interval", "interval",
                  "max_keep_ckpts", "num_stages")
_BRACKETS = {"[": "]", "(": ")", "{": "}"}


def check_option_values(options: Dict[str, Any], owners: Dict[str, Any]) -> None:
    """One-line errors for option values that cannot be right (naming the key)."""
    for key, value in options.items():
        last = str(key).split(".")[-1]
        if isinstance(value, str):
            text = value.strip()
            opened = sum(text.count(o) for o in _BRACKETS)
            closed = sum(text.count(c) for c in _BRACKETS.values())
            if opened != closed or (text[:1] in _BRACKETS and text[-1:] != _BRACKETS[text[0]]):
                raise ConfigError(f"{key}: unbalanced brackets in {value!r}; write a list as "
                                  f"{last}=[1,2] (quote the whole option in the shell)")
        if last in _POSITIVE_INTS or last == "num_workers":
            low = 0 if last == "num_workers" else (0 if last == "max_keep_ckpts" else 1)
            if last == "max_keep_ckpts" and value == -1:
                continue
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise ConfigError(f"{key}: must be an integer >= {low}, got {value!r}")
        owner = owners.get(key)
        if owner is None or not callable(owner) or isinstance(owner, str):
            continue
        try:
            hints = typing.get_type_hints(owner.__init__ if inspect.isclass(owner) else owner)
        except Exception:
            continue
        if last in hints and len(str(key).split(".")) >= 2 and not _matches(value, hints[last]):
            raise ConfigError(f"{key}: expected {_fmt(hints[last])}, got "
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
    if base in (collections.abc.Sequence, collections.abc.Iterable, list, tuple) \
            and isinstance(value, str):
        return False  # a string is never meant where a list of values is expected
    if base in (collections.abc.Sequence, list) and isinstance(value, (list, tuple)):
        args = typing.get_args(hint)
        return not args or all(_matches(v, args[0]) for v in value)
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


def _dataloader_roots(cfg: Any) -> List[str]:
    """The ``data_root`` values the dataloaders' datasets read (wrappers included)."""
    roots: List[str] = []

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            root = node.get("data_root")
            if isinstance(root, str) and root:
                roots.append(root)
            for key in ("dataset", "datasets"):
                child = node.get(key)
                for item in child if isinstance(child, list) else [child]:
                    visit(item)

    for loader in ("train_dataloader", "val_dataloader", "test_dataloader"):
        if isinstance(cfg.get(loader), dict):
            visit(cfg[loader].get("dataset"))
    return roots


def retarget_data_root(cfg: Any, new_root: str) -> List[str]:
    """Point every path under the config's data folder at ``new_root`` (``--data DIR``).

    Why: a config family reads one folder through several keys (three dataloaders, their
    annotation files, a preparation step); the user names the folder once. The folder is the
    top-level ``data_root`` and whatever ``data_root`` the dataloaders read (a mini config
    inherits its paper config's ``data_root`` but reads the synthetic folder). Strings equal to
    one of them or under it are rewritten; ``prepare_data`` steps that would write into them are
    dropped, since the user brings the data. Returns the rewritten keys.
    """
    candidates = [cfg.get("data_root")] + _dataloader_roots(cfg)
    olds = sorted({os.path.normpath(r) for r in candidates if isinstance(r, str) and r},
                  key=len, reverse=True)
    if not olds:
        raise ConfigError(f"--data: config {cfg.get('_config_path', '')} has no 'data_root' (top level "
                          "or in its dataloaders); set its dataset paths with --cfg-options instead")
    new_root = os.path.normpath(os.path.expanduser(new_root))
    changed: List[str] = []

    def rewrite(node: Any, path: str) -> Any:
        if isinstance(node, str):
            if "/" not in node and node not in olds:
                return node
            norm = os.path.normpath(node)
            for old in olds:
                if norm == old or norm.startswith(old + os.sep):
                    changed.append(path)
                    return new_root + norm[len(old):]
            return node
        if isinstance(node, dict):
            for key in list(node):
                node[key] = rewrite(node[key], f"{path}.{key}" if path else str(key))
            return node
        if isinstance(node, list):
            return [rewrite(v, f"{path}.{i}") for i, v in enumerate(node)]
        return node

    cfg.prepare_data = [s for s in (cfg.get("prepare_data") or [])
                        if os.path.normpath(str(s.get("out_dir", ""))) not in olds]
    for key in list(cfg.keys()):
        if key not in ("metadata", "_config_path", "prepare_data"):
            cfg[key] = rewrite(cfg[key], key)
    return changed
