"""Discover and load plugins, each in isolation.

* Discovery: entry points in group ``hhir.plugins`` (name -> module).
* Isolation: import, hook validation and ``hhir_register`` run per plugin inside
  ``try/except``; a failing plugin is recorded (``status='failed'``) with its
  error and the components it managed to register are rolled back. The others
  load. ``HHIR_STRICT_PLUGINS=1`` re-raises instead.
* Selection: ``HHIR_PLUGINS=a,b`` is an allow-list (others are ``disabled``; a name
  that matches no installed plugin is warned about); ``HHIR_DISABLE_PLUGIN_AUTOLOAD=1``
  loads none (tests register explicitly).
* Contract: a plugin's ``hhir_contract`` range is checked against
  ``hhir_core.interfaces.CONTRACT_VERSION`` before it registers anything; outside it
  the plugin is ``incompatible`` (listed, not loaded).

The host owns loading: every registry lookup calls :meth:`PluginManager.load` (once per
manager, so also after :func:`reset_manager`). Plugins never import this module.
"""
from __future__ import annotations

import difflib
import os
import time
import traceback
import warnings
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

import pluggy

from ..errors import PluginError, PluginWarning
from ..interfaces.version import CONTRACT_VERSION
from . import hookspecs

ENTRY_POINT_GROUP = "hhir.plugins"
CORE = "hhir_core"


@dataclass
class PluginInfo:
    """What ``hhir plugins list`` shows for one plugin."""
    name: str
    dist: str = ""
    version: str = ""
    module: str = ""
    status: str = "pending"  # ok | failed | disabled | incompatible
    error: str = ""
    #: the contract range the plugin declares (``hhir_contract``), "" when undeclared
    contract: str = ""
    components: Dict[str, List[str]] = field(default_factory=dict)
    config_dir: Optional[str] = None
    load_seconds: float = 0.0

    def as_dict(self) -> Dict[str, Any]:
        return {k: getattr(self, k) for k in ("name", "dist", "version", "module", "status",
                                              "error", "contract", "components",
                                              "config_dir", "load_seconds")}


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


class PluginManager:
    """Owns the pluggy manager and the per-plugin load records."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.plugins: Dict[str, PluginInfo] = {}
        self.loaded = False
        #: problems worth telling the user that break nothing (``hhir plugins list`` shows them)
        self.warnings: List[str] = []

    # -- public -----------------------------------------------------------
    def load(self, force: bool = False) -> None:
        """Discover and load all entry-point plugins (once)."""
        if self.loaded and not force:
            return
        self.loaded = True
        _register_core_components()
        if _env_flag("HHIR_DISABLE_PLUGIN_AUTOLOAD"):
            return
        allow = os.environ.get("HHIR_PLUGINS")
        allowed = {a.strip() for a in allow.split(",") if a.strip()} if allow else None
        for ep in _entry_points():
            if ep.name in self.plugins:
                continue
            info = PluginInfo(name=ep.name, module=ep.value)
            dist = getattr(ep, "dist", None)
            if dist is not None:
                info.dist, info.version = dist.metadata["Name"], dist.version
            self.plugins[ep.name] = info
            if allowed is not None and ep.name not in allowed:
                info.status, info.error = "disabled", "not in HHIR_PLUGINS allow-list"
                continue
            self._load_one(info, loader=ep.load)
        if allowed is not None:
            self._warn_unknown_allowed(allowed)

    def _warn_unknown_allowed(self, allowed: set) -> None:

        for name in sorted(allowed - set(self.plugins)):
            close = difflib.get_close_matches(name, self.plugins, n=2)
            msg = (f"HHIR_PLUGINS names {name!r}, which matches no installed plugin"
                   + (f" (did you mean {', '.join(close)}?)" if close else "")
                   + f"; installed: {', '.join(sorted(self.plugins)) or '(none)'}")
            self.warnings.append(msg)
            warnings.warn(msg, PluginWarning, stacklevel=3)

    def add_plugin(self, name: str, module: Any, version: str = "") -> PluginInfo:
        """Register an already-imported plugin module (tests, notebooks)."""
        info = PluginInfo(name=name, module=getattr(module, "__name__", str(module)),
                          version=version)
        self.plugins[name] = info
        _register_core_components()
        self._load_one(info, loader=lambda: module)
        return info

    def config_dir(self, plugin: str) -> str:
        """Config folder of ``plugin`` (for ``plugin::path`` addressing)."""
        self.load()
        info = self.plugins.get(plugin)
        if info is None:
            raise PluginError(f"no plugin named {plugin!r}; installed: "
                              f"{', '.join(sorted(self.plugins)) or '(none)'}")
        if info.status != "ok":
            raise PluginError(f"plugin {plugin!r} is {info.status}: {info.error}")
        if not info.config_dir:
            raise PluginError(f"plugin {plugin!r} packages no configs (hhir_config_dir hook)")
        return info.config_dir

    # -- internals ----------------------------------------------------------
    def _contract_ok(self, info: PluginInfo) -> bool:
        """Check the plugin's ``hhir_contract`` range; record ``incompatible`` if outside."""
        from packaging.specifiers import InvalidSpecifier, SpecifierSet
        from packaging.version import Version

        for impl in self.pm.hook.hhir_contract.get_hookimpls():
            if impl.plugin_name == info.name:
                info.contract = str(impl.function() or "")
        if not info.contract:
            return True
        try:
            spec = SpecifierSet(info.contract)
        except InvalidSpecifier:
            raise PluginError(f"hhir_contract returned {info.contract!r}, not a version "
                              "range like '>=2.0,<3'") from None
        if spec.contains(Version(CONTRACT_VERSION), prereleases=True):
            return True
        info.status = "incompatible"
        info.error = f"needs contract {info.contract}, core has {CONTRACT_VERSION}"
        return False

    def _load_one(self, info: PluginInfo, loader) -> None:
        from ..registry import registry_for

        start = time.perf_counter()
        added: List[tuple] = []

        def register(role: str, name: str, obj: Any) -> None:
            registry_for(role).add(name, obj, provider=info.name)
            added.append((role, name))
            info.components.setdefault(role, []).append(name)

        try:
            module = loader()
            self.pm.register(module, name=info.name)
            try:
                compatible = self._contract_ok(info)
            except BaseException:
                self.pm.unregister(name=info.name)
                raise
            if not compatible:  # listed with its status, registers nothing
                self.pm.unregister(name=info.name)
                if _env_flag("HHIR_STRICT_PLUGINS"):
                    raise PluginError(f"plugin {info.name!r} is incompatible: {info.error}")
                return
            try:
                for impl in self.pm.hook.hhir_register.get_hookimpls():
                    if impl.plugin_name == info.name:
                        impl.function(register=register)
                for impl in self.pm.hook.hhir_config_dir.get_hookimpls():
                    if impl.plugin_name == info.name:
                        d = impl.function()
                        info.config_dir = str(d) if d else None
            except BaseException:
                self.pm.unregister(name=info.name)
                raise
            info.status = "ok"
        except Exception as exc:  # isolation: record, roll back, continue
            if info.status == "incompatible":  # strict mode: already explained
                raise
            for role, name in added:
                _unregister(role, name)
            info.components = {}
            info.status = "failed"
            info.error = f"{type(exc).__name__}: {exc}"
            if _env_flag("HHIR_STRICT_PLUGINS"):
                raise PluginError(f"plugin {info.name!r} failed to load: {info.error}\n"
                                  + traceback.format_exc()) from exc
        finally:
            info.load_seconds = round(time.perf_counter() - start, 4)


def _unregister(role: str, name: str) -> None:
    from ..registry import registry_for

    reg = registry_for(role)
    reg._lazy.pop(name, None)
    reg._module_dict.pop(name, None)
    reg.providers.pop(name, None)


def _entry_points() -> list:
    from importlib.metadata import entry_points

    eps = entry_points(group=ENTRY_POINT_GROUP)
    seen, out = set(), []
    for ep in sorted(eps, key=lambda e: e.name):
        if ep.name not in seen:  # the same dist on sys.path twice
            seen.add(ep.name)
            out.append(ep)
    return out


_CORE_DONE = False


def _register_core_components() -> None:
    """Components that live in hhir_core itself (datasets, metrics, hooks...)."""
    global _CORE_DONE
    if _CORE_DONE:
        return
    _CORE_DONE = True
    from ..registry import registry_for
    from .core_components import CORE_COMPONENTS

    for role, name, target in CORE_COMPONENTS:
        registry_for(role).add(name, target, provider=CORE)


_MANAGER: Optional[PluginManager] = None


def get_manager() -> PluginManager:
    """The process-wide plugin manager."""
    global _MANAGER
    if _MANAGER is None:
        _MANAGER = PluginManager()
    return _MANAGER


def reset_manager() -> PluginManager:
    """Forget loaded plugins and registrations (tests only)."""
    global _MANAGER, _CORE_DONE
    from ..registry import REGISTRIES

    for reg in REGISTRIES.values():
        for name in list(reg.providers):
            _unregister(reg.role, name)
    _CORE_DONE = False
    _MANAGER = PluginManager()
    return _MANAGER


__all__ = ["PluginManager", "PluginInfo", "get_manager", "reset_manager", "ENTRY_POINT_GROUP"]
