"""Parametric motion programs on the 25-joint NTU skeleton (the synthetic benchmark's actors).

Why a hand-written kinematic model: the benchmark must be deterministic, fast (100k clips in
minutes) and need no motion-capture data. Each person is driven by a few control tracks
(pelvis path, yaw, torso lean, head pitch, wrist targets, ankle targets); a vectorised
forward/inverse-kinematics pass turns them into 25 joints per frame.

Frames: every person has its own *initial frame*: x = the person's right, y = up (floor at 0),
z = forward (towards the partner in two-person classes). Wrist targets are given in the torso
frame relative to the spine-shoulder joint; ankle targets in the initial frame (so feet stay
planted while the pelvis moves).
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np

# 0-based NTU joint indices (see fixtures README for the 1-based list)
BASE, MID, NECK, HEAD = 0, 1, 2, 3
LSH, LEL, LWR, LHA = 4, 5, 6, 7
RSH, REL, RWR, RHA = 8, 9, 10, 11
LHIP, LKN, LAN, LFT = 12, 13, 14, 15
RHIP, RKN, RAN, RFT = 16, 17, 18, 19
SS = 20
LTIP, LTHUMB, RTIP, RTHUMB = 21, 22, 23, 24
NUM_JOINTS = 25
# left/right mirror permutation (Kinect side-view swaps, handedness)
MIRROR = np.array([0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 16, 17, 18, 19, 12, 13, 14, 15, 20, 23, 24, 21, 22])
LEFT_ARM = np.array([LEL, LWR, LHA, LTIP, LTHUMB])
RIGHT_ARM = np.array([REL, RWR, RHA, RTIP, RTHUMB])
LEFT_LEG = np.array([LKN, LAN, LFT])
RIGHT_LEG = np.array([RKN, RAN, RFT])


# ----------------------------------------------------------------------------- bodies
def subject_body(rng: np.random.Generator) -> dict:
    """Body proportions and movement style of one subject (drawn once per subject id)."""
    H = float(rng.uniform(1.52, 1.92))
    arm, leg, torso, width = (float(v) for v in rng.normal(1.0, [0.04, 0.03, 0.04, 0.07]))
    b = dict(
        H=H, spine1=0.15 * H * torso, spine2=0.11 * H * torso, neck=0.045 * H, head=0.075 * H,
        sh_w=0.10 * H * width, sh_drop=0.02 * H, upper=0.17 * H * arm, fore=0.15 * H * arm,
        hand=0.045 * H, tip=0.035 * H, thumb=0.03 * H, hip_w=0.055 * H * width, hip_drop=0.03 * H,
        thigh=0.235 * H * leg, shin=0.235 * H * leg, ankle_h=0.045 * H, foot=0.08 * H,
        speed=float(rng.lognormal(0.0, 0.12)), amp=float(rng.lognormal(0.0, 0.10)),
        left_handed=bool(rng.random() < 0.12), posture=float(rng.normal(0.03, 0.04)),
        fidget=float(rng.uniform(0.5, 1.5)),
    )
    b["pelvis_h"] = b["hip_drop"] + 0.985 * (b["thigh"] + b["shin"]) + b["ankle_h"]
    b["ss_h"] = b["spine1"] + b["spine2"]
    b["reach"] = b["upper"] + b["fore"]
    return b


# ----------------------------------------------------------------------------- envelopes
def smooth(x: np.ndarray) -> np.ndarray:
    """Smoothstep on [0,1] (clipped): C1 ramps look like human motion onsets."""
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def ramp(s: np.ndarray, a: float, b: float) -> np.ndarray:
    return smooth((s - a) / max(b - a, 1e-6))


def bump(s: np.ndarray, a: float, b: float, c: float, d: float) -> np.ndarray:
    """0 -> 1 between a and b, hold, 1 -> 0 between c and d."""
    return ramp(s, a, b) * (1.0 - ramp(s, c, d))


def _v(x: float, y: float, z: float) -> np.ndarray:
    return np.array([x, y, z], dtype=np.float64)


# ----------------------------------------------------------------------------- controls
class Controls:
    """Control tracks of one person over T frames (see module docstring for frames)."""

    def __init__(self, body: dict, T: int):
        self.body, self.T = body, T
        b = body
        self.root = np.tile(_v(0.0, b["pelvis_h"], 0.0), (T, 1))
        self.yaw = np.zeros(T)
        self.pitch = np.full(T, b["posture"])
        self.roll = np.zeros(T)
        self.head_pitch = np.zeros(T)
        hang = -(b["sh_drop"] + 0.95 * b["reach"])
        self.rest_lw = _v(-b["sh_w"] - 0.04, hang, 0.03)
        self.rest_rw = _v(b["sh_w"] + 0.04, hang, 0.03)
        self.lw = np.tile(self.rest_lw, (T, 1))
        self.rw = np.tile(self.rest_rw, (T, 1))
        self.rest_la = _v(-b["hip_w"] * 1.1, b["ankle_h"], 0.0)
        self.rest_ra = _v(b["hip_w"] * 1.1, b["ankle_h"], 0.0)
        self.la = np.tile(self.rest_la, (T, 1))
        self.ra = np.tile(self.rest_ra, (T, 1))

    def copy(self) -> "Controls":
        c = Controls.__new__(Controls)
        c.__dict__ = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in self.__dict__.items()}
        return c

    # helpers used by the programs ---------------------------------------------------
    def shoulder(self, side: int) -> np.ndarray:
        """Shoulder position in the torso frame relative to spine-shoulder (side +1 = right)."""
        return _v(side * self.body["sh_w"], -self.body["sh_drop"], 0.0)

    def wrist(self, side: int) -> np.ndarray:
        return self.rw if side > 0 else self.lw

    def set_wrist(self, side: int, value: np.ndarray) -> None:
        if side > 0:
            self.rw = value
        else:
            self.lw = value

    def rest_wrist(self, side: int) -> np.ndarray:
        return self.rest_rw if side > 0 else self.rest_lw

    def ankle(self, side: int) -> np.ndarray:
        return self.ra if side > 0 else self.la

    def set_ankle(self, side: int, value: np.ndarray) -> None:
        if side > 0:
            self.ra = value
        else:
            self.la = value

    def ss_height(self) -> float:
        return self.body["pelvis_h"] + self.body["ss_h"]


def blend_to(cur: np.ndarray, target, e: np.ndarray) -> np.ndarray:
    """Per-frame linear blend of a track towards ``target`` with weight e[T]."""
    return cur + (np.asarray(target, dtype=np.float64) - cur) * e[:, None]


# ----------------------------------------------------------------------------- kinematics
def _rot(yaw: np.ndarray, pitch: np.ndarray, roll: np.ndarray) -> np.ndarray:
    """R = Ry(yaw) @ Rx(pitch forward) @ Rz(roll right), [T,3,3] (closed form, it is hot)."""
    cy, sy = np.cos(yaw), np.sin(yaw)
    cp, sp = np.cos(pitch), np.sin(pitch)
    cr, sr = np.cos(roll), np.sin(roll)
    R = np.empty(yaw.shape + (3, 3))
    R[:, 0, 0] = cy * cr - sy * sp * sr
    R[:, 0, 1] = cy * sr + sy * sp * cr
    R[:, 0, 2] = sy * cp
    R[:, 1, 0] = -cp * sr
    R[:, 1, 1] = cp * cr
    R[:, 1, 2] = -sp
    R[:, 2, 0] = -sy * cr - cy * sp * sr
    R[:, 2, 1] = -sy * sr + cy * sp * cr
    R[:, 2, 2] = cy * cp
    return R


def _apply(R: np.ndarray, v: np.ndarray) -> np.ndarray:
    """R[T,3,3] applied to v[3] or v[T,3]."""
    if v.ndim == 1:
        return R @ v
    return np.einsum("tij,tj->ti", R, v)


def _unit(v: np.ndarray) -> np.ndarray:
    return v / (np.sqrt((v * v).sum(-1, keepdims=True)) + 1e-9)


def two_bone_ik(root: np.ndarray, target: np.ndarray, l1: float, l2: float, pole: np.ndarray):
    """Analytic two-bone IK (vectorised over frames): returns (middle joint, end joint).

    Unreachable targets are clamped, so the limb points at them fully extended.
    """
    d = target - root
    dist = np.sqrt((d * d).sum(-1, keepdims=True))
    u = d / np.maximum(dist, 1e-6)
    dc = np.clip(dist, abs(l1 - l2) + 1e-3, (l1 + l2) * 0.999)
    a = (l1 * l1 - l2 * l2 + dc * dc) / (2.0 * dc)
    h = np.sqrt(np.maximum(l1 * l1 - a * a, 0.0))
    m = _unit(pole - (pole * u).sum(-1, keepdims=True) * u)
    return root + a * u + h * m, root + dc * u


def forward_kinematics(c: Controls) -> np.ndarray:
    """Controls -> joints [T,25,3] in the person's initial frame."""
    b, T = c.body, c.T
    J = np.empty((T, NUM_JOINTS, 3))
    Rt = _rot(c.yaw, c.pitch, c.roll)
    z0 = np.zeros(T)
    Ry = _rot(c.yaw, z0, z0)
    pel = c.root
    J[:, BASE] = pel
    J[:, MID] = pel + _apply(Rt, _v(0, b["spine1"], 0.0))
    ss = pel + _apply(Rt, _v(0, b["ss_h"], -0.01))
    J[:, SS] = ss
    J[:, NECK] = ss + _apply(Rt, _v(0, b["neck"], 0.0))
    hp = c.head_pitch
    head_local = np.stack([z0, b["head"] * np.cos(hp), b["head"] * np.sin(hp) + 0.01], -1)
    J[:, HEAD] = J[:, NECK] + _apply(Rt, head_local)
    for side, (sh, el, wr, ha, tip, th) in ((-1, (LSH, LEL, LWR, LHA, LTIP, LTHUMB)),
                                             (1, (RSH, REL, RWR, RHA, RTIP, RTHUMB))):
        S = ss + _apply(Rt, c.shoulder(side))
        target = ss + _apply(Rt, c.wrist(side))
        pole = _apply(Rt, _v(0.45 * side, -1.0, -0.35))
        E, W = two_bone_ik(S, target, b["upper"], b["fore"], pole)
        u = _unit(W - E)
        J[:, sh], J[:, el], J[:, wr] = S, E, W
        J[:, ha] = W + b["hand"] * u
        J[:, tip] = J[:, ha] + b["tip"] * u
        tdir = _unit(0.5 * u + _apply(Rt, _v(-0.6 * side, 0.3, 0.4)))
        J[:, th] = W + b["thumb"] * tdir
    fwd = _apply(Ry, _v(0, 0, 1.0))
    for side, (hip, kn, an, ft) in ((-1, (LHIP, LKN, LAN, LFT)), (1, (RHIP, RKN, RAN, RFT))):
        Hp = pel + _apply(Ry, _v(side * b["hip_w"], -b["hip_drop"], 0.0))
        pole = fwd + _apply(Ry, _v(0.15 * side, 0.0, 0.0))
        K, A = two_bone_ik(Hp, c.ankle(side), b["thigh"], b["shin"], pole)
        J[:, hip], J[:, kn], J[:, an] = Hp, K, A
        J[:, ft] = A + b["foot"] * _unit(fwd + 0.35 * _unit(A - K)) + _v(0, -0.3 * b["ankle_h"], 0)
    return J


# ----------------------------------------------------------------------------- context
class Ctx:
    """Per-sample context handed to motion programs."""

    def __init__(self, rng: np.random.Generator, T: int, s: np.ndarray, amp: float, speed: float,
                 side: int, difficulty: float):
        self.rng, self.T, self.s, self.amp, self.speed = rng, T, s, amp, speed
        self.side, self.difficulty = side, difficulty
        self.D = 1.0             # distance between the two pelvises (two-person classes)
        self.partner_yaw = 0.0   # extra yaw of person 2 about its own axis (e.g. turned away)
        self.info: dict = {}     # facts for the descriptions (hand, counts, variants)

    def u(self, lo: float, hi: float) -> float:
        return float(self.rng.uniform(lo, hi))

    def cycles(self, lo: int, hi: int) -> int:
        return int(self.rng.integers(lo, hi + 1))


def _hand_name(side: int) -> str:
    return "right" if side > 0 else "left"


def _to_own_torso(P: Controls, world: np.ndarray) -> np.ndarray:
    """A point of the initial frame expressed relative to P's rest spine-shoulder (no lean)."""
    return world - _v(0.0, P.ss_height(), 0.0)


def _partner_point_in_actor(Pa: Controls, Pb: Controls, D: float, y_world: float, x_b: float, z_b: float):
    """A point of person 2 (x_b, z_b in its own frame, height y_world) in person 1's torso frame."""
    return _to_own_torso(Pa, _v(-x_b, y_world, D - z_b))


# ----------------------------------------------------------------------------- single person
def prog_drink(ctx: Ctx, P: list) -> None:
    A, s, sd, b = P[0], ctx.s, ctx.side, P[0].body
    e = bump(s, 0.05, ctx.u(0.25, 0.4), ctx.u(0.6, 0.75), 0.95)
    mouth = _v(sd * 0.05, b["neck"] * 0.3, ctx.u(0.15, 0.2))  # holding a cup in front of the mouth
    sip = 0.015 * np.sin(2 * math.pi * ctx.cycles(1, 2) * s)[:, None] * _v(0, 1, 0)
    A.set_wrist(sd, blend_to(A.wrist(sd), mouth, e) + sip * e[:, None])
    A.head_pitch = A.head_pitch - 0.35 * ctx.amp * ramp(s, 0.3, 0.5) * e  # head tilts back
    ctx.info.update(hand=_hand_name(sd))


def prog_touch_head(ctx: Ctx, P: list) -> None:
    A, s, sd, b = P[0], ctx.s, ctx.side, P[0].body
    e = bump(s, 0.05, ctx.u(0.25, 0.4), ctx.u(0.6, 0.8), 0.95)
    forehead = _v(sd * 0.09, b["neck"] + 0.7 * b["head"], 0.06)
    A.set_wrist(sd, blend_to(A.wrist(sd), forehead, e))
    both = ctx.rng.random() < 0.3
    if both:
        A.set_wrist(-sd, blend_to(A.wrist(-sd), forehead * _v(-1, 1, 1), e))
    A.head_pitch = A.head_pitch + 0.35 * ctx.amp * e  # head bows
    A.pitch = A.pitch + 0.15 * ctx.amp * e
    ctx.info.update(hand="both" if both else _hand_name(sd))


def prog_clapping(ctx: Ctx, P: list) -> None:
    A, s, b = P[0], ctx.s, P[0].body
    n = ctx.cycles(2, 5)
    e = bump(s, 0.0, 0.15, 0.85, 1.0)
    h = ctx.u(-0.2, -0.05) * b["H"] / 1.7
    z = ctx.u(0.25, 0.35)
    sep = 0.03 + 0.25 * ctx.amp * (0.5 + 0.5 * np.cos(2 * math.pi * n * s))
    for sd in (-1, 1):
        tgt = np.stack([sd * sep / 2, np.full_like(s, h), np.full_like(s, z)], -1)
        A.set_wrist(sd, blend_to(A.wrist(sd), 0.0, e) + tgt * e[:, None])
    ctx.info.update(count=n)


def prog_cross_hands(ctx: Ctx, P: list) -> None:
    A, s = P[0], ctx.s
    e = bump(s, 0.05, ctx.u(0.25, 0.35), ctx.u(0.65, 0.75), 0.95)
    h = ctx.u(-0.12, 0.05)
    cross = ctx.u(0.04, 0.1) * ctx.amp
    A.lw = blend_to(A.lw, _v(cross, h, 0.27), e)
    A.rw = blend_to(A.rw, _v(-cross, h + 0.03, 0.29), e)
    A.head_pitch = A.head_pitch + 0.05 * e


def prog_wave(ctx: Ctx, P: list) -> None:
    A, s, sd, b = P[0], ctx.s, ctx.side, P[0].body
    n = ctx.cycles(2, 4)
    e = bump(s, 0.0, 0.2, 0.8, 1.0)
    up = ctx.u(0.15, 0.35) * ctx.amp
    osc = 0.12 * ctx.amp * np.sin(2 * math.pi * n * s)
    tgt = np.stack([sd * (b["sh_w"] + 0.12) + osc, np.full_like(s, up), np.full_like(s, 0.1)], -1)
    A.set_wrist(sd, A.wrist(sd) + (tgt - A.wrist(sd)) * e[:, None])
    ctx.info.update(hand=_hand_name(sd), count=n)


def prog_pointing(ctx: Ctx, P: list) -> None:
    A, s, sd, b = P[0], ctx.s, ctx.side, P[0].body
    e = bump(s, 0.05, ctx.u(0.2, 0.35), ctx.u(0.65, 0.8), 0.95)
    az, el = ctx.u(-0.6, 0.5) * sd, ctx.u(-0.15, 0.45)
    d = _v(math.sin(az) * math.cos(el), math.sin(el), math.cos(az) * math.cos(el))
    tgt = A.shoulder(sd) + 0.97 * b["reach"] * d
    A.set_wrist(sd, blend_to(A.wrist(sd), tgt, e))
    A.pitch = A.pitch + 0.05 * e
    ctx.info.update(hand=_hand_name(sd), direction="up" if el > 0.25 else ("left" if az < -0.2 else ("right" if az > 0.2 else "ahead")))


def prog_kick_something(ctx: Ctx, P: list) -> None:
    A, s, sd = P[0], ctx.s, ctx.side
    t0 = ctx.u(0.25, 0.4)
    back = bump(s, t0 - 0.15, t0, t0, t0 + 0.08)
    kick = bump(s, t0 + 0.02, t0 + 0.12, t0 + 0.18, t0 + 0.35)
    hk, reach = ctx.u(0.2, 0.55) * ctx.amp, ctx.u(0.45, 0.65)
    ank = A.ankle(sd) + back[:, None] * _v(0, 0.15, -0.25) + kick[:, None] * _v(0, hk, reach)
    A.set_ankle(sd, ank)
    A.pitch = A.pitch - 0.18 * kick
    A.root = A.root + (0.04 * kick)[:, None] * _v(-sd, 0, 0)
    for side in (-1, 1):
        A.set_wrist(side, A.wrist(side) + (kick[:, None] * _v(0.12 * side, 0.1, 0.05)))
    ctx.info.update(foot=_hand_name(sd))


def prog_jump(ctx: Ctx, P: list) -> None:
    A, s = P[0], ctx.s
    t0 = ctx.u(0.3, 0.45)
    fl = ctx.u(0.15, 0.25)
    c1 = bump(s, t0 - 0.2, t0 - 0.05, t0 - 0.04, t0)
    c2 = bump(s, t0 + fl, t0 + fl + 0.06, t0 + fl + 0.08, t0 + fl + 0.22)
    x = np.clip((s - t0) / fl, 0, 1)
    f = 4 * x * (1 - x)
    h = ctx.u(0.12, 0.3) * ctx.amp
    crouch = ctx.u(0.08, 0.16)
    A.root = A.root + (-crouch * (c1 + c2) + h * f)[:, None] * _v(0, 1, 0)
    for sd in (-1, 1):
        A.set_ankle(sd, A.ankle(sd) + (h * f * 0.9)[:, None] * _v(0, 1, 0))
        A.set_wrist(sd, A.wrist(sd) + c1[:, None] * _v(0, 0.05, -0.2) + f[:, None] * _v(0.05 * sd, 0.45, 0.15))
    A.pitch = A.pitch + 0.3 * (c1 + c2)
    ctx.info.update(height="high" if h > 0.22 else "")


def _sit_pose(ctx: Ctx, A: Controls, e: np.ndarray, lean: np.ndarray, hands_on_knees: np.ndarray) -> None:
    b = A.body
    seat_h = b["ankle_h"] + b["shin"] + 0.03 + ctx.u(-0.04, 0.03)
    back = 0.8 * b["thigh"]
    A.root = A.root + e[:, None] * _v(0, seat_h - b["pelvis_h"] + b["hip_drop"], -back)
    A.pitch = A.pitch + 0.55 * ctx.amp * lean + 0.1 * e
    for sd in (-1, 1):
        A.set_ankle(sd, A.ankle(sd) + e[:, None] * _v(0.02 * sd, 0, 0.05))
        # wrist on the thigh, relative to the *seated* spine-shoulder
        knee = _v(sd * 0.13, 0.08 - b["hip_drop"] - b["ss_h"], back)
        A.set_wrist(sd, blend_to(A.wrist(sd), knee, np.maximum(hands_on_knees, 0.6 * e)))


def prog_sit_down(ctx: Ctx, P: list) -> None:
    s = ctx.s
    a, c = ctx.u(0.1, 0.3), ctx.u(0.6, 0.85)
    e = ramp(s, a, c)
    lean = bump(s, a, (a + c) / 2, (a + c) / 2, c + 0.1)
    _sit_pose(ctx, P[0], e, lean, 0.0 * e)


def prog_stand_up(ctx: Ctx, P: list) -> None:
    s = ctx.s
    a, c = ctx.u(0.15, 0.35), ctx.u(0.6, 0.85)
    e = 1.0 - ramp(s, a, c)
    lean = bump(s, a - 0.1, a + 0.1, a + 0.15, c)
    push = 1.0 - ramp(s, a, (a + c) / 2)
    _sit_pose(ctx, P[0], e, lean, push * (ctx.rng.random() < 0.6))


def prog_falling(ctx: Ctx, P: list) -> None:
    A, s, b = P[0], ctx.s, P[0].body
    t0 = ctx.u(0.3, 0.5)
    e = ramp(s, t0, t0 + ctx.u(0.15, 0.3))
    wob = bump(s, t0 - 0.25, t0 - 0.1, t0, t0 + 0.05) * np.sin(2 * math.pi * 3 * s)
    sideways = ctx.rng.random() < 0.3
    sgn = 1 if ctx.rng.random() < 0.5 else -1
    if sideways:
        A.roll = A.roll + 1.1 * sgn * e + 0.08 * wob
        A.root = A.root + e[:, None] * _v(0.35 * sgn, 0.2 * b["H"] - b["pelvis_h"], 0.0)
    else:
        A.pitch = A.pitch + 1.15 * e + 0.08 * wob
        A.root = A.root + e[:, None] * _v(0.0, 0.2 * b["H"] - b["pelvis_h"], 0.3)
    for sd in (-1, 1):
        A.set_wrist(sd, blend_to(A.wrist(sd), _v(0.2 * sd, -0.25, 0.45), ramp(s, t0 - 0.05, t0 + 0.15)))
        A.set_ankle(sd, A.ankle(sd) + e[:, None] * _v(0, 0, 0.15))
    ctx.info.update(direction=("to the side" if sideways else "forward"))


# ----------------------------------------------------------------------------- two persons
def _react(B: Controls, hit: np.ndarray, step: float, lean: float, ctx: Ctx) -> None:
    """Person 2 recoils: leans back and steps away (cumulative)."""
    B.pitch = B.pitch - lean * hit
    B.head_pitch = B.head_pitch - 0.5 * lean * hit
    B.root = B.root + (step * np.maximum.accumulate(hit))[:, None] * _v(0, 0, -1)
    if ctx.rng.random() < 0.5:  # guard
        for sd in (-1, 1):
            B.set_wrist(sd, blend_to(B.wrist(sd), _v(0.1 * sd, -0.05, 0.25), 0.7 * hit))


def prog_punch(ctx: Ctx, P: list) -> None:
    A, B, s, sd = P[0], P[1], ctx.s, ctx.side
    ctx.D = ctx.u(0.7, 0.95)
    n = ctx.cycles(1, 3)
    slap = ctx.rng.random() < 0.35
    y = B.ss_height() + (0.15 if slap else ctx.u(-0.15, 0.12))
    tgt = _partner_point_in_actor(A, B, ctx.D, y, 0.0, 0.12)
    hits = np.zeros_like(s)
    w = A.wrist(sd).copy()
    start = ctx.u(0.1, 0.3)
    span = (0.85 - start) / n
    for k in range(n):
        a = start + k * span
        ch = bump(s, a, a + 0.3 * span, a + 0.35 * span, a + 0.5 * span)
        st = bump(s, a + 0.35 * span, a + 0.5 * span, a + 0.6 * span, a + 0.9 * span)
        chamber = _v(sd * (0.35 if slap else 0.12), -0.05 if not slap else 0.1, 0.15)
        w = blend_to(w, chamber, ch)
        w = blend_to(w, tgt, st)
        hits = np.maximum(hits, st)
    guard = bump(s, start - 0.1, start, 0.85, 0.95)
    A.set_wrist(sd, w)
    A.set_wrist(-sd, blend_to(A.wrist(-sd), _v(-sd * 0.1, -0.05, 0.2), 0.8 * guard))
    A.pitch = A.pitch + 0.18 * hits
    A.root = A.root + (0.08 * guard)[:, None] * _v(0, 0, 1)
    _react(B, hits, ctx.u(0.03, 0.12), ctx.u(0.1, 0.25), ctx)
    ctx.info.update(hand=_hand_name(sd), count=n, variant="slap" if slap else "punch")


def prog_push(ctx: Ctx, P: list) -> None:
    A, B, s, sd = P[0], P[1], ctx.s, ctx.side
    ctx.D = ctx.u(0.6, 0.85)
    one_hand = ctx.rng.random() < 0.25
    a = ctx.u(0.1, 0.3)
    e = bump(s, a, a + 0.25, a + 0.35, a + 0.6)
    y = B.ss_height() - ctx.u(0.05, 0.2)
    for side in ((sd,) if one_hand else (-1, 1)):
        A.set_wrist(side, blend_to(A.wrist(side), _partner_point_in_actor(A, B, ctx.D, y, -0.14 * side, 0.1), e))
    A.pitch = A.pitch + 0.15 * e
    A.root = A.root + (0.15 * ramp(s, a, a + 0.3))[:, None] * _v(0, 0, 1)
    hit = bump(s, a + 0.2, a + 0.3, a + 0.35, a + 0.55)
    _react(B, hit, ctx.u(0.2, 0.5) * ctx.amp, ctx.u(0.1, 0.25), ctx)
    ctx.info.update(hand=("the " + _hand_name(sd) + " hand") if one_hand else "both hands")


def prog_kick_other(ctx: Ctx, P: list) -> None:
    A, B, s, sd = P[0], P[1], ctx.s, ctx.side
    ctx.D = ctx.u(0.9, 1.2)
    t0 = ctx.u(0.25, 0.45)
    back = bump(s, t0 - 0.15, t0, t0, t0 + 0.08)
    kick = bump(s, t0 + 0.02, t0 + 0.12, t0 + 0.18, t0 + 0.35)
    hk = ctx.u(0.25, 0.65)
    tgt = _v(sd * 0.05, hk, ctx.D - 0.3)
    ank = A.ankle(sd)
    A.set_ankle(sd, blend_to(ank + back[:, None] * _v(0, 0.15, -0.25), tgt, kick))
    A.pitch = A.pitch - 0.2 * kick
    for side in (-1, 1):
        A.set_wrist(side, A.wrist(side) + (kick[:, None] * _v(0.12 * side, 0.12, 0.05)))
    hit = bump(s, t0 + 0.1, t0 + 0.14, t0 + 0.2, t0 + 0.4)
    B.pitch = B.pitch + 0.35 * hit
    B.root = B.root + (0.1 * np.maximum.accumulate(hit))[:, None] * _v(0, 0, -1)
    ctx.info.update(foot=_hand_name(sd), height="stomach" if hk > 0.5 else "leg")


def prog_pat_back(ctx: Ctx, P: list) -> None:
    A, B, s, sd = P[0], P[1], ctx.s, ctx.side
    ctx.D = ctx.u(0.45, 0.65)
    ctx.partner_yaw = float(sd * ctx.u(1.2, 1.9))  # person 2 turned sideways / away
    n = ctx.cycles(2, 4)
    e = bump(s, 0.1, 0.3, 0.75, 0.95)
    pat = 0.05 * ctx.amp * np.sin(2 * math.pi * n * ramp(s, 0.3, 0.75))
    y = B.ss_height() - ctx.u(0.0, 0.12)
    tgt = _partner_point_in_actor(A, B, ctx.D, y, 0.0, 0.0) + _v(-sd * 0.05, 0, -0.05)
    A.set_wrist(sd, blend_to(A.wrist(sd), tgt, e) + (pat * e)[:, None] * _v(0, 1, 0))
    A.pitch = A.pitch + 0.08 * e
    ctx.info.update(hand=_hand_name(sd), count=n)


def prog_point_at(ctx: Ctx, P: list) -> None:
    A, B, s, sd = P[0], P[1], ctx.s, ctx.side
    ctx.D = ctx.u(1.0, 1.6)
    n = ctx.cycles(1, 3)
    e = bump(s, 0.1, ctx.u(0.25, 0.4), ctx.u(0.65, 0.8), 0.95)
    head = _partner_point_in_actor(A, B, ctx.D, B.ss_height() + 0.15, 0.0, 0.0)
    d = _unit(head - A.shoulder(sd))
    jab = 0.04 * np.sin(2 * math.pi * n * s)
    tgt = A.shoulder(sd) + (0.95 * A.body["reach"] + jab)[:, None] * d
    A.set_wrist(sd, A.wrist(sd) + (tgt - A.wrist(sd)) * e[:, None])
    B.pitch = B.pitch - 0.05 * e
    ctx.info.update(hand=_hand_name(sd))


def prog_hug(ctx: Ctx, P: list) -> None:
    A, B, s = P[0], P[1], ctx.s
    ctx.D = ctx.u(1.0, 1.4)
    close = ctx.u(0.38, 0.48)
    ap = ramp(s, 0.05, ctx.u(0.3, 0.4))
    e = bump(s, 0.2, 0.4, ctx.u(0.75, 0.85), 0.97)
    for k, (P1, P2) in enumerate(((A, B), (B, A))):
        P1.root = P1.root + ((ctx.D - close) / 2 * ap)[:, None] * _v(0, 0, 1)
        y = P2.ss_height() - (0.05 if k == 0 else 0.3)
        for sd in (-1, 1):
            tgt = _partner_point_in_actor(P1, P2, close, y, -0.18 * sd, -0.12) + _v(0, 0, -0.02)
            P1.set_wrist(sd, blend_to(P1.wrist(sd), tgt, e))
        P1.pitch = P1.pitch + 0.1 * e


def prog_giving(ctx: Ctx, P: list) -> None:
    A, B, s, sd = P[0], P[1], ctx.s, ctx.side
    ctx.D = ctx.u(0.85, 1.15)
    y = 0.5 * (A.body["pelvis_h"] + B.body["pelvis_h"]) + ctx.u(0.1, 0.3)
    x = ctx.u(-0.1, 0.1)
    a = ctx.u(0.1, 0.25)
    eA = bump(s, a, a + 0.25, a + 0.45, a + 0.65)
    eB = bump(s, a + 0.15, a + 0.3, a + 0.45, a + 0.65)
    bside = 1 if ctx.rng.random() < 0.85 else -1
    A.set_wrist(sd, blend_to(A.wrist(sd), _to_own_torso(A, _v(x, y, ctx.D / 2)), eA))
    B.set_wrist(bside, blend_to(B.wrist(bside), _to_own_torso(B, _v(-x, y, ctx.D / 2)), eB))
    A.pitch = A.pitch + 0.08 * eA
    B.pitch = B.pitch + 0.08 * eB
    ctx.info.update(hand=_hand_name(sd))


def prog_touch_pocket(ctx: Ctx, P: list) -> None:
    A, B, s, sd = P[0], P[1], ctx.s, ctx.side
    ctx.D = ctx.u(0.55, 0.8)
    ctx.partner_yaw = float(ctx.u(-1.0, 1.0))
    a = ctx.u(0.1, 0.3)
    e = bump(s, a, a + 0.3, a + 0.45, a + 0.65)
    y = B.body["pelvis_h"] - 0.05
    tgt = _partner_point_in_actor(A, B, ctx.D, y, -sd * 0.15, 0.05)
    A.set_wrist(sd, blend_to(A.wrist(sd), tgt, e))
    A.pitch = A.pitch + 0.3 * ctx.amp * e
    A.root = A.root + (0.05 * e)[:, None] * _v(0, -1, 0.5)
    ctx.info.update(hand=_hand_name(sd))


def prog_handshake(ctx: Ctx, P: list) -> None:
    A, B, s = P[0], P[1], ctx.s
    ctx.D = ctx.u(0.8, 1.0)
    n = ctx.cycles(2, 4)
    y = 0.5 * (A.body["pelvis_h"] + B.body["pelvis_h"]) + ctx.u(0.1, 0.25)
    a = ctx.u(0.1, 0.25)
    e = bump(s, a, a + 0.2, ctx.u(0.7, 0.8), 0.95)
    shake = 0.04 * ctx.amp * np.sin(2 * math.pi * n * ramp(s, a + 0.2, 0.75))
    for P1 in (A, B):
        tgt = _to_own_torso(P1, _v(0.0, y, ctx.D / 2))
        P1.rw = blend_to(P1.rw, tgt, e) + (shake * e)[:, None] * _v(0, 1, 0)
        P1.pitch = P1.pitch + 0.06 * e
    ctx.info.update(count=n)


def _walk(ctx: Ctx, P1: Controls, dist: np.ndarray, yaw: np.ndarray) -> None:
    """Walk along the initial frame's z by dist[T] (signed) with a simple gait."""
    b = P1.body
    stride = 0.75 * b["H"] / 1.7
    phase = 2 * math.pi * np.abs(dist) / stride + ctx.u(0, 2 * math.pi)
    moving = np.clip(np.abs(np.gradient(dist)) * 40, 0, 1)
    P1.yaw = P1.yaw + yaw
    P1.root = P1.root + np.stack([np.zeros_like(dist), -0.02 * np.cos(2 * phase) * moving, dist], -1)
    cy, sy = np.cos(P1.yaw), np.sin(P1.yaw)
    for sd in (-1, 1):
        ph = phase + (0 if sd < 0 else math.pi)
        lat = sd * b["hip_w"] * 1.05
        fwd = 0.25 * stride * np.sin(ph) * moving
        lift = 0.08 * np.maximum(0, np.cos(ph)) * moving
        ax = P1.root[:, 0] + cy * lat + sy * fwd
        az = P1.root[:, 2] - sy * lat + cy * fwd
        P1.set_ankle(sd, np.stack([ax, b["ankle_h"] + lift, az], -1))
        P1.set_wrist(sd, P1.wrist(sd) + (-0.5 * fwd)[:, None] * _v(0, 0, 1))
    P1.pitch = P1.pitch + 0.05 * moving


def prog_walk_towards(ctx: Ctx, P: list) -> None:
    s = ctx.s
    ctx.D = ctx.u(2.6, 3.4)
    end = ctx.u(0.7, 1.1)
    share = ctx.u(0.35, 0.65)
    for P1, frac in ((P[0], share), (P[1], 1 - share)):
        a, c = ctx.u(0.0, 0.15), ctx.u(0.8, 1.0)
        d = (ctx.D - end) * frac * np.clip((s - a) / (c - a), 0, 1)
        _walk(ctx, P1, d, np.zeros_like(s))


def prog_walk_apart(ctx: Ctx, P: list) -> None:
    s = ctx.s
    ctx.D = ctx.u(0.7, 1.1)
    for P1 in P:
        t_turn = ctx.u(0.0, 0.2)
        turn = math.pi * (1 if ctx.rng.random() < 0.5 else -1) * ramp(s, t_turn, t_turn + 0.15)
        a, c = t_turn + 0.1, ctx.u(0.8, 1.0)
        d = -ctx.u(0.7, 1.2) * np.clip((s - a) / (c - a), 0, 1)
        _walk(ctx, P1, d, turn)


Program = Callable[[Ctx, list], None]
