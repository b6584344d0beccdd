"""The conformance checks, one function per check.

Every check takes a :class:`CheckContext` (the component under test, its
``tiny()`` factory and ``example_inputs()``, cached reference outputs) and
either returns a short note (pass), raises :class:`NotApplicable` (the check
does not apply, e.g. ``state_dict`` for a component that is not an
``nn.Module``) or raises :class:`CheckFailed` / ``AssertionError`` (fail).

Why derive everything from ``tiny()`` and ``example_inputs()``: a plugin author
writes those two and gets all checks; the project's own test-suite runs them
over the whole registry.
"""
from __future__ import annotations

import copy
import dataclasses
import functools
import inspect
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

#: absolute tolerances used when two runs must give "the same outputs"
RTOL, ATOL = 1e-5, 1e-6
#: default import-time limit (seconds, generous: timings on shared CI are noisy)
IMPORT_TIME_LIMIT = float(os.environ.get("HHIR_IMPORT_TIME_LIMIT", "5"))
SEED = 0


class CheckFailed(AssertionError):
    """A check found a contract violation (the message says which)."""


class NotApplicable(Exception):
    """The check does not apply to this component (reported as ``n/a``)."""


class Blocked(Exception):
    """A check could not run because an earlier one failed (reported as ``blocked``)."""


# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------
def seed_everything(seed: int) -> None:
    """Seed python, numpy and torch RNGs (what "under a fixed seed" means here)."""
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed % (2 ** 32))
    torch.manual_seed(seed)


def is_module(obj: Any) -> bool:
    import torch

    return isinstance(obj, torch.nn.Module)


def leaves(obj: Any, path: str = "output") -> Iterator[Tuple[str, Any]]:
    """Flatten an output (tensors, arrays, dataclasses, dicts, sequences) to ``(path, leaf)``."""
    import numpy as np
    import torch

    if isinstance(obj, (torch.Tensor, np.ndarray, np.generic, str, bytes, int, float, bool,
                        type(None))):
        yield path, obj
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            yield from leaves(getattr(obj, f.name), f"{path}.{f.name}")
    elif isinstance(obj, dict):
        for k in sorted(obj, key=str):
            yield from leaves(obj[k], f"{path}[{k!r}]")
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            yield from leaves(v, f"{path}[{i}]")
    else:
        yield path, f"<{type(obj).__module__}.{type(obj).__qualname__}>"


def compare_outputs(a: Any, b: Any) -> List[str]:
    """Differences between two outputs (empty list: the same within RTOL/ATOL)."""
    import numpy as np
    import torch

    la, lb = dict(leaves(a)), dict(leaves(b))
    problems = []
    if la.keys() != lb.keys():
        return [f"output structure differs: {sorted(set(la) ^ set(lb))[:5]}"]
    for key, x in la.items():
        y = lb[key]
        if isinstance(x, torch.Tensor) or isinstance(y, torch.Tensor):
            if not (isinstance(x, torch.Tensor) and isinstance(y, torch.Tensor)):
                problems.append(f"{key}: type differs")
                continue
            x, y = x.detach().cpu(), y.detach().cpu()
            if x.shape != y.shape or x.dtype != y.dtype:
                problems.append(f"{key}: {tuple(x.shape)} {x.dtype} vs {tuple(y.shape)} {y.dtype}")
            elif x.is_floating_point() or x.is_complex():
                if not torch.allclose(x, y, rtol=RTOL, atol=ATOL, equal_nan=True):
                    diff = (x.double() - y.double()).abs().nan_to_num(0).max().item()
                    problems.append(f"{key}: values differ (max abs diff {diff:.3g})")
            elif not torch.equal(x, y):
                problems.append(f"{key}: values differ")
        elif isinstance(x, (np.ndarray, np.generic)):
            x, y = np.asarray(x), np.asarray(y)
            if x.shape != y.shape or x.dtype != y.dtype:
                problems.append(f"{key}: {x.shape} {x.dtype} vs {y.shape} {y.dtype}")
            elif np.issubdtype(x.dtype, np.floating):
                if not np.allclose(x, y, rtol=RTOL, atol=ATOL, equal_nan=True):
                    problems.append(f"{key}: values differ")
            elif not np.array_equal(x, y):
                problems.append(f"{key}: values differ")
        elif isinstance(x, float) and isinstance(y, float):
            if not (math.isclose(x, y, rel_tol=RTOL, abs_tol=ATOL) or (x != x and y != y)):
                problems.append(f"{key}: {x} vs {y}")
        elif x != y:
            problems.append(f"{key}: {x!r} vs {y!r}")
    return problems


def _overrides(cls: type, attr: str) -> bool:
    """Whether ``cls`` defines ``attr`` itself rather than inheriting the base default."""
    from ..interfaces.base import RoleComponent

    mine = inspect.getattr_static(cls, attr, None)
    base = inspect.getattr_static(RoleComponent, attr, None)
    unwrap = lambda m: getattr(m, "__func__", m)  # noqa: E731
    return mine is not None and unwrap(mine) is not unwrap(base)


def _plain(value: Any) -> bool:
    """Whether ``value`` survives an mmengine Config dump (plain python data)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return not (isinstance(value, float) and not math.isfinite(value))
    if isinstance(value, (list, tuple)):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    return False


class _CaptureInit:
    """Record the constructor arguments of the first ``cls(...)`` made inside the block.

    Why: components that only define ``tiny()`` (no ``tiny_config()``) still
    get a config round-trip: their tiny kwargs are read from the call.
    """

    def __init__(self, cls: type) -> None:
        self.cls = cls
        self.kwargs: Optional[Dict[str, Any]] = None

    def __enter__(self) -> "_CaptureInit":
        cls, own = self.cls, self.cls.__dict__.get("__init__")
        init = cls.__init__
        self._own = own

        @functools.wraps(init)
        def wrapper(obj: Any, *args: Any, **kwargs: Any) -> None:
            if self.kwargs is None and type(obj) is cls:
                try:
                    bound = inspect.signature(init).bind(obj, *args, **kwargs)
                    items = list(bound.arguments.items())[1:]
                    params = inspect.signature(init).parameters
                    out: Dict[str, Any] = {}
                    for k, v in items:
                        if params[k].kind is inspect.Parameter.VAR_KEYWORD:
                            out.update(v)
                        elif params[k].kind is inspect.Parameter.VAR_POSITIONAL:
                            out["*" + k] = v
                        else:
                            out[k] = v
                    self.kwargs = out
                except TypeError:
                    self.kwargs = {"*args": args, **kwargs}
            init(obj, *args, **kwargs)

        cls.__init__ = wrapper  # type: ignore[misc]
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._own is None:
            del self.cls.__init__
        else:
            self.cls.__init__ = self._own  # type: ignore[misc]


# --------------------------------------------------------------------------------------
# the context shared by the checks of one component
# --------------------------------------------------------------------------------------
class CheckContext:
    """The component under test plus cached instances/outputs (built lazily)."""

    def __init__(self, role: str, name: str, cls: type, build: Optional[Callable] = None,
                 import_probe: Optional[Dict[str, Any]] = None) -> None:
        self.role, self.name, self.cls = role, name, cls
        #: builds an instance from a config dict (registry build); None: cls(**kwargs)
        self.build = build
        #: result of the import subprocess for the class's module (see probe_imports)
        self.import_probe = import_probe
        self._reference: Optional[Tuple[Any, Any]] = None
        self.tiny_kwargs: Optional[Dict[str, Any]] = None
        self.factory_error: Optional[str] = None

    # -- factory ------------------------------------------------------------------
    def new(self, seed: int = SEED) -> Any:
        """A fresh ``tiny()`` instance built under ``seed``."""
        seed_everything(seed)
        with _CaptureInit(self.cls) as cap:
            inst = self.cls.tiny()
        if self.tiny_kwargs is None:
            self.tiny_kwargs = cap.kwargs
        return inst

    def inputs(self, inst: Any, seed: int = SEED) -> Tuple[tuple, Dict[str, Any]]:
        """``example_inputs()`` under ``seed``, validated as ``(args, kwargs)``."""
        seed_everything(seed)
        ex = inst.example_inputs()
        if not (isinstance(ex, (tuple, list)) and len(ex) == 2
                and isinstance(ex[0], (tuple, list)) and isinstance(ex[1], dict)):
            raise CheckFailed(f"example_inputs() must return (args: tuple, kwargs: dict), "
                              f"got {type(ex).__name__}")
        return tuple(ex[0]), dict(ex[1])

    def call(self, inst: Any, inputs: Tuple[tuple, Dict[str, Any]], train: bool,
             seed: int = SEED) -> Any:
        """Run the role's main method on a copy of ``inputs`` (train or eval mode).

        Autograd stays on in eval mode too: some contracts (a causal head's
        loss) legitimately assert a gradient path, and tiny instances are cheap.
        """
        if is_module(inst):
            inst.train(train)
        args, kwargs = copy.deepcopy(inputs)
        method = getattr(inst, getattr(inst, "main_method", "forward") or "forward")
        seed_everything(seed)
        return method(*args, **kwargs)

    def reference(self) -> Tuple[Any, Tuple[tuple, Dict[str, Any]], Any]:
        """``(instance, inputs, eval output)`` of a fresh seed-0 instance (cached).

        The eval output is taken before anything runs in train mode, so state
        updated by training forwards (BatchNorm, EMA codebooks) cannot leak in.
        """
        if self._reference is None:
            if self.factory_error:
                raise Blocked(f"factory failed: {self.factory_error}")
            inst = self.new(SEED)
            inputs = self.inputs(inst)
            out = self.call(inst, inputs, train=False)
            self._reference = (inst, inputs, out)
        return self._reference  # type: ignore[return-value]

    def config(self) -> Dict[str, Any]:
        """The tiny instance's constructor kwargs, as a config would hold them.

        With the base ``tiny()`` that is ``tiny_config()``; when a class
        overrides ``tiny()`` it is what ``tiny()`` actually passed to the
        constructor (captured), so the check compares like with like.
        """
        if not _overrides(self.cls, "tiny"):
            cfg = self.cls.tiny_config()
            if not isinstance(cfg, dict):
                raise CheckFailed(f"tiny_config() must return a dict, got {type(cfg).__name__}")
            return dict(cfg)
        self.reference()
        kwargs = self.tiny_kwargs
        if kwargs is None:
            raise CheckFailed("tiny() did not construct the class itself, so its config is "
                              "unknown; define tiny_config() returning the constructor kwargs "
                              "and drop the tiny() override")
        return dict(kwargs)


# --------------------------------------------------------------------------------------
# checks (registered in CHECKS, in run order)
# --------------------------------------------------------------------------------------
def check_factory(ctx: CheckContext) -> str:
    """``tiny()`` (or ``tiny_config()``) and ``example_inputs()`` exist and work."""
    missing = []
    if not (_overrides(ctx.cls, "tiny") or _overrides(ctx.cls, "tiny_config")):
        missing.append("tiny() (or tiny_config())")
    if not _overrides(ctx.cls, "example_inputs"):
        missing.append("example_inputs()")
    if missing:
        ctx.factory_error = "missing " + " and ".join(missing)
        raise CheckFailed(f"{ctx.cls.__module__}.{ctx.cls.__qualname__} does not define "
                          f"{' and '.join(missing)}; the kit builds every check from them")
    try:
        ctx.reference()
    except CheckFailed as exc:
        ctx.factory_error = str(exc)
        raise
    except Exception as exc:
        ctx.factory_error = f"{type(exc).__name__}: {exc}"
        raise CheckFailed(f"tiny()/example_inputs()/{ctx.cls.main_method}() raised "
                          f"{type(exc).__name__}: {exc}") from exc
    inst = ctx._reference[0]  # type: ignore[index]
    if is_module(inst):
        n = sum(p.numel() for p in inst.parameters())
        return f"{n} parameters"
    return "ok"


def check_contract(ctx: CheckContext) -> str:
    """Output shapes/dtypes per the role contract (``check_output``), train and eval mode."""
    from ..interfaces import INTERFACES

    inst, inputs, out_eval = ctx.reference()
    if ctx.role in INTERFACES and not isinstance(inst, INTERFACES[ctx.role]):
        raise CheckFailed(f"instance is not a {INTERFACES[ctx.role].__name__}")
    args, kwargs = inputs
    try:
        inst.check_output(out_eval, args, kwargs)
    except AssertionError as exc:
        raise CheckFailed(f"eval-mode output breaks the {ctx.role} contract: {exc}") from exc
    if is_module(inst):
        fresh = ctx.new(SEED)
        out_train = ctx.call(fresh, ctx.inputs(fresh), train=True)
        try:
            inst.check_output(out_train, args, kwargs)
        except AssertionError as exc:
            raise CheckFailed(f"train-mode output breaks the {ctx.role} contract: {exc}") from exc
    return "train+eval" if is_module(inst) else "ok"


def check_capabilities(ctx: CheckContext) -> str:
    """The contract's extra methods and every optional capability the class declares work.

    The checks come from the contract (``capability_checks()``) and run on a
    fresh ``tiny()`` instance; a capability the class does not declare is not
    checked (its consumers get the contract's default or a clear error).
    """
    ctx.reference()
    inst = ctx.new(SEED)
    fns = inst.capability_checks() if hasattr(inst, "capability_checks") else {}
    declared = list(type(inst).declared_capabilities()) \
        if hasattr(type(inst), "declared_capabilities") else []
    if not fns:
        raise NotApplicable("the contract defines no extra method to check"
                            + (f"; declares {', '.join(declared)}" if declared else ""))
    notes, failures = [], []
    for name, fn in fns.items():
        seed_everything(SEED)
        try:
            notes.append(f"{name}: {fn()}")
        except AssertionError as exc:
            failures.append(f"{name}: {exc}")
        except Exception as exc:
            failures.append(f"{name} raised {type(exc).__name__}: {exc}")
    if failures:
        raise CheckFailed("; ".join(failures))
    return f"declares [{', '.join(declared) or 'none'}]; " + "; ".join(notes)


def check_finite(ctx: CheckContext) -> str:
    """No NaN/Inf in any floating output."""
    import numpy as np
    import torch

    _, _, out = ctx.reference()
    bad = []
    for path, v in leaves(out):
        if isinstance(v, torch.Tensor) and v.is_floating_point():
            if not torch.isfinite(v).all():
                bad.append(path)
        elif isinstance(v, np.ndarray) and np.issubdtype(v.dtype, np.floating):
            if not np.isfinite(v).all():
                bad.append(path)
        elif isinstance(v, float) and not math.isfinite(v):
            bad.append(path)
    if bad:
        raise CheckFailed(f"non-finite values in {', '.join(bad)}")
    return "ok"


def check_cpu_only(ctx: CheckContext) -> str:
    """Parameters, buffers and outputs live on the CPU (the tiny instance needs no GPU)."""
    import torch

    inst, _, out = ctx.reference()
    bad = [p for p, v in leaves(out) if isinstance(v, torch.Tensor) and v.device.type != "cpu"]
    if is_module(inst):
        bad += [n for n, t in list(inst.named_parameters()) + list(inst.named_buffers())
                if t.device.type != "cpu"]
    if bad:
        raise CheckFailed(f"not on the CPU: {', '.join(bad[:8])}")
    return "ok"


def check_gradients(ctx: CheckContext) -> str:
    """Every trainable parameter gets a finite gradient from the summed floating outputs."""
    import torch

    ctx.reference()
    inst = ctx.new(SEED)
    if not is_module(inst):
        raise NotApplicable("not an nn.Module")
    trainable = [(n, p) for n, p in inst.named_parameters() if p.requires_grad]
    if not trainable:
        raise NotApplicable("no trainable parameters")
    inst.zero_grad(set_to_none=True)
    out = ctx.call(inst, ctx.inputs(inst), train=True)
    parts = [v.float().sum() for _, v in leaves(out)
             if isinstance(v, torch.Tensor) and v.is_floating_point() and v.requires_grad]
    if not parts:
        raise CheckFailed(f"no floating output depends on the {len(trainable)} trainable "
                          "parameters (nothing requires grad in train mode)")
    torch.stack(parts).sum().backward()
    missing = [n for n, p in trainable if p.grad is None]
    if missing:
        more = f" (+{len(missing) - 8} more)" if len(missing) > 8 else ""
        raise CheckFailed(f"{len(missing)} of {len(trainable)} trainable parameters get no "
                          f"gradient: {', '.join(missing[:8])}{more} (freeze them with "
                          "requires_grad=False or use them)")
    nonfinite = [n for n, p in trainable if not torch.isfinite(p.grad).all()]
    if nonfinite:
        raise CheckFailed(f"non-finite gradients in {', '.join(nonfinite[:8])}")
    return f"{len(trainable)} trainable tensors"


def check_determinism(ctx: CheckContext) -> str:
    """Two fresh ``tiny()`` instances under the same seed give the same outputs."""
    _, _, out_a = ctx.reference()
    inst = ctx.new(SEED)
    out_b = ctx.call(inst, ctx.inputs(inst), train=False)
    problems = compare_outputs(out_a, out_b)
    if problems:
        raise CheckFailed("same seed, different outputs: " + "; ".join(problems[:4]))
    return "ok"


def check_config_roundtrip(ctx: CheckContext) -> str:
    """mmengine Config dump -> load -> build by name gives the same outputs as ``tiny()``."""
    from mmengine.config import Config

    _, inputs, out_a = ctx.reference()
    kwargs = ctx.config()
    bad = [k for k, v in kwargs.items() if not _plain(v) or k.startswith("*")]
    if bad:
        raise CheckFailed(
            "the tiny config holds values a config file cannot: "
            + ", ".join(f"{k}={type(kwargs[k]).__name__}" for k in bad)
            + "; make tiny_config() return plain python data (numbers, strings, lists, dicts)")
    if "type" in kwargs:
        raise CheckFailed("tiny_config() must not contain 'type' (the kit adds the "
                          "registered name)")
    cfg = dict(type=ctx.name, **kwargs)
    with tempfile.TemporaryDirectory(prefix="hhir_kit_") as tmp:
        path = os.path.join(tmp, "component.py")
        Config(dict(component=cfg)).dump(path)
        loaded = Config.fromfile(path).component
    hint = ("; tiny() must equal building dict(type=name, **tiny_config()) - move extra "
            "set-up into constructor arguments, or define tiny_config() accordingly")
    seed_everything(SEED)
    try:
        if ctx.build is not None:
            inst = ctx.build(loaded)
        else:
            plain = loaded.to_dict()
            plain.pop("type")
            inst = ctx.cls(**plain)
    except Exception as exc:
        raise CheckFailed(f"building {json.dumps(cfg, default=str)[:160]} from the dumped "
                          f"config raised {type(exc).__name__}: {exc}") from exc
    if type(inst) is not ctx.cls:
        raise CheckFailed(f"building {cfg['type']!r} gave {type(inst).__qualname__}, "
                          f"not {ctx.cls.__qualname__}")
    try:
        out_b = ctx.call(inst, inputs, train=False)
    except Exception as exc:
        raise CheckFailed(f"the instance built from the dumped config raised "
                          f"{type(exc).__name__}: {exc}{hint}") from exc
    problems = compare_outputs(out_a, out_b)
    if problems:
        raise CheckFailed("built from the dumped config, outputs differ from tiny(): "
                          + "; ".join(problems[:4]) + hint)
    return json.dumps(cfg, default=str)[:200]


def check_state_dict(ctx: CheckContext) -> str:
    """``torch.save(state_dict)`` -> ``torch.load(weights_only=True)`` restores the outputs."""
    import io

    import torch

    _, inputs, out_a = ctx.reference()
    src = ctx.new(SEED)
    if not is_module(src):
        raise NotApplicable("not an nn.Module")
    buf = io.BytesIO()
    torch.save(src.state_dict(), buf)
    size = buf.tell()
    buf.seek(0)
    try:
        state = torch.load(buf, weights_only=True, map_location="cpu")
    except Exception as exc:
        raise CheckFailed(f"state_dict does not load with weights_only=True: "
                          f"{type(exc).__name__}: {str(exc).splitlines()[0]}") from exc
    dst = ctx.new(SEED + 1)
    try:
        dst.load_state_dict(state, strict=True)
    except Exception as exc:
        raise CheckFailed(f"load_state_dict(strict=True) failed: {exc}") from exc
    out_b = ctx.call(dst, inputs, train=False)
    problems = compare_outputs(out_a, out_b)
    if problems:
        raise CheckFailed("after loading the saved state_dict into a differently seeded "
                          "instance, outputs differ: " + "; ".join(problems[:4]))
    return f"{size / 1024:.1f} KiB"


def check_import_side_effects(ctx: CheckContext) -> str:
    """Importing the module (fresh interpreter, temp cwd/HOME/TMP) writes no file, opens no socket."""
    probe = ctx.import_probe
    if probe is None:
        raise NotApplicable("import probe not run")
    if probe.get("error"):
        raise CheckFailed(f"import of {probe['module']} failed in a fresh interpreter: "
                          f"{probe['error']}")
    problems = []
    if probe.get("new_files"):
        problems.append("files written at import: " + ", ".join(probe["new_files"][:6]))
    if probe.get("network"):
        problems.append("network access at import: " + ", ".join(probe["network"][:3]))
    if problems:
        raise CheckFailed(f"importing {probe['module']}: " + "; ".join(problems))
    return probe["module"]


def check_import_time(ctx: CheckContext) -> str:
    """Import time of the module in a fresh interpreter (torch and hhir_core preloaded)."""
    probe = ctx.import_probe
    if probe is None:
        raise NotApplicable("import probe not run")
    if probe.get("error"):
        raise Blocked("import failed")
    seconds = probe["seconds"]
    if seconds > IMPORT_TIME_LIMIT:
        raise CheckFailed(f"importing {probe['module']} took {seconds:.2f} s (limit "
                          f"{IMPORT_TIME_LIMIT:g} s, HHIR_IMPORT_TIME_LIMIT); import heavy "
                          "libraries inside functions")
    return f"{seconds:.3f} s"


#: check name -> function, in the order they run
CHECKS: Dict[str, Callable[[CheckContext], str]] = {
    "import_side_effects": check_import_side_effects,
    "import_time": check_import_time,
    "factory": check_factory,
    "contract": check_contract,
    "capabilities": check_capabilities,
    "finite": check_finite,
    "cpu_only": check_cpu_only,
    "gradients": check_gradients,
    "determinism": check_determinism,
    "config_roundtrip": check_config_roundtrip,
    "state_dict": check_state_dict,
}
#: evaluated by the kit around all in-process checks (socket guard)
NO_NETWORK = "no_network"
ALL_CHECKS: Tuple[str, ...] = tuple(CHECKS) + (NO_NETWORK,)


# --------------------------------------------------------------------------------------
# the import probe (one fresh interpreter for a list of modules)
# --------------------------------------------------------------------------------------
_PROBE_SCRIPT = textwrap.dedent(r"""
    import importlib, json, os, socket, sys, time
    attempts = []
    def _guard(name):
        def blocked(*a, **k):
            attempts.append(f"{name}{a[1:3] if name.startswith('socket.') else a[:2]}")
            raise OSError("network access blocked by the hhir conformance kit")
        return blocked
    socket.socket.connect = _guard("socket.connect")
    socket.socket.connect_ex = _guard("socket.connect_ex")
    socket.create_connection = _guard("create_connection")
    socket.getaddrinfo = _guard("getaddrinfo")
    roots = json.loads(os.environ["HHIR_PROBE_ROOTS"])
    def snapshot():
        seen = {}
        for root in roots:
            for d, dirs, files in os.walk(root):
                dirs[:] = [x for x in dirs if x != "__pycache__"]
                for f in files:
                    p = os.path.join(d, f)
                    try:
                        st = os.stat(p)
                    except OSError:
                        continue
                    seen[p] = (st.st_size, st.st_mtime_ns)
        return seen
    import torch, hhir_core.registry  # the host's baseline, not charged to the plugin
    results = {}
    for m in json.loads(os.environ["HHIR_PROBE_MODULES"]):
        before, n0 = snapshot(), len(attempts)
        t0 = time.perf_counter()
        err = None
        try:
            importlib.import_module(m)
        except BaseException as e:
            err = f"{type(e).__name__}: {e}"
        dt = time.perf_counter() - t0
        after = snapshot()
        new = sorted(p for p, s in after.items() if before.get(p) != s)
        results[m] = dict(module=m, seconds=dt, error=err, new_files=new,
                          network=attempts[n0:])
    sys.stdout.write("\n@@HHIR_PROBE@@" + json.dumps(results))
""")

_REDIRECTED_ENV = ("HF_HOME", "HF_HUB_CACHE", "TRANSFORMERS_CACHE", "XDG_CACHE_HOME",
                   "XDG_CONFIG_HOME", "XDG_DATA_HOME", "MPLCONFIGDIR", "TORCH_HOME",
                   "HHIR_CACHE", "PYTHONSTARTUP")


def probe_imports(modules: Sequence[str], timeout: float = 180.0) -> Dict[str, Dict[str, Any]]:
    """Import ``modules`` one by one in a fresh interpreter; report time, writes, sockets.

    Why a subprocess: import side effects and import time are only visible
    in an interpreter that has not imported the module yet. cwd, HOME and
    TMPDIR point into an empty temporary folder, cache variables are unset
    (so caches would land there), and the package folders of the modules are
    watched too. Each module's time is incremental (modules probed earlier
    may have imported shared dependencies); torch and ``hhir_core.registry``
    are imported first and not charged.
    """
    import importlib.util

    modules = list(dict.fromkeys(modules))
    with tempfile.TemporaryDirectory(prefix="hhir_probe_") as tmp:
        cwd, home, tmpdir = (os.path.join(tmp, d) for d in ("cwd", "home", "tmp"))
        for d in (cwd, home, tmpdir):
            os.makedirs(d)
        roots = [cwd, home, tmpdir]
        for m in modules:
            try:
                spec = importlib.util.find_spec(m.split(".")[0])
            except (ImportError, ValueError):
                spec = None
            for loc in (spec.submodule_search_locations or []) if spec else []:
                roots.append(loc)
        env = {k: v for k, v in os.environ.items() if k not in _REDIRECTED_ENV}
        env.update(HOME=home, TMPDIR=tmpdir, TMP=tmpdir, TEMP=tmpdir, PYTHONDONTWRITEBYTECODE="1",
                   HHIR_PROBE_ROOTS=json.dumps(roots), HHIR_PROBE_MODULES=json.dumps(modules),
                   OMP_NUM_THREADS="1", PYTHONPATH=os.pathsep.join(
                       p for p in sys.path if p and os.path.isdir(p)))
        t0 = time.perf_counter()
        try:
            proc = subprocess.run([sys.executable, "-c", _PROBE_SCRIPT], cwd=cwd, env=env,
                                  capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return {m: dict(module=m, seconds=timeout, error=f"import probe timed out after "
                            f"{timeout:.0f} s", new_files=[], network=[]) for m in modules}
        out, _, payload = proc.stdout.rpartition("@@HHIR_PROBE@@")
        if proc.returncode != 0 or not payload:
            err = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            return {m: dict(module=m, seconds=time.perf_counter() - t0,
                            error=f"probe interpreter failed: {err}", new_files=[], network=[])
                    for m in modules}
        results = json.loads(payload)
        for r in results.values():  # paths relative to the temp root read better
            r["new_files"] = [p.replace(tmp, "<tmp>") for p in r["new_files"]]
        return results


_PROBE_CACHE: Dict[str, Dict[str, Any]] = {}


def probe_cached(modules: Sequence[str]) -> Dict[str, Dict[str, Any]]:
    """:func:`probe_imports` for the modules not probed yet in this process."""
    todo = [m for m in modules if m not in _PROBE_CACHE]
    if todo:
        _PROBE_CACHE.update(probe_imports(todo))
    return {m: _PROBE_CACHE[m] for m in modules}


__all__ = ["CHECKS", "ALL_CHECKS", "NO_NETWORK", "CheckContext", "CheckFailed", "NotApplicable",
           "Blocked", "probe_imports", "probe_cached", "compare_outputs", "leaves",
           "seed_everything", "IMPORT_TIME_LIMIT", "Path"]
