"""What every role component shares: the conformance-kit factory.

A component provides :meth:`tiny` (a small instance that runs on a CPU in well
under a second) and :meth:`example_inputs` (positional/keyword inputs for its
main call). The conformance kit (:mod:`hhir_core.testing`) derives all checks
from these two, so registering a component is enough to get it tested.
"""
from __future__ import annotations

import abc
from typing import Any, Dict, Tuple


class RoleComponent(abc.ABC):
    """Base of the six role interfaces."""

    #: role name, as used by ``register(role, name, obj)``
    role: str = ""
    #: name of the method the conformance kit calls with :meth:`example_inputs`
    main_method: str = "forward"

    @classmethod
    def tiny(cls, **overrides: Any) -> "RoleComponent":
        """A small, CPU-friendly instance for tests (override in components)."""
        return cls(**overrides)  # type: ignore[call-arg]

    def example_inputs(self, batch_size: int = 2) -> Tuple[tuple, Dict[str, Any]]:
        """``(args, kwargs)`` for :attr:`main_method` matching the role contract."""
        raise NotImplementedError(f"{type(self).__name__}.example_inputs is not implemented")

    def check_output(self, output: Any, args: tuple, kwargs: Dict[str, Any]) -> None:
        """Raise ``AssertionError`` if ``output`` breaks the role contract."""
