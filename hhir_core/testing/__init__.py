"""The hhir conformance kit: role-contract checks for registered components.

Everything a plugin author needs is re-exported here, loaded lazily so that
importing this package (which the pytest plugin does in *every* pytest run of
the environment) costs nothing::

    from hhir_core.testing import parametrize_registry, assert_conforms

    @parametrize_registry(dists=["hhir-myplugin"])
    def test_conformance(hhir_component):
        assert_conforms(hhir_component)

See ``docs/plugins.md`` for the checks and how to opt out of one
(``expected_failures = {"check": "reason"}``).
"""
from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "ComponentRef": "hhir_core.testing.kit",
    "CheckResult": "hhir_core.testing.kit",
    "ComponentReport": "hhir_core.testing.kit",
    "KitReport": "hhir_core.testing.kit",
    "ConformanceFailure": "hhir_core.testing.kit",
    "check_component": "hhir_core.testing.kit",
    "check_class": "hhir_core.testing.kit",
    "check_dist": "hhir_core.testing.kit",
    "assert_conforms": "hhir_core.testing.kit",
    "collect_components": "hhir_core.testing.kit",
    "CHECKS": "hhir_core.testing.checks",
    "parametrize_registry": "hhir_core.testing.pytest_plugin",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Import the kit on first use (keeps ``import hhir_core.testing`` free)."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'hhir_core.testing' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
