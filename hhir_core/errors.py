"""Exceptions for *expected* failures.

The CLI and tools catch :class:`HHIRError` and print one clear message (no
traceback wall); anything else is a bug and keeps its traceback.
"""
from __future__ import annotations


class HHIRError(Exception):
    """Base of all user-facing errors; the message alone must be actionable."""


class ConfigError(HHIRError):
    """A config is invalid; the message names the offending key."""


class RegistryMiss(HHIRError, KeyError):
    """A component name is not registered; the message says where to look."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return self.args[0] if self.args else ""


class InterfaceError(HHIRError, TypeError):
    """A registered object does not implement its role's interface."""


class PluginError(HHIRError):
    """A plugin failed to load or registered something invalid."""


class DataError(HHIRError):
    """Bad or missing data; the message names the file or sample."""


class RequirementError(HHIRError):
    """A config's ``requires`` is not satisfied by the installed plugins."""


class PreflightError(HHIRError):
    """Models, data or extras a config needs are missing; the message lists them all."""


class PluginWarning(UserWarning):
    """Something about the installed plugins deserves attention but breaks nothing."""
