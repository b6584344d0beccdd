"""What every role component shares: the conformance-kit factory.

A component provides :meth:`tiny_config` (constructor kwargs of a small
instance that runs on a CPU in well under a second; :meth:`tiny` builds it) or
overrides :meth:`tiny` directly, and :meth:`example_inputs` (positional/keyword
inputs for its main call). The conformance kit (:mod:`hhir_core.testing`)
derives all checks from these, so registering a component is enough to get it
tested. Preferred form::

    #: import names of optional extras this component needs (e.g. ``("mmpose",)``);
    #: where one is missing the kit reports the component as skipped, with the reason
    optional_requires: Tuple[str, ...] = ()

    @classmethod
    def tiny_config(cls):
        return dict(in_dim=12, llm_dim=16, num_layers=1)   # plain data only

so ``dict(type="MyName", **MyClass.tiny_config())`` in a config file builds the
same instance (the kit's ``config_roundtrip`` check). Components that only
override ``tiny()`` keep working: the kit reads the kwargs ``tiny()`` passed to
the constructor.
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

    #: explicit conformance opt-outs, ``{"check_name": "why it cannot pass"}``;
    #: shown in every kit report (see ``hhir_core.testing.checks.ALL_CHECKS``)
    expected_failures: Dict[str, str] = {}

    @classmethod
    def tiny_config(cls) -> Dict[str, Any]:
        """Constructor kwargs (plain python data, no ``type``) of the tiny instance."""
        return {}

    @classmethod
    def tiny(cls, **overrides: Any) -> "RoleComponent":
        """A small, CPU-friendly instance: ``cls(**tiny_config(), **overrides)``."""
        return cls(**{**cls.tiny_config(), **overrides})  # type: ignore[call-arg]

    def example_inputs(self, batch_size: int = 2) -> Tuple[tuple, Dict[str, Any]]:
        """``(args, kwargs)`` for :attr:`main_method` matching the role contract."""
        raise NotImplementedError(f"{type(self).__name__}.example_inputs is not implemented")

    def check_output(self, output: Any, args: tuple, kwargs: Dict[str, Any]) -> None:
        """Raise ``AssertionError`` if ``output`` breaks the role contract."""
