"""Plugin machinery: hook specs and the manager (discovery, isolation, allow-list)."""
from .hookspecs import hookimpl, hookspec

__all__ = ["hookimpl", "hookspec"]
