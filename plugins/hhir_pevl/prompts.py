"""Label prompts of PeVL: "{label}, a video of {coarse} action".

Class lists come from a Python list, a ``.txt`` file (one name per line) or a
``.json`` list (strings, lists of words as in Diving48's vocabulary, or dicts with ``name`` and optionally ``label``,
``coarse`` or ``two_person``). Resolved lazily because a synthetic
``classes.json`` may only exist once the dataset has been generated.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Union

from hhir_core.errors import ConfigError, DataError

ClassSpec = Union[str, Sequence[str], Sequence[dict]]


def load_classes(spec: ClassSpec, class_ids: Optional[Sequence[int]] = None) -> List[dict]:
    """Return ``[{"name", "coarse"|None}]`` in label order (0..K-1).

    ``class_ids`` keeps only the entries whose ``label`` (or position) is listed,
    in that order — the same remapping the datasets apply with ``classes=``.
    """
    if isinstance(spec, (str, Path)):
        path = Path(spec)
        if not path.is_file():
            raise DataError(f"class list {path} does not exist (model.class_names)")
        if path.suffix == ".json":
            entries = json.loads(path.read_text(encoding="utf-8"))
        else:
            entries = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    else:
        entries = list(spec)
    rows = []
    for pos, e in enumerate(entries):
        if isinstance(e, str):
            rows.append(dict(label=pos, name=e, coarse=None))
        elif isinstance(e, (list, tuple)) and all(isinstance(x, str) for x in e):
            # Diving48_vocab.json: [takeoff, somersault, twist, flight] per class
            rows.append(dict(label=pos, name=" ".join(e), coarse=None))
        elif isinstance(e, dict) and "name" in e:
            coarse = e.get("coarse")
            if coarse is None and "two_person" in e:
                coarse = "two-person interaction" if e["two_person"] else "single-person"
            rows.append(dict(label=int(e.get("label", pos)), name=str(e["name"]), coarse=coarse))
        else:
            raise ConfigError(f"model.class_names entry {pos} is {e!r}; expected a name or a dict with 'name'")
    if class_ids is not None:
        by_label: Dict[int, dict] = {r["label"]: r for r in rows}
        missing = [c for c in class_ids if c not in by_label]
        if missing:
            raise ConfigError(f"model.class_ids {missing} are not in the class list {spec!r}")
        rows = [by_label[c] for c in class_ids]
    if not rows:
        raise ConfigError(f"model.class_names {spec!r} is empty")
    return rows


def build_prompts(rows: List[dict], template: str = "{label}, a video of {coarse} action",
                  fallback: str = "{label}") -> List[str]:
    """One prompt per class; classes without a coarse type use ``fallback``."""
    out = []
    for r in rows:
        if r.get("coarse"):
            out.append(template.format(label=r["name"], coarse=r["coarse"]))
        else:
            out.append(fallback.format(label=r["name"]))
    return out
