"""Templated, varied reference descriptions for synthetic samples.

Why templates with sample facts: a description should be checkable against the clip (which
hand, how often, who is on the left, the people's colours), so captioning models have
something real to learn and the cosine metric has non-trivial references.
"""
from __future__ import annotations

import numpy as np

# the drawn people's colours (BGR for OpenCV) and their names; index = colour id
PALETTE: list[tuple[str, tuple[int, int, int]]] = [
    ("red", (40, 40, 215)), ("blue", (215, 90, 30)), ("green", (50, 175, 50)),
    ("yellow", (40, 215, 225)), ("orange", (30, 135, 250)), ("purple", (165, 45, 135)),
    ("cyan", (215, 205, 40)), ("pink", (180, 120, 250)), ("white", (235, 235, 235)),
]

_COUNT = {1: "once", 2: "twice", 3: "three times", 4: "four times", 5: "five times", 6: "six times", 7: "seven times"}

# per NTU label: phrases for the actor ({hand}, {foot}, {count}, {dir}, {other} are filled in)
_SINGLE: dict[int, list[str]] = {
    0: ["raises a cup to their mouth with the {hand} hand and drinks",
        "drinks water, lifting the {hand} hand to the lips",
        "brings the {hand} hand up to the mouth and takes a sip"],
    7: ["sits down on a chair", "lowers themselves onto a seat and sits",
        "bends the knees and sits down"],
    8: ["stands up from a chair", "rises from a sitting position",
        "gets up from the seat and stands upright"],
    9: ["claps their hands {count}", "claps both hands together in front of the chest",
        "applauds, bringing the palms together {count}"],
    22: ["waves the {hand} hand {count}", "raises the {hand} hand and waves it from side to side",
         "waves hello with the {hand} hand"],
    23: ["kicks something in front of them with the {foot} foot", "swings the {foot} leg forward in a kick",
         "kicks an object on the floor with the {foot} foot"],
    26: ["jumps up", "bends the knees and jumps into the air",
         "crouches slightly and then jumps up, landing in place"],
    30: ["points {dir} with the {hand} hand", "stretches out the {hand} arm and points at something {dir}",
         "points a finger of the {hand} hand {dir}"],
    39: ["crosses both hands in front of the chest as if to say stop", "crosses the forearms in front of the body",
         "holds the arms crossed in front of them in a stop gesture"],
    42: ["falls {dir} onto the floor", "loses balance and falls down {dir}",
         "staggers and collapses {dir}"],
    43: ["touches their head with {handp} as if having a headache", "puts {handp} on the forehead and bows the head",
         "holds their head with {handp}, looking unwell"],
}
_TWO: dict[int, list[str]] = {
    49: ["{verb} {other} {count} with the {hand} hand", "swings the {hand} arm and {verb} {other}",
         "steps in and {verb} {other} {count}"],
    50: ["kicks {other} in the {height} with the {foot} foot", "swings the {foot} leg and kicks {other}",
         "kicks {other}"],
    51: ["pushes {other} with {hand}", "shoves {other} away with {hand}",
         "pushes {other} in the chest with {hand}"],
    52: ["pats {other} on the back with the {hand} hand", "gently pats the back of {other} {count}",
         "taps {other} on the back with the {hand} hand"],
    53: ["points a finger at {other} with the {hand} hand", "points the {hand} hand at {other}",
         "stretches out the {hand} arm and points at {other}"],
    54: ["hugs {other}", "walks up to {other} and they embrace", "puts both arms around {other} in a hug"],
    55: ["gives something to {other} with the {hand} hand", "hands an object over to {other}",
         "reaches out with the {hand} hand and passes something to {other}"],
    56: ["reaches into the pocket of {other} with the {hand} hand", "sneaks the {hand} hand into the pocket of {other}",
         "touches the trouser pocket of {other}"],
    57: ["shakes hands with {other}", "reaches out and shakes the right hand of {other}",
         "greets {other} with a handshake"],
    58: ["walks towards {other}", "and {other} approach each other", "moves closer to {other}, who is walking towards them"],
    59: ["walks away from {other}", "and {other} turn around and walk away from each other",
         "turns and moves away from {other}"],
}
# reaction of person 2 (None: no reaction sentence)
_REACT: dict[int, list[str]] = {
    49: ["{p2} flinches and steps back", "{p2} is hit and leans backwards", "{p2} recoils from the blow"],
    50: ["{p2} bends over from the kick", "{p2} staggers back", "{p2} is hit and steps back"],
    51: ["{p2} is pushed backwards", "{p2} stumbles back a few steps", "{p2} loses balance and moves back"],
    52: ["{p2} stands still", "{p2} lets it happen", "{p2} stays turned away"],
    53: ["{p2} leans back slightly", "{p2} stands facing them", "{p2} stays in place"],
    54: ["{p2} hugs back", "{p2} wraps their arms around them too", "both hold each other for a moment"],
    55: ["{p2} reaches out and takes it", "{p2} accepts the object", "{p2} receives it with one hand"],
    56: ["{p2} does not react", "{p2} stands still, unaware", "{p2} keeps standing"],
    57: ["{p2} shakes hands back", "{p2} grips the hand and they shake", "both move their hands up and down"],
    58: ["they stop close to each other", "{p2} also walks forward", "they meet in the middle"],
    59: ["the distance between them grows", "{p2} also walks off", "they end up far apart"],
}


def _speed_word(speed: float) -> str:
    return "quickly " if speed > 1.15 else ("slowly " if speed < 0.87 else "")


def describe(rng: np.random.Generator, label: int, info: dict, colours: list[str], positions: list[str],
             speed: float, n: int = 3) -> list[str]:
    """``n`` distinct reference descriptions of one sample.

    ``positions`` are "left"/"right" (image side of each person); ``colours`` their colour names.
    """
    hand = info.get("hand", "right")
    fill = dict(hand=hand, handp="both hands" if hand == "both" else f"the {hand} hand", foot=info.get("foot", "right"), count=_COUNT.get(info.get("count", 1), "several times"),
                dir=info.get("direction", ""), height=info.get("height", "leg") or "leg",
                verb="slaps" if info.get("variant") == "slap" else "punches")
    if label in _SINGLE:
        subjects = ["The person", "A person", f"The person in {colours[0]}", "Someone", "One person"]
        phrases = _SINGLE[label]
        out = []
        order = rng.permutation(len(phrases))
        for k in range(n):
            subj = subjects[int(rng.integers(len(subjects)))]
            ph = phrases[order[k % len(phrases)]].format(**fill).replace("  ", " ").strip()
            adv = _speed_word(speed) if rng.random() < 0.5 else ""
            if ph.split(" ", 1)[0].endswith("ly"):
                adv = ""
            sent = f"{subj} {adv}{ph}."
            if rng.random() < 0.3:
                sent += " Nobody else is in the scene."
            out.append(" ".join(sent.split()))
        return _unique(out, rng)
    p1_refs = [f"The person on the {positions[0]}", f"The person in {colours[0]}", "One person",
               f"The person wearing {colours[0]}"]
    p2_refs = [f"the person on the {positions[1]}", f"the person in {colours[1]}", "the other person"]
    out = []
    order = rng.permutation(len(_TWO[label]))
    for k in range(n):
        p1 = p1_refs[int(rng.integers(len(p1_refs)))]
        p2 = p2_refs[int(rng.integers(len(p2_refs)))]
        f2 = dict(fill, other=p2 if rng.random() < 0.7 else "the other person")
        ph = _TWO[label][order[k % len(_TWO[label])]].format(**f2)
        adv = _speed_word(speed) if rng.random() < 0.4 else ""
        if ph.startswith("and ") or ph.split(" ", 1)[0].endswith("ly"):
            adv = ""  # "X slowly and Y approach" / "slowly gently pats" read badly
        react = _REACT[label][int(rng.integers(len(_REACT[label])))].format(p2="the other person" if rng.random() < 0.5 else p2)
        joiner = ", and " if rng.random() < 0.5 else ". "
        react = react if joiner == ", and " else react[0].upper() + react[1:]
        out.append(" ".join(f"{p1} {adv}{ph}{joiner}{react}.".split()))
    return _unique(out, rng)


def _unique(texts: list[str], rng: np.random.Generator) -> list[str]:
    seen, out = set(), []
    for t in texts:
        if t not in seen:
            seen.add(t)
            out.append(t)
    return out
