"""What every role component shares: the conformance-kit factory and optional capabilities.

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
same instance (the kit's ``config_roundtrip`` check).

**Optional capabilities.** A contract may define methods that only some
consumers need (e.g. a tokenizer's ``code_vectors()`` for LLM-AR's vocabulary
tokens). The contract gives each a default, marked with :func:`capability`:
either a documented no-op, or a one-line :class:`~hhir_core.errors.ConfigError`
naming the component and what is missing. A component *declares* a capability
by overriding the method; ``cls.supports(name)`` tells, and the conformance kit
checks every declared capability. A consumer that needs one calls
:func:`require` first, so the error also names the slot.
"""
from __future__ import annotations

import abc
from typing import Any, Callable, Dict, List, Tuple, TypeVar

from ..errors import ConfigError

F = TypeVar("F", bound=Callable[..., Any])


def capability(fn: F) -> F:
    """Mark ``fn`` as a contract's default for an optional capability (not implemented)."""
    fn.__hhir_capability_default__ = True  # type: ignore[attr-defined]
    return fn


class RoleComponent(abc.ABC):
    """Base of the role interfaces."""

    #: role name, as used by ``register(role, name, obj)``
    role: str = ""
    #: name of the method the conformance kit calls with :meth:`example_inputs`
    main_method: str = "forward"
    #: optional capabilities of this contract: method name -> what a consumer uses it for
    optional_capabilities: Dict[str, str] = {}

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

    # -- optional capabilities -------------------------------------------------------
    @classmethod
    def supports(cls, name: str) -> bool:
        """True if this class implements the optional capability ``name``."""
        for klass in cls.__mro__:
            if name in vars(klass):
                fn = vars(klass)[name]
                return not getattr(fn, "__hhir_capability_default__", False)
        return False

    @classmethod
    def declared_capabilities(cls) -> List[str]:
        """The optional capabilities (of every contract this class implements) it provides."""
        names: Dict[str, None] = {}
        for klass in reversed(cls.__mro__):
            for name in getattr(klass, "optional_capabilities", {}) or {}:
                names[name] = None
        return [n for n in names if cls.supports(n)]

    def capability_checks(self) -> Dict[str, Callable[[], str]]:
        """Named checks of the contract's extra methods and declared capabilities.

        The conformance kit runs them on a fresh ``tiny()`` instance; each returns a
        short note or raises ``AssertionError``. Contracts override this.
        """
        return {}


def capability_description(component: Any, name: str) -> str:
    """What the capability ``name`` is for, from the contracts ``component`` implements."""
    cls = component if isinstance(component, type) else type(component)
    for klass in cls.__mro__:
        desc = (getattr(klass, "optional_capabilities", None) or {}).get(name)
        if desc:
            return desc
    return ""


def missing_capability(component: Any, name: str, slot: str = "") -> ConfigError:
    """The one-line error for a component that lacks the optional capability ``name``."""
    cls = component if isinstance(component, type) else type(component)
    role = getattr(cls, "role", "") or "component"
    desc = capability_description(cls, name)
    where = f"{slot}: " if slot else ""
    return ConfigError(f"{where}{role} {cls.__name__} does not implement the optional capability "
                       f"{name}()" + (f" ({desc})" if desc else "")
                       + "; pick a component that does (`hhir components --slots`) "
                       "or change the option that needs it")


def require(component: Any, name: str, slot: str) -> None:
    """Raise :func:`missing_capability` unless ``component`` implements ``name``."""
    cls = component if isinstance(component, type) else type(component)
    if not (hasattr(cls, "supports") and cls.supports(name)):
        raise missing_capability(cls, name, slot)


def expect_contract(component: Any, contract: type, slot: str) -> Any:
    """``component`` if it implements ``contract``; else a ConfigError naming the slot."""
    if not isinstance(component, contract):
        raise ConfigError(
            f"{slot}: {type(component).__name__} does not implement {contract.__name__}, "
            f"which this slot needs ({(contract.__doc__ or '').strip().splitlines()[0]}); "
            "`hhir components --slots` lists the components that fit")
    return component
