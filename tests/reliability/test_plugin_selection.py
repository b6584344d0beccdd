"""HHIR_PLUGINS entries that match no installed plugin are reported, not ignored."""
from __future__ import annotations

import warnings

from hhir_core.plugins.manager import PluginManager


def test_unknown_name_in_hhir_plugins_warns(monkeypatch) -> None:
    monkeypatch.setenv("HHIR_PLUGINS", "hhir_mmacton,hhir_mmaction")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        manager = PluginManager()
        manager.load()
    messages = [str(w.message) for w in caught if "HHIR_PLUGINS" in str(w.message)]
    assert len(messages) == 1 and "'hhir_mmacton'" in messages[0]
    assert "did you mean hhir_mmaction" in messages[0]
    assert "hhir_mmaction" in manager.plugins  # the real name is still selected


def test_known_names_do_not_warn(monkeypatch) -> None:
    monkeypatch.setenv("HHIR_PLUGINS", "hhir_mmaction")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        PluginManager().load()
    assert not [w for w in caught if "HHIR_PLUGINS" in str(w.message)]
