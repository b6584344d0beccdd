"""Slots: where a method takes a swappable component, and which components fit.

A method (a registered ``model``) lists its slots in a class attribute
``slots = (Slot(...), ...)``. A slot names the config key, the role, the
contract the method calls through (a name in :data:`hhir_core.interfaces.CONTRACTS`)
and, where it matters, the stream kind, constructor arguments the method fills
in and capabilities it always needs. :func:`component_fits` derives from those
whether a registered class fits; ``hhir components --slots`` prints the table.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Tuple


@dataclass(frozen=True)
class Slot:
    """One swappable sub-component of a method."""

    #: config key of the component, e.g. ``model.tokenizer``
    key: str
    #: registry role the component is built from
    role: str
    #: contract class name the method calls through (``CONTRACTS``)
    contract: str
    #: required ``input_kind`` of the component (``None``: any)
    input_kind: Optional[str] = None
    #: constructor arguments the method fills in (the component must accept them)
    injected: Tuple[str, ...] = ()
    #: optional capabilities the slot always needs
    requires: Tuple[str, ...] = ()
    #: optional capabilities some options of the method use, ``"cap: option"``
    uses: Tuple[str, ...] = ()
    #: where the slot is filled when it is not the model config (a tool's option)
    where: str = ""

    def contract_class(self) -> type:
        from . import CONTRACTS

        return CONTRACTS[self.contract]


def _accepts(cls: type, arg: str) -> bool:
    try:
        params = inspect.signature(cls.__init__).parameters
    except (TypeError, ValueError):
        return True
    return arg in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


def component_fits(slot: Slot, cls: type) -> Tuple[bool, str]:
    """``(fits, reason)``: whether ``cls`` can fill ``slot`` (reason says why not)."""
    contract = slot.contract_class()
    if not (isinstance(cls, type) and issubclass(cls, contract)):
        return False, f"not a {slot.contract}"
    if slot.input_kind and getattr(cls, "input_kind", None) != slot.input_kind:
        return False, f"input_kind {getattr(cls, 'input_kind', None)!r} != {slot.input_kind!r}"
    missing = [a for a in slot.injected if not _accepts(cls, a)]
    if missing:
        return False, f"constructor does not take {', '.join(missing)}"
    lacking = [c for c in slot.requires if not cls.supports(c)]
    if lacking:
        return False, f"lacks {', '.join(lacking)}()"
    return True, ""


def model_slots(model_cls: type) -> Tuple[Slot, ...]:
    """The slots a model class declares (``()`` if none)."""
    return tuple(getattr(model_cls, "slots", ()) or ())


def slot_table(models: Optional[Iterable[str]] = None) -> List[Dict[str, Any]]:
    """One row per (model, slot): the components of the slot's role that fit, and those that do not.

    Derived from the registered classes and the contracts (nothing is built).
    Components whose module cannot be imported are listed under ``unavailable``.
    """
    from ..registry import registry_for

    model_reg = registry_for("model")
    rows: List[Dict[str, Any]] = []
    for model_name in (models or model_reg.names()):
        try:
            model_cls = model_reg.get(model_name)
        except Exception:  # a broken plugin module: no slots to show
            continue
        for slot in model_slots(model_cls):
            reg = registry_for(slot.role)
            fits, other, unavailable = [], {}, {}
            for name in reg.names():
                try:
                    cls = reg.get(name)
                except Exception as exc:
                    unavailable[name] = f"{type(exc).__name__}: {exc}".splitlines()[0][:120]
                    continue
                ok, why = component_fits(slot, cls)
                if ok:
                    caps = [c for c in (u.split(":")[0].strip() for u in slot.uses)
                            if cls.supports(c)]
                    fits.append(dict(name=name, plugin=reg.providers.get(name, "?"),
                                     capabilities=caps))
                else:
                    other[name] = why
            rows.append(dict(model=model_name, slot=slot.key, role=slot.role,
                             contract=slot.contract, input_kind=slot.input_kind,
                             uses=list(slot.uses), where=slot.where, fits=fits,
                             does_not_fit=other, unavailable=unavailable))
    return rows


def format_slot_table(rows: List[Dict[str, Any]], markdown: bool = False) -> str:
    """The slot table as aligned text or a Markdown table."""
    if markdown:
        lines = ["| method | slot | contract | components that fit |", "|---|---|---|---|"]
        for r in rows:
            contract = r["contract"] + (f" ({r['input_kind']})" if r["input_kind"] else "")
            slot = f"`{r['slot']}`" + (f" ({r['where']})" if r["where"] else "")
            comps = ", ".join(f"`{c['name']}`" + (f" [{', '.join(c['capabilities'])}]"
                                                  if c["capabilities"] else "") for c in r["fits"])
            lines.append(f"| `{r['model']}` | {slot} | {contract} | {comps or '(none)'} |")
        return "\n".join(lines)
    lines = []
    for r in rows:
        contract = r["contract"] + (f"({r['input_kind']})" if r["input_kind"] else "")
        lines.append(f"{r['model']:<24} {r['slot']:<28} {contract}"
                     + (f"   [{r['where']}]" if r["where"] else ""))
        for c in r["fits"]:
            caps = f"  +{', '.join(c['capabilities'])}" if c["capabilities"] else ""
            lines.append(f"    {c['name']:<32} {c['plugin']}{caps}")
        if not r["fits"]:
            lines.append("    (no registered component fits)")
        for u in r["uses"]:
            lines.append(f"    uses {u}")
    return "\n".join(lines)
