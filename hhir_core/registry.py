"""Registries of the ``hhir`` scope.

Each registry is an mmengine :class:`~mmengine.registry.Registry` in scope
``hhir``; where mmengine has a root of the same kind, ours is its child, so the
mmengine Runner finds our datasets, metrics, loops and hooks once
``default_scope='hhir'``.

Two things are added on top of mmengine:

* **lazy entries** – a plugin may register ``"package.module:ClassName"``
  instead of the class, so listing plugins never imports torch-heavy code; the
  class is imported (and checked against its role interface) on first use;
* **host-owned loading** – every lookup first makes sure the installed plugins are
  loaded (:func:`_load_plugins`, lazily, once per plugin manager);
* **actionable misses** – :meth:`HHIRRegistry.build` and :func:`resolve` raise
  :class:`~hhir_core.errors.RegistryMiss` naming the role, close matches, the
  registry that does hold the name, and plugins that failed to load.
"""
from __future__ import annotations

import difflib
import importlib
from typing import Any, Callable, Dict, Iterable, List, Optional

from mmengine.registry import DATASETS as MME_DATASETS
from mmengine.registry import HOOKS as MME_HOOKS
from mmengine.registry import LOOPS as MME_LOOPS
from mmengine.registry import METRICS as MME_METRICS
from mmengine.registry import MODELS as MME_MODELS
from mmengine.registry import TRANSFORMS as MME_TRANSFORMS
from mmengine.registry import Registry

from .errors import InterfaceError, PluginError, RegistryMiss

SCOPE = "hhir"


def _load_plugins() -> None:
    """The one place a lookup loads the plugins (the host's manager; once per manager).

    Every lookup comes through here, so a bare ``REGISTRY.get(name)`` works on first use
    and again after :func:`hhir_core.plugins.manager.reset_manager`. Plugins never call it.
    """
    from .plugins.manager import get_manager  # local: the manager imports this module

    get_manager().load()


class HHIRRegistry(Registry):
    """mmengine registry with lazy ("module:attr") entries and helpful misses."""

    def __init__(self, name: str, role: str, parent: Optional[Registry] = None,
                 interface: Optional[str] = None) -> None:
        super().__init__(name, parent=parent, scope=SCOPE)
        self.role = role
        #: dotted path of the role's interface class (checked on resolve)
        self.interface_path = interface
        self._lazy: Dict[str, str] = {}
        #: component name -> plugin that registered it ("hhir_core" for the core)
        self.providers: Dict[str, str] = {}

    # -- registration -------------------------------------------------
    def add(self, name: str, obj: Any, provider: str) -> None:
        """Register ``obj`` (class/function or ``"module:attr"``) under ``name``."""
        if name in self.providers or name in self._module_dict:
            other = self.providers.get(name, "hhir_core")
            raise PluginError(
                f"{self.role} name {name!r} is registered twice: by plugin {other!r} "
                f"and by plugin {provider!r}. Rename one of them (names are global "
                f"within a role) or disable one plugin with HHIR_PLUGINS=...")
        if isinstance(obj, str):
            if ":" not in obj:
                raise PluginError(
                    f"plugin {provider!r} registered {self.role} {name!r} as {obj!r}; "
                    "a lazy entry must look like 'package.module:ClassName'")
            self._lazy[name] = obj
        else:
            check_interface(self, name, obj, provider)
            self._register_module(module=obj, module_name=name, force=False)
        self.providers[name] = provider

    def names(self) -> List[str]:
        """All names registered here (resolved and lazy), sorted."""
        _load_plugins()
        return sorted(set(self._module_dict) | set(self._lazy))

    def _resolve_lazy(self, name: str) -> None:
        target = self._lazy.pop(name)
        module_name, _, attr = target.partition(":")
        provider = self.providers.get(name, "?")
        try:
            obj = getattr(importlib.import_module(module_name), attr)
        except Exception as exc:  # keep the registry usable, report clearly
            self._lazy[name] = target
            raise PluginError(
                f"{self.role} {name!r} from plugin {provider!r} could not be imported "
                f"from {target!r}: {type(exc).__name__}: {exc}") from exc
        check_interface(self, name, obj, provider)
        if name not in self._module_dict:
            self._register_module(module=obj, module_name=name, force=False)

    # -- lookup ---------------------------------------------------------
    def import_from_location(self) -> None:
        """mmengine calls this before its lookups: load the plugins instead of modules."""
        _load_plugins()

    def get(self, key: str) -> Any:  # noqa: D401 - mmengine signature
        _load_plugins()
        if isinstance(key, str):
            scope, real_key = self.split_scope_key(key)
            if (scope is None or scope == SCOPE) and real_key in self._lazy:
                self._resolve_lazy(real_key)
        return super().get(key)

    def __contains__(self, key: str) -> bool:  # type: ignore[override]
        _load_plugins()
        return key in self._lazy or super().__contains__(key)

    def build(self, cfg: Any, *args: Any, **kwargs: Any) -> Any:
        """Build from a config dict; a missing ``type`` gives an actionable error."""
        obj_type = cfg.get("type") if hasattr(cfg, "get") else None
        if isinstance(obj_type, str) and self.get_or_none(obj_type) is None:
            raise RegistryMiss(miss_message(self, obj_type))
        return super().build(cfg, *args, **kwargs)

    def get_or_none(self, key: str) -> Any:
        """Like :meth:`get` but ``None`` (never an exception) on a miss."""
        try:
            return self.get(key)
        except (RuntimeError, KeyError):
            return None


def check_interface(registry: HHIRRegistry, name: str, obj: Any, provider: str) -> None:
    """Refuse ``obj`` if it does not implement the registry's role interface."""
    if registry.interface_path is None:
        return
    module_name, _, attr = registry.interface_path.partition(":")
    interface = getattr(importlib.import_module(module_name), attr)
    if not isinstance(obj, type):
        raise InterfaceError(
            f"{registry.role} {name!r} from plugin {provider!r} must be a class "
            f"implementing {interface.__name__}, got {type(obj).__name__}")
    if issubclass(obj, interface):
        return
    missing = [m for m in getattr(interface, "__abstractmethods__", ()) if not hasattr(obj, m)]
    if missing or not getattr(interface, "structural_ok", False):
        raise InterfaceError(
            f"{registry.role} {name!r} from plugin {provider!r} ({obj.__module__}."
            f"{obj.__qualname__}) does not implement {interface.__module__}."
            f"{interface.__name__}" + (f": missing {', '.join(sorted(missing))}" if missing
                                       else "; subclass it"))


_I = "hhir_core.interfaces"
MODELS = HHIRRegistry("model", "model", parent=MME_MODELS)
DATASETS = HHIRRegistry("dataset", "dataset", parent=MME_DATASETS)
TRANSFORMS = HHIRRegistry("transform", "transform", parent=MME_TRANSFORMS)
METRICS = HHIRRegistry("metric", "metric", parent=MME_METRICS)
LOOPS = HHIRRegistry("loop", "loop", parent=MME_LOOPS)
HOOKS = HHIRRegistry("hook", "hook", parent=MME_HOOKS)
SEGMENTERS = HHIRRegistry("segmenter", "segmenter", interface=f"{_I}.segmenter:Segmenter")
POSE_SOURCES = HHIRRegistry("pose_source", "pose_source", interface=f"{_I}.pose_source:PoseSource")
BRANCH_ENCODERS = HHIRRegistry("branch_encoder", "branch_encoder",
                               interface=f"{_I}.branch_encoder:BranchEncoder")
TOKENIZERS = HHIRRegistry("tokenizer", "tokenizer", interface=f"{_I}.tokenizer:Tokenizer")
LANGUAGE_HEADS = HHIRRegistry("language_head", "language_head",
                              interface=f"{_I}.language_head:LanguageHead")
DISTILLERS = HHIRRegistry("distiller", "distiller", interface=f"{_I}.distiller:Distiller")
#: steps a config's ``prepare_data`` list runs before any dataset is built (e.g. generating data)
DATA_PREPARATIONS = HHIRRegistry("data_preparation", "data_preparation")



def _scope_children() -> List[Registry]:
    """Empty ``hhir`` children of mmengine's other roots (optimizers, samplers, ...).

    mmengine searches a child in the default scope for every root it builds
    from and warns when there is none; these keep the logs quiet and let a plugin
    register e.g. an optimizer with ``register_module`` in scope ``hhir``.
    """
    import mmengine.registry as mme

    own = {MME_MODELS, MME_DATASETS, MME_TRANSFORMS, MME_METRICS, MME_LOOPS, MME_HOOKS}
    children = []
    for value in vars(mme).values():
        if isinstance(value, Registry) and value.parent is None and value not in own \
                and SCOPE not in value._children:
            children.append(Registry(value.name, parent=value, scope=SCOPE))
    return children


_SCOPE_CHILDREN = _scope_children()

#: role name -> registry; the keys are what ``register(role, ...)`` accepts.
REGISTRIES: Dict[str, HHIRRegistry] = {
    r.role: r for r in (MODELS, DATASETS, TRANSFORMS, METRICS, LOOPS, HOOKS, DATA_PREPARATIONS,
                        SEGMENTERS, POSE_SOURCES, BRANCH_ENCODERS, TOKENIZERS, LANGUAGE_HEADS,
                        DISTILLERS)
}
#: the six method roles (the rest are engine registries)
ROLES = ("segmenter", "pose_source", "branch_encoder", "tokenizer", "language_head", "distiller")


def registry_for(role: str) -> HHIRRegistry:
    """The registry of ``role``; unknown roles list the valid ones."""
    try:
        return REGISTRIES[role]
    except KeyError:
        close = difflib.get_close_matches(role, REGISTRIES, n=3)
        raise RegistryMiss(
            f"unknown role {role!r}" + (f" (did you mean {', '.join(close)}?)" if close else "")
            + f"; valid roles: {', '.join(REGISTRIES)}") from None


def miss_message(registry: HHIRRegistry, name: str) -> str:
    """Explain a registry miss: close matches, other roles, failed plugins."""
    from .plugins.manager import get_manager  # local: avoids an import cycle

    _load_plugins()
    manager = get_manager()
    lines = [f"{name!r} is not a registered {registry.role} (registry 'hhir::{registry.name}')."]
    close = difflib.get_close_matches(name, registry.names(), n=3, cutoff=0.5)
    if close:
        lines.append(f"  close matches: {', '.join(close)}")
    elsewhere = [r.role for r in REGISTRIES.values() if r is not registry and name in r.names()]
    if elsewhere:
        provider = REGISTRIES[elsewhere[0]].providers.get(name, "?")
        lines.append(f"  {name!r} is registered as a {', '.join(elsewhere)} "
                     f"(by plugin {provider!r}), not as a {registry.role}.")
    for info in manager.plugins.values():
        if info.status == "failed":
            lines.append(f"  plugin {info.name!r} failed to load and may provide it: {info.error}")
        elif info.status == "disabled":
            lines.append(f"  plugin {info.name!r} is disabled ({info.error}) and may provide it.")
        elif info.status == "incompatible":
            lines.append(f"  plugin {info.name!r} is incompatible ({info.error}) and may "
                         "provide it; install a version written for this core.")
    if not elsewhere:
        other = [f"{m} ({r.role})" for r in REGISTRIES.values() if r is not registry
                 for m in difflib.get_close_matches(name, r.names(), n=2, cutoff=0.75)]
        if other:
            lines.append(f"  close matches in other roles: {', '.join(other)}")
    if not close and not elsewhere:
        known = registry.names()
        lines.append(f"  known {registry.role}s: {', '.join(known) if known else '(none)'}")
    lines.append("  `hhir components " + registry.role + "` lists them with their plugins.")
    return "\n".join(lines)


def build(role: str, cfg: Any, **kwargs: Any) -> Any:
    """Build a component of ``role`` from a config dict (``type`` + kwargs)."""
    return registry_for(role).build(cfg, **kwargs) if not kwargs else \
        registry_for(role).build(cfg, default_args=kwargs)


def resolve(role: str, name: str) -> Any:
    """The class registered as ``name`` for ``role`` (imports lazy entries)."""
    registry = registry_for(role)
    obj = registry.get_or_none(name)
    if obj is None:
        raise RegistryMiss(miss_message(registry, name))
    return obj


def iter_components(roles: Optional[Iterable[str]] = None) -> Iterable[tuple]:
    """Yield ``(role, name, provider)`` for every registered component."""
    for role in roles or REGISTRIES:
        reg = registry_for(role)
        for name in reg.names():
            yield role, name, reg.providers.get(name, "mmengine")


RegisterFn = Callable[[str, str, Any], None]

# mmengine is imported by now anyway: let ``_base_ = ['plugin::x.py']`` resolve through hhir
from .config import install_config_resolver  # noqa: E402

install_config_resolver()
