"""The generator's class table: real NTU RGB+D 120 labels and names, each with its motion program.

Kept apart from the generator so the renderer, the tools and the tests read the classes
without importing the generation code.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import numpy as np

from hhir_core.errors import ConfigError


@dataclass(frozen=True)
class SynthClass:
    """One generated class: real NTU 0-based label and name, its motion program and a short answer."""
    label: int
    name: str
    two_person: bool
    program: str          # function name in hhir_synthetic.motion
    confuser: int | None  # class whose motion may be mixed in (difficulty)
    answer: str           # one-word / short answer for HHIRChat's second turn


# Names exactly as in NTU RGB+D 120 (label_map_ntu120.txt); checked by a realdata test.
CLASS_TABLE: dict[int, SynthClass] = {c.label: c for c in (
    SynthClass(0, "drink water", False, "prog_drink", 43, "Drinking."),
    SynthClass(7, "sitting down", False, "prog_sit_down", 42, "Sitting down."),
    SynthClass(8, "standing up (from sitting position)", False, "prog_stand_up", 26, "Standing up."),
    SynthClass(9, "clapping", False, "prog_clapping", 39, "Clapping."),
    SynthClass(22, "hand waving", False, "prog_wave", 30, "Waving."),
    SynthClass(23, "kicking something", False, "prog_kick_something", 26, "Kicking."),
    SynthClass(26, "jump up", False, "prog_jump", 8, "Jumping."),
    SynthClass(30, "pointing to something with finger", False, "prog_pointing", 22, "Pointing."),
    SynthClass(39, "cross hands in front (say stop)", False, "prog_cross_hands", 9, "Stop gesture."),
    SynthClass(42, "falling", False, "prog_falling", 7, "Falling."),
    SynthClass(43, "touch head (headache)", False, "prog_touch_head", 0, "Headache."),
    SynthClass(49, "punching/slapping other person", True, "prog_punch", 51, "Punching."),
    SynthClass(50, "kicking other person", True, "prog_kick_other", 49, "Kicking someone."),
    SynthClass(51, "pushing other person", True, "prog_push", 49, "Pushing."),
    SynthClass(52, "pat on back of other person", True, "prog_pat_back", 56, "Patting."),
    SynthClass(53, "point finger at the other person", True, "prog_point_at", 49, "Pointing at someone."),
    SynthClass(54, "hugging other person", True, "prog_hug", 52, "Hugging."),
    SynthClass(55, "giving something to other person", True, "prog_giving", 57, "Giving."),
    SynthClass(56, "touch other person's pocket", True, "prog_touch_pocket", 55, "Pickpocketing."),
    SynthClass(57, "handshaking", True, "prog_handshake", 55, "Handshaking."),
    SynthClass(58, "walking towards each other", True, "prog_walk_towards", None, "Approaching."),
    SynthClass(59, "walking apart from each other", True, "prog_walk_apart", None, "Separating."),
)}
DEFAULT_CLASSES: tuple[int, ...] = tuple(sorted(CLASS_TABLE))


def resolve_classes(classes: Iterable[int | str] | None) -> tuple[int, ...]:
    """Class selection (NTU 0-based ids, ``"A050"`` codes or exact names) -> sorted unique ids."""
    if classes is None:
        return DEFAULT_CLASSES
    by_name = {c.name.lower(): c.label for c in CLASS_TABLE.values()}
    out = set()
    for c in classes:
        key = c
        if isinstance(c, str):
            s = c.strip()
            if s.isdigit():
                key = int(s)
            elif len(s) == 4 and s[0] in "Aa" and s[1:].isdigit():
                key = int(s[1:]) - 1
            elif s.lower() in by_name:
                key = by_name[s.lower()]
        if isinstance(key, (int, np.integer)) and not isinstance(key, bool) and int(key) in CLASS_TABLE:
            out.add(int(key))
            continue
        raise ConfigError(
            f"synthetic classes: unknown or unsupported class {c!r}; the generator knows NTU labels "
            f"{sorted(CLASS_TABLE)} ({', '.join(CLASS_TABLE[k].name for k in sorted(CLASS_TABLE))})")
    if not out:
        raise ConfigError("synthetic classes: empty class list")
    return tuple(sorted(out))
