"""Plugin discovery, isolation, allow-list, strict mode and the CLI around them."""
from __future__ import annotations

import json
import re
import subprocess
import textwrap
import time
from pathlib import Path

import pytest

from helpers import PYTHON, env_with_path, make_plugin

BROKEN_IMPORT = """
raise RuntimeError("boom at import")
"""
DUPLICATE = """
from hhir_core.plugins import hookimpl

@hookimpl
def hhir_register(register):
    register("model", "DupOnlyHere", "hhir_dup.plugin:Nothing")
    register("transform", "UniformSampleFrames", "hhir_dup.plugin:Nothing")
"""
GOOD = """
from hhir_core.plugins import hookimpl

@hookimpl
def hhir_register(register):
    register("metric", "GoodMetric", "hhir_good.metric:GoodMetric")
"""
GOOD_METRIC = {"metric": """
from mmengine.evaluator import BaseMetric

class GoodMetric(BaseMetric):
    def process(self, data_batch, data_samples):
        pass

    def compute_metrics(self, results):
        return {}
"""}


@pytest.fixture()
def plugin_root(tmp_path):
    make_plugin(tmp_path, "hhir_broken", BROKEN_IMPORT)
    make_plugin(tmp_path, "hhir_dup", DUPLICATE)
    make_plugin(tmp_path, "hhir_good", GOOD, GOOD_METRIC)
    return tmp_path


def _hhir(args, env):
    return subprocess.run([PYTHON, "-m", "hhir_core.cli", *args], env=env, capture_output=True,
                          text=True, timeout=120)


def test_broken_and_duplicate_plugins_are_isolated(plugin_root):
    env = env_with_path(plugin_root)
    out = _hhir(["plugins", "list", "--json"], env)
    assert out.returncode == 0, out.stderr
    rows = {r["name"]: r for r in json.loads(out.stdout)}
    assert rows["hhir_broken"]["status"] == "failed"
    assert "boom at import" in rows["hhir_broken"]["error"]
    dup = rows["hhir_dup"]
    assert dup["status"] == "failed"
    # the error names both plugins involved in the collision
    assert "UniformSampleFrames" in dup["error"] and "hhir_core" in dup["error"] \
        and "hhir_dup" in dup["error"]
    # the duplicate plugin's other registration was rolled back
    assert dup["components"] == {}
    assert rows["hhir_good"]["status"] == "ok"
    assert rows["hhir_good"]["components"] == {"metric": ["GoodMetric"]}
    for name in ("hhir_llm_ar", "hhir_ski", "hhir_pevl", "hhir_ov_hhir", "hhir_mmaction"):
        assert rows[name]["status"] == "ok", rows[name]
    comps = _hhir(["components", "model", "--json"], env)
    names = {r["name"] for r in json.loads(comps.stdout)}
    assert "DupOnlyHere" not in names


def test_registry_miss_names_failed_plugins(plugin_root):
    code = ("from hhir_core.registry import resolve\n"
            "try:\n    resolve('model', 'SomethingFromBroken')\n"
            "except KeyError as e:\n    print(e)\n")
    out = subprocess.run([PYTHON, "-c", code], env=env_with_path(plugin_root),
                         capture_output=True, text=True, timeout=120)
    assert "plugin 'hhir_broken' failed to load" in out.stdout
    assert "boom at import" in out.stdout


def test_strict_mode_reraises(plugin_root):
    out = _hhir(["plugins", "list"], env_with_path(plugin_root, HHIR_STRICT_PLUGINS="1"))
    assert out.returncode != 0
    assert "hhir_broken" in out.stderr and "boom at import" in out.stderr


def test_allow_list_and_autoload_switch(plugin_root):
    out = _hhir(["plugins", "list", "--json"], env_with_path(plugin_root,
                                                              HHIR_PLUGINS="hhir_good"))
    rows = {r["name"]: r for r in json.loads(out.stdout)}
    assert rows["hhir_good"]["status"] == "ok"
    assert rows["hhir_broken"]["status"] == "disabled"
    assert rows["hhir_llm_ar"]["status"] == "disabled"
    out = _hhir(["plugins", "list", "--json"],
                env_with_path(plugin_root, HHIR_DISABLE_PLUGIN_AUTOLOAD="1"))
    assert json.loads(out.stdout) == []


def test_plugins_list_is_fast_and_lazy():
    code = ("import sys, time; t=time.perf_counter();"
            "from hhir_core.cli import main; main(['plugins','list','--json']);"
            "print('ELAPSED', time.perf_counter()-t);"
            "print('HEAVY', [m for m in ('torch','transformers','mmaction','hhir_llm_ar.recognizer')"
            " if m in sys.modules])")
    start = time.perf_counter()
    out = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, timeout=60)
    wall = time.perf_counter() - start
    assert out.returncode == 0, out.stderr
    assert "HEAVY []" in out.stdout, out.stdout[-300:]
    rows = json.loads(out.stdout.split("ELAPSED")[0])
    assert all(r["status"] == "ok" for r in rows), rows
    # generous bound: listing plugins should take well under 2 s; measured ~0.4 s here
    assert wall < 5, wall


def test_core_import_is_light():
    code = ("import sys, hhir_core, hhir_core.registry, hhir_core.interfaces, hhir_core.structures,"
            " hhir_core.config, hhir_core.plugins.manager, hhir_core.data, hhir_core.llm;"
            "print([m for m in ('torch','transformers','mmaction','hhir_llm_ar','hhir_ski')"
            " if m in sys.modules])")
    out = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_provenance_records_each_plugins_requirements():
    """``hhir_requires`` answers reach provenance.json (docs/plugins.md says so)."""
    from hhir_core.engine.provenance import plugin_requirements
    from hhir_core.plugins.manager import get_manager

    manager = get_manager()
    manager.load()
    if manager.plugins.get("hhir_mmaction") is None or manager.plugins["hhir_mmaction"].status != "ok":
        pytest.skip("hhir_mmaction is not loaded")
    requires = plugin_requirements(manager)
    assert "mmaction2==1.2.0" in requires["hhir_mmaction"]
    assert "hhir_ski" not in requires  # a plugin without the hook has no entry


# -- one loader, owned by the host ---------------------------------------------------------
REPO_ROOT = Path(__file__).resolve().parents[1]
#: the packages of plugins (not their tests): first-party plugins and the example plugin
PLUGIN_PACKAGES = sorted((REPO_ROOT / "plugins").glob("hhir_*")) + [
    REPO_ROOT / "examples" / "third_party_plugin" / "hhir_example_plugin"]
LOADER_USE = re.compile(r"plugins\.manager|plugins import manager|\bget_manager\b|"
                        r"\bload_plugins\b|\breset_manager\b|import_from_location")


def test_no_plugin_module_imports_the_manager_or_calls_a_loader():
    files = [p for pkg in PLUGIN_PACKAGES for p in pkg.rglob("*.py")]
    assert len(files) > 30, files  # the globs found the plugins
    offenders = [f"{p.relative_to(REPO_ROOT)}:{i}: {line.strip()}"
                 for p in files for i, line in enumerate(p.read_text().splitlines(), 1)
                 if LOADER_USE.search(line)]
    assert not offenders, "plugins must leave loading to the host:\n" + "\n".join(offenders)


def test_bare_lookup_loads_plugins_lazily_and_again_after_reset():
    code = textwrap.dedent("""
        from hhir_core.registry import MODELS, TOKENIZERS
        from hhir_core.plugins.manager import get_manager, reset_manager
        assert not get_manager().loaded
        first = TOKENIZERS.get("HyperbolicVQTokenizer")   # no explicit load anywhere
        reset_manager()
        assert "LLMARRecognizer" in MODELS                # membership reloads too
        reset_manager()
        again = TOKENIZERS.get("HyperbolicVQTokenizer")
        print(first is not None, again is first, get_manager().plugins["hhir_llm_ar"].status)
    """)
    out = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["True", "True", "ok"], out.stdout


def test_allow_list_warns_about_names_that_match_no_plugin(plugin_root):
    out = _hhir(["plugins", "list", "--json"],
                env_with_path(plugin_root, HHIR_PLUGINS="hhir_good,hhir_godo"))
    assert out.returncode == 0, out.stderr
    rows = {r["name"]: r for r in json.loads(out.stdout)}
    assert rows["hhir_good"]["status"] == "ok" and "hhir_godo" not in rows
    assert "'hhir_godo', which matches no installed plugin" in out.stderr, out.stderr
    assert "did you mean hhir_good" in out.stderr
    assert "hhir_good'," not in out.stderr  # a name that matches is not warned about


# -- the versioned contract -------------------------------------------------------------------
def _contract_plugin(spec: str, metric: str) -> str:
    return textwrap.dedent(f"""
        from hhir_core.plugins import hookimpl

        @hookimpl
        def hhir_contract():
            return {spec!r}

        @hookimpl
        def hhir_register(register):
            register("metric", {metric!r}, "x.y:Z")
    """)


@pytest.fixture()
def contract_root(tmp_path):
    from hhir_core.interfaces import CONTRACT_VERSION

    major = int(CONTRACT_VERSION.split(".")[0])
    make_plugin(tmp_path, "hhir_future", _contract_plugin(f">={major + 1},<{major + 2}", "FutureMetric"))
    make_plugin(tmp_path, "hhir_current", _contract_plugin(f">={major}.0,<{major + 1}", "CurrentMetric"))
    make_plugin(tmp_path, "hhir_badspec", _contract_plugin("two point oh", "BadSpecMetric"))
    return tmp_path, major


def test_contract_mismatch_is_a_status_not_a_crash(contract_root):
    from hhir_core.interfaces import CONTRACT_VERSION

    root, major = contract_root
    env = env_with_path(root)
    out = _hhir(["plugins", "list"], env)
    assert out.returncode == 0, out.stderr
    expected = (f"incompatible: needs contract >={major + 1},<{major + 2}, "
                f"core has {CONTRACT_VERSION}")
    assert expected in out.stdout, out.stdout
    rows = {r["name"]: r for r in json.loads(_hhir(["plugins", "list", "--json"], env).stdout)}
    future, current, bad = rows["hhir_future"], rows["hhir_current"], rows["hhir_badspec"]
    # an incompatible plugin registers nothing; a compatible one loads as usual
    assert future["status"] == "incompatible" and future["components"] == {}
    assert future["contract"] == f">={major + 1},<{major + 2}"
    assert current["status"] == "ok" and list(current["components"]) == ["metric"]
    assert bad["status"] == "failed" and "not a version range" in bad["error"]
    # first-party plugins declare the range they support
    assert rows["hhir_llm_ar"]["status"] == "ok" and rows["hhir_llm_ar"]["contract"]
    # a miss points at the incompatible plugin
    code = ("from hhir_core.registry import resolve\n"
            "try:\n    resolve('metric', 'FutureMetric')\nexcept KeyError as e:\n    print(e)\n")
    miss = subprocess.run([PYTHON, "-c", code], env=env, capture_output=True, text=True,
                          timeout=120)
    assert "plugin 'hhir_future' is incompatible (needs contract" in miss.stdout, miss.stdout
    # strict mode refuses to start
    strict = _hhir(["plugins", "list"], env_with_path(root, HHIR_STRICT_PLUGINS="1",
                                                      HHIR_PLUGINS="hhir_future"))
    assert strict.returncode != 0
    assert "plugin 'hhir_future' is incompatible: needs contract" in strict.stderr, strict.stderr
