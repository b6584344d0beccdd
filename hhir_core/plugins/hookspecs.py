"""Hook specifications every hhir plugin may implement (pluggy, project ``hhir``).

A plugin is a module listed under the entry-point group ``hhir.plugins``::

    [project.entry-points."hhir.plugins"]
    my_plugin = "my_plugin.plugin"

and implements hooks with ``@hookimpl`` (``from hhir_core.plugins import hookimpl``).
Hooks evolve by *adding* optional hooks; existing signatures never change
within a major version of ``hhir-core`` (see docs/plugins.md).
"""
from __future__ import annotations

from typing import Any, Callable, List, Optional

import pluggy

PROJECT = "hhir"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def hhir_register(register: Callable[[str, str, Any], None]) -> None:
    """Register components: call ``register(role, name, obj)`` for each.

    ``role`` is one of ``hhir_core.registry.REGISTRIES`` (the six roles plus
    model, dataset, transform, metric, loop, hook); ``obj`` is the class or a
    lazy ``"package.module:ClassName"`` string (preferred: listing plugins
    then imports nothing heavy). The host checks the role interface and
    refuses duplicate names.
    """


@hookspec
def hhir_config_dir() -> Optional[str]:
    """Folder of configs packaged with the plugin, addressable as
    ``<plugin_name>::relative/path.py``."""


@hookspec
def hhir_contract() -> Optional[str]:
    """The role-contract versions this plugin supports, as a version specifier.

    E.g. ``">=2.0,<3"``, checked against ``hhir_core.interfaces.CONTRACT_VERSION``
    before ``hhir_register`` runs: outside the range the plugin registers nothing and
    ``hhir plugins list`` shows it as ``incompatible``. Without this hook the plugin
    loads and is listed with contract ``undeclared``.
    """


@hookspec
def hhir_requires() -> Optional[List[str]]:
    """Optional: requirement strings this plugin needs at run time (informational)."""


@hookspec
def hhir_register_commands(subparsers: Any) -> None:
    """Optional: add subcommands to the ``hhir`` command (``subparsers.add_parser(...)``,
    with ``set_defaults(func=...)`` returning an exit code). Import heavy modules inside
    ``func``, not here: every ``hhir`` invocation builds the parser."""
