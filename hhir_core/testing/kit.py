"""Run the conformance checks for components and return structured reports.

Entry points:

* :func:`collect_components` – which registered role components to check
  (by role, distribution, plugin or name);
* :func:`check_component` / :func:`check_class` – run every check of
  :mod:`hhir_core.testing.checks` on one component -> :class:`ComponentReport`;
* :func:`check_dist` – all components of an installed distribution ->
  :class:`KitReport` (what ``hhir plugins check DIST`` prints);
* :func:`assert_conforms` – the pytest-friendly form: raises
  :class:`ConformanceFailure` naming the component and every failed check.

Opt-outs are explicit: ``expected_failures = {"check": "reason"}`` on the class
or passed to the kit. An expected failure that fails is ``xfail``; one that
passes is ``xpass`` and counts as a failure (so stale opt-outs get removed).
"""
from __future__ import annotations

import contextlib
import dataclasses
import random
import re
import socket
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional

from ..errors import PluginError
from . import checks as C

#: statuses that make a component fail
FAILING = ("fail", "xpass")
CORE_DIST = "hhir"


def _norm(name: str) -> str:
    """PEP 503 normalisation, so ``hhir_example-plugin`` matches ``hhir-example-plugin``."""
    return re.sub(r"[-_.]+", "-", name).lower()


# ----------------------------------------------------------------------------------------
# data
# ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ComponentRef:
    """A registered role component: what to check, without importing it."""
    role: str
    name: str
    provider: str = ""
    dist: str = ""
    #: ``"module:Class"`` (lazy entries) or the resolved class's path
    target: str = ""

    @property
    def id(self) -> str:
        return f"{self.role}:{self.name}"

    @property
    def module(self) -> str:
        return self.target.partition(":")[0]

    def __str__(self) -> str:  # pytest ids / messages
        return self.id


@dataclass
class CheckResult:
    """One check's outcome: pass, fail, xfail, xpass, n/a or blocked."""
    name: str
    status: str
    message: str = ""
    seconds: float = 0.0

    def as_dict(self) -> Dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class ComponentReport:
    """All checks of one component."""
    role: str
    name: str
    provider: str
    dist: str
    cls: str = ""
    checks: List[CheckResult] = field(default_factory=list)
    expected_failures: Dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    #: non-empty: not checked because an ``optional_requires`` extra is missing
    skipped: str = ""
    #: contracts the class implements and the optional capabilities it declares
    contracts: List[str] = field(default_factory=list)
    capabilities: List[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def failures(self) -> List[CheckResult]:
        return [c for c in self.checks if c.status in FAILING]

    def result(self, name: str) -> Optional[CheckResult]:
        return next((c for c in self.checks if c.name == name), None)

    @property
    def import_seconds(self) -> Optional[float]:
        r = self.result("import_time")
        if r is None or not r.message.endswith(" s"):
            return None
        try:
            return float(r.message.split()[0])
        except ValueError:
            return None

    def as_dict(self) -> Dict[str, Any]:
        return dict(role=self.role, name=self.name, provider=self.provider, dist=self.dist,
                    cls=self.cls, ok=self.ok, skipped=self.skipped,
                    seconds=round(self.seconds, 3),
                    import_seconds=self.import_seconds,
                    expected_failures=self.expected_failures,
                    contracts=self.contracts, capabilities=self.capabilities,
                    checks=[c.as_dict() for c in self.checks])

    def failure_message(self) -> str:
        """One paragraph naming the component and each failed check."""
        head = (f"hhir conformance: {self.role} {self.name!r} (plugin {self.provider!r}, "
                f"{self.cls}) failed {len(self.failures)} check(s):")
        lines = [head] + [f"  - {c.name}: {c.message}" for c in self.failures]
        return "\n".join(lines)


@dataclass
class KitReport:
    """What ``hhir plugins check DIST`` prints: plugins, components, verdict."""
    dist: str
    version: str = ""
    plugins: List[Dict[str, Any]] = field(default_factory=list)
    components: List[ComponentReport] = field(default_factory=list)
    #: registrations outside the six roles (no role contract to check)
    unchecked: List[Dict[str, str]] = field(default_factory=list)
    errors: List[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.errors and all(c.ok for c in self.components)

    def as_dict(self) -> Dict[str, Any]:
        return dict(dist=self.dist, version=self.version, ok=self.ok, plugins=self.plugins,
                    components=[c.as_dict() for c in self.components],
                    unchecked=self.unchecked, errors=self.errors,
                    seconds=round(self.seconds, 3))

    def format_text(self, verbose: bool = False) -> str:
        """Human-readable report (one line per component, details for failures)."""
        lines = [f"{self.dist} {self.version}".rstrip()]
        for p in self.plugins:
            lines.append(f"  plugin {p['name']}: {p['status']}"
                         + (f" ({p['error']})" if p.get("error") else ""))
        for e in self.errors:
            lines.append(f"  ERROR {e}")
        for c in self.components:
            imp = c.import_seconds
            if c.skipped:
                lines.append(f"  SKIP  {c.role:<15} {c.name:<32} {c.skipped}")
                continue
            lines.append(f"  {'PASS' if c.ok else 'FAIL'}  {c.role:<15} {c.name:<32}"
                         + (f" import {imp:.2f} s" if imp is not None else "")
                         + f"  checks {c.seconds:.1f} s")
            if c.contracts:
                lines.append(f"        contract {', '.join(c.contracts)}; optional capabilities: "
                             f"{', '.join(c.capabilities) or 'none declared'}")
            for r in c.checks:
                if verbose or r.status not in ("pass",):
                    lines.append(f"        {r.status:<7} {r.name:<20} {r.message}")
        for u in self.unchecked:
            lines.append(f"  ----  {u['role']:<15} {u['name']:<32} {u['reason']}")
        n_ok = sum(c.ok and not c.skipped for c in self.components)
        n_skip = sum(bool(c.skipped) for c in self.components)
        lines.append(f"{'OK' if self.ok else 'FAILED'}: {n_ok}/{len(self.components)} "
                     f"components conform" + (f", {n_skip} skipped" if n_skip else "")
                     + f" ({self.seconds:.1f} s)")
        return "\n".join(lines)


class ConformanceFailure(AssertionError):
    """Raised by :func:`assert_conforms`; the message names component and checks."""

    def __init__(self, report: ComponentReport) -> None:
        super().__init__(report.failure_message())
        self.report = report


# ----------------------------------------------------------------------------------------
# collection
# ----------------------------------------------------------------------------------------
def _manager() -> Any:
    from ..plugins.manager import get_manager

    m = get_manager()
    m.load()
    return m


def _dist_of(provider: str, manager: Any) -> str:
    if provider == "hhir_core":
        return CORE_DIST
    info = manager.plugins.get(provider)
    return (info.dist if info is not None and info.dist else provider)


def _target(reg: Any, name: str) -> str:
    lazy = reg._lazy.get(name)
    if lazy:
        return lazy
    obj = reg._module_dict.get(name)
    return f"{obj.__module__}:{obj.__qualname__}" if obj is not None else ""


def collect_components(roles: Optional[Iterable[str]] = None,
                       dists: Optional[Iterable[str]] = None,
                       plugins: Optional[Iterable[str]] = None,
                       names: Optional[Iterable[str]] = None) -> List[ComponentRef]:
    """Registered role components matching the filters (nothing is imported).

    ``dists`` match distribution names (``hhir-example-plugin``) *or* plugin
    entry-point names (``hhir_example``), normalised; the core's own
    components belong to the ``hhir`` distribution.
    """
    from ..registry import ROLES, registry_for

    manager = _manager()
    want_roles = list(roles) if roles else list(ROLES)
    want_dists = {_norm(d) for d in dists} if dists else None
    want_plugins = set(plugins) if plugins else None
    want_names = set(names) if names else None
    refs = []
    for role in want_roles:
        reg = registry_for(role)
        for name in reg.names():
            provider = reg.providers.get(name, "")
            dist = _dist_of(provider, manager)
            if want_dists is not None and not ({_norm(dist), _norm(provider)} & want_dists):
                continue
            if want_plugins is not None and provider not in want_plugins:
                continue
            if want_names is not None and name not in want_names:
                continue
            refs.append(ComponentRef(role, name, provider, dist, _target(reg, name)))
    return refs


def describe_dist(dist: str) -> str:
    """Why ``dist`` has nothing to check (not installed / failed / no role components)."""
    manager = _manager()
    mine = [i for i in manager.plugins.values()
            if _norm(dist) in {_norm(i.dist or ""), _norm(i.name)}]
    if not mine and _norm(dist) != CORE_DIST:
        known = sorted({i.dist or i.name for i in manager.plugins.values()})
        return (f"no installed plugin distribution {dist!r} (entry-point group "
                f"'hhir.plugins'); installed: {', '.join(known) or '(none)'}. Install it "
                "(pip install -e PATH) or check its [project.entry-points.\"hhir.plugins\"]")
    failed = [f"{i.name}: {i.status} ({i.error})" for i in mine if i.status != "ok"]
    if failed:
        return f"plugin(s) of {dist!r} did not load: " + "; ".join(failed)
    return (f"{dist!r} registers no component for the six roles (segmenter, pose_source, "
            "branch_encoder, tokenizer, language_head, distiller)")


# ----------------------------------------------------------------------------------------
# running
# ----------------------------------------------------------------------------------------
class _NetworkGuard:
    """Block (and record) socket connections and DNS look-ups inside the block."""

    def __init__(self) -> None:
        self.attempts: List[str] = []

    def _blocked(self, what: str) -> Callable[..., Any]:
        def fn(*args: Any, **kwargs: Any) -> Any:
            target = args[1:3] if what.startswith("socket.") else args[:2]
            self.attempts.append(f"{what}{target}")
            raise OSError(f"network access blocked by the hhir conformance kit ({what})")
        return fn

    def __enter__(self) -> "_NetworkGuard":
        self._saved = (socket.socket.connect, socket.socket.connect_ex,
                       socket.create_connection, socket.getaddrinfo)
        socket.socket.connect = self._blocked("socket.connect")  # type: ignore[method-assign]
        socket.socket.connect_ex = self._blocked("socket.connect_ex")  # type: ignore[method-assign]
        socket.create_connection = self._blocked("create_connection")  # type: ignore[assignment]
        socket.getaddrinfo = self._blocked("getaddrinfo")  # type: ignore[assignment]
        return self

    def __exit__(self, *exc: Any) -> None:
        (socket.socket.connect, socket.socket.connect_ex, socket.create_connection,
         socket.getaddrinfo) = self._saved  # type: ignore[method-assign]


@contextlib.contextmanager
def _preserve_rng() -> Iterator[None]:
    """The kit reseeds often; give the caller's RNG state back afterwards."""
    import numpy as np
    import torch

    state = (random.getstate(), np.random.get_state(), torch.get_rng_state())
    try:
        yield
    finally:
        random.setstate(state[0])
        np.random.set_state(state[1])
        torch.set_rng_state(state[2])


def _run_one(name: str, fn: Callable[[], str], expected: Dict[str, str]) -> CheckResult:
    t0 = time.perf_counter()
    try:
        note = fn()
        status, message = "pass", note or ""
    except C.NotApplicable as exc:
        status, message = "n/a", str(exc)
    except C.Blocked as exc:
        status, message = "blocked", str(exc)
    except AssertionError as exc:
        status, message = "fail", str(exc) or type(exc).__name__
    except Exception as exc:  # a crash inside a check is a failure of that check
        status, message = "fail", f"raised {type(exc).__name__}: {exc}"
    if name in expected:
        if status == "fail":
            status, message = "xfail", f"expected failure ({expected[name]}): {message}"
        elif status == "pass":
            status, message = "xpass", (f"listed in expected_failures ({expected[name]}) "
                                        "but passes; remove the entry")
    return CheckResult(name, status, message, round(time.perf_counter() - t0, 4))


def _validate_expected(expected: Dict[str, str]) -> List[CheckResult]:
    unknown = [k for k in expected if k not in C.ALL_CHECKS]
    if not unknown:
        return []
    return [CheckResult("expected_failures", "fail",
                        f"unknown check name(s) {unknown}; valid: {', '.join(C.ALL_CHECKS)}")]


def _missing_extras(cls: type) -> List[str]:
    """Import names in ``cls.optional_requires`` that are not importable."""
    import importlib.util

    out = []
    for mod in getattr(cls, "optional_requires", ()) or ():
        try:
            found = importlib.util.find_spec(mod) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            out.append(mod)
    return out


def check_class(cls: type, role: Optional[str] = None, name: Optional[str] = None,
                expected_failures: Optional[Dict[str, str]] = None,
                provider: str = "", dist: str = "", build: Optional[Callable] = None,
                module: Optional[str] = None, probe_import: bool = True,
                only: Optional[Iterable[str]] = None) -> ComponentReport:
    """Run every check on ``cls`` (registered or not) and return its report.

    ``build`` turns a loaded config dict into an instance (the registry's
    ``build`` for registered components; ``cls(**kwargs)`` otherwise).
    ``probe_import=False`` skips the fresh-interpreter import checks (they
    need ``cls`` to be importable by module name). ``only`` limits the run to
    some checks (for debugging; reports list only those).
    """
    role = role or getattr(cls, "role", "") or "?"
    name = name or cls.__name__
    expected = dict(getattr(cls, "expected_failures", None) or {})
    expected.update(expected_failures or {})
    report = ComponentReport(role, name, provider, dist, f"{cls.__module__}.{cls.__qualname__}",
                             expected_failures=expected)
    from ..interfaces import CONTRACTS

    report.contracts = [n for n, c in CONTRACTS.items() if isinstance(cls, type)
                        and issubclass(cls, c) and not any(issubclass(o, c) and o is not c
                                                           for o in CONTRACTS.values()
                                                           if issubclass(cls, o))]
    if hasattr(cls, "declared_capabilities"):
        report.capabilities = list(cls.declared_capabilities())
    t0 = time.perf_counter()
    report.checks.extend(_validate_expected(expected))
    missing = _missing_extras(cls)
    if missing:
        report.skipped = (f"optional extra(s) not installed: {', '.join(missing)} "
                          f"(declared in {cls.__qualname__}.optional_requires)")
        return report
    module = module or cls.__module__
    probe = None
    if probe_import and module and module != "__main__":
        probe = C.probe_cached([module])[module]
    ctx = C.CheckContext(role, name, cls, build=build, import_probe=probe)
    selected = set(only) if only else None
    with _preserve_rng(), _NetworkGuard() as guard:
        for check_name, fn in C.CHECKS.items():
            if selected is not None and check_name not in selected:
                continue
            if check_name in ("import_side_effects", "import_time") and not probe_import:
                report.checks.append(CheckResult(check_name, "n/a", "import probe disabled"))
                continue
            report.checks.append(_run_one(check_name, lambda f=fn: f(ctx), expected))
    if selected is None or C.NO_NETWORK in selected:
        def no_network() -> str:
            if guard.attempts:
                raise C.CheckFailed("network access attempted while running: "
                                    + ", ".join(guard.attempts[:3]))
            return "ok"
        report.checks.append(_run_one(C.NO_NETWORK, no_network, expected))
    report.seconds = time.perf_counter() - t0
    return report


def check_component(ref: ComponentRef,
                    expected_failures: Optional[Dict[str, str]] = None,
                    probe_import: bool = True) -> ComponentReport:
    """Resolve a registered component and run the kit on it."""
    from ..registry import registry_for

    reg = registry_for(ref.role)
    if ref.module and probe_import:  # probe all modules of the provider in one interpreter
        siblings = [r.module for r in collect_components(plugins=[ref.provider]) if r.module] \
            if ref.provider else []
        C.probe_cached(list(dict.fromkeys([ref.module] + siblings)))
    try:
        cls = reg.get(ref.name)
    except Exception as exc:
        report = ComponentReport(ref.role, ref.name, ref.provider, ref.dist, ref.target)
        report.checks.append(CheckResult("import", "fail", f"{type(exc).__name__}: {exc}"))
        return report
    if cls is None:
        report = ComponentReport(ref.role, ref.name, ref.provider, ref.dist, ref.target)
        report.checks.append(CheckResult("import", "fail", "not found in the registry"))
        return report
    return check_class(cls, role=ref.role, name=ref.name, expected_failures=expected_failures,
                       provider=ref.provider, dist=ref.dist, build=reg.build,
                       module=ref.module or cls.__module__, probe_import=probe_import)


def assert_conforms(component: Any, expected_failures: Optional[Dict[str, str]] = None,
                    **kwargs: Any) -> ComponentReport:
    """Run the kit on a :class:`ComponentRef`, ``"role:Name"`` or a class; raise on failure."""
    __tracebackhide__ = True  # pytest shows the report, not this function
    if isinstance(component, str):
        role, _, name = component.partition(":")
        found = collect_components(roles=[role], names=[name])
        if not found:
            from ..registry import resolve
            resolve(role, name)  # raises an actionable RegistryMiss
        component = found[0]
    if isinstance(component, ComponentRef):
        report = check_component(component, expected_failures=expected_failures, **kwargs)
    else:
        report = check_class(component, expected_failures=expected_failures, **kwargs)
    if report.skipped and "pytest" in sys.modules:  # a missing optional extra is a skip
        import pytest

        pytest.skip(f"{report.role}:{report.name}: {report.skipped}")
    if not report.ok:
        raise ConformanceFailure(report)
    return report


def check_dist(dist: str, roles: Optional[Iterable[str]] = None,
               names: Optional[Iterable[str]] = None,
               progress: Optional[Callable[[ComponentRef], None]] = None) -> KitReport:
    """Run the kit on every role component of an installed distribution.

    ``dist`` is a distribution name (``hhir-example-plugin``), a plugin
    entry-point name, or ``all``. Raises :class:`~hhir_core.errors.PluginError`
    if nothing by that name is installed.
    """
    from ..registry import REGISTRIES, ROLES

    t0 = time.perf_counter()
    manager = _manager()
    everything = _norm(dist) == "all"
    mine = [i for i in manager.plugins.values()
            if everything or _norm(dist) in {_norm(i.dist or ""), _norm(i.name)}]
    report = KitReport(dist=dist)
    if not mine and not everything and _norm(dist) != CORE_DIST:
        raise PluginError(describe_dist(dist))
    if mine:
        report.version = ", ".join(sorted({i.version for i in mine if i.version}))
    elif _norm(dist) == CORE_DIST:
        from .. import __version__
        report.version = __version__
    for info in mine:
        report.plugins.append(dict(name=info.name, dist=info.dist, version=info.version,
                                   status=info.status, error=info.error))
        if info.status == "failed":
            report.errors.append(f"plugin {info.name!r} failed to load: {info.error}")
    refs = collect_components(roles=roles, dists=None if everything else [dist], names=names)
    for ref in refs:
        if progress is not None:
            progress(ref)
        report.components.append(check_component(ref))
    provider_names = {i.name for i in mine} | ({"hhir_core"} if _norm(dist) == CORE_DIST
                                                or everything else set())
    for role, reg in REGISTRIES.items():
        if role in ROLES:
            continue
        for name in reg.names():
            if reg.providers.get(name) in provider_names:
                report.unchecked.append(dict(role=role, name=name,
                                             provider=reg.providers[name],
                                             reason="engine registry: no role contract"))
    if not refs and not report.errors and not report.unchecked:
        report.errors.append(describe_dist(dist))
    report.seconds = time.perf_counter() - t0
    return report


__all__ = ["ComponentRef", "CheckResult", "ComponentReport", "KitReport",
           "ConformanceFailure", "collect_components", "describe_dist", "check_class",
           "check_component", "check_dist", "assert_conforms"]
