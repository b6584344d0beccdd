"""Registration rules: interfaces, duplicates, lazy entries, actionable misses."""
from __future__ import annotations

import types

import pytest

from hhir_core.errors import InterfaceError, PluginError, RegistryMiss
from hhir_core.interfaces import Tokenizer
from hhir_core.plugins.manager import get_manager
from hhir_core.registry import TOKENIZERS, miss_message, registry_for, resolve


class NotATokenizer:
    pass


class GoodTokenizer(Tokenizer):
    llm_dim = 4

    def forward(self, x, **extra):
        return x


def _fresh_name(base: str) -> str:
    i = 0
    while f"{base}{i}" in TOKENIZERS:
        i += 1
    return f"{base}{i}"


def test_interface_is_checked_on_registration():
    with pytest.raises(InterfaceError, match="does not implement .*Tokenizer"):
        TOKENIZERS.add(_fresh_name("Bad"), NotATokenizer, provider="test")


def test_duplicate_names_are_refused_with_both_plugins():
    name = _fresh_name("Good")
    TOKENIZERS.add(name, GoodTokenizer, provider="plugin_a")
    with pytest.raises(PluginError) as err:
        TOKENIZERS.add(name, GoodTokenizer, provider="plugin_b")
    assert "plugin_a" in str(err.value) and "plugin_b" in str(err.value)


def test_lazy_entry_resolves_and_checks_interface():
    good, bad = _fresh_name("LazyGood"), _fresh_name("LazyBad")
    TOKENIZERS.add(good, "test_registry:GoodTokenizer", provider="test")
    TOKENIZERS.add(bad, "test_registry:NotATokenizer", provider="test")
    import sys
    sys.modules.setdefault("test_registry", sys.modules[__name__])
    assert TOKENIZERS.get(good) is GoodTokenizer
    with pytest.raises(InterfaceError):
        TOKENIZERS.get(bad)


def test_lazy_entry_import_failure_is_reported():
    name = _fresh_name("Missing")
    TOKENIZERS.add(name, "no_such_module_xyz:Thing", provider="plugin_x")
    with pytest.raises(PluginError, match="plugin_x.*no_such_module_xyz"):
        TOKENIZERS.get(name)


def test_miss_message_is_actionable():
    get_manager().load()
    msg = miss_message(registry_for("tokenizer"), "HyperbolicVQTokeniser")
    assert "close matches: HyperbolicVQTokenizer" in msg
    msg = miss_message(registry_for("model"), "HyperbolicVQTokenizer")
    assert "registered as a tokenizer" in msg and "hhir_llm_ar" in msg
    with pytest.raises(RegistryMiss):
        resolve("tokenizer", "DefinitelyNotThere")
    with pytest.raises(RegistryMiss, match="valid roles"):
        registry_for("tokeniser")


def test_build_miss_raises_registry_miss():
    with pytest.raises(RegistryMiss, match="not a registered tokenizer"):
        TOKENIZERS.build(dict(type="NoSuchTokenizer"))


def test_add_plugin_registers_module_hooks():
    from hhir_core.plugins import hookimpl

    name = _fresh_name("ModTok")
    module = types.ModuleType("inline_plugin")

    @hookimpl
    def hhir_register(register):
        register("tokenizer", name, GoodTokenizer)

    module.hhir_register = hhir_register
    info = get_manager().add_plugin(f"inline_{name}", module)
    assert info.status == "ok", info.error
    assert TOKENIZERS.get(name) is GoodTokenizer
    assert TOKENIZERS.providers[name] == f"inline_{name}"


def test_first_lookup_loads_plugins():
    """A fresh process can build/get by name before anything loaded the plugins."""
    import subprocess

    from helpers import PYTHON

    code = ("from hhir_core.registry import TOKENIZERS\n"
            "print(TOKENIZERS.get('HyperbolicVQTokenizer').__name__)")
    out = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "HyperbolicVQTokenizer", out.stderr[-2000:]
