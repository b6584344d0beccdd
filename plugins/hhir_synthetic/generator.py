"""The synthetic benchmark: NTU-format skeleton/video/text data from parametric motion programs.

Why: every method in the zoo needs data that exists offline, is deterministic for a seed and
carries real NTU ids/names and protocols (xsub/xview/xset), so mini configs run anywhere and
swap to the real NTU files by changing a path. See ``docs/synthetic.md``.

Entry point: :func:`ensure_synthetic` (idempotent, safe for concurrent callers).
Per-sample random streams are keyed by (seed, setup, camera, subject, replication, label), so
results do not depend on the number of workers and a sample's content does not depend on
``num_samples`` (a smaller set is a prefix of a larger one with the same seed and classes).
"""
from __future__ import annotations

import contextlib
import functools
import json
import math
import os
import pickle
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np

from hhir_core.errors import ConfigError, DataError

from . import motion as sm
from .classes import CLASS_TABLE, DEFAULT_CLASSES, SynthClass, resolve_classes
from .render import render_sample, write_hhirchat
from .text import PALETTE, describe

GENERATOR_VERSION = 2

# ----------------------------------------------------------------------------- NTU facts
# Cross-subject training subjects of NTU RGB+D 120 (superset of the NTU60 list), from
# ../shared/fixtures/ntu/protocols.json; kept here as data so the project needs no fixtures.
XSUB_TRAIN_SUBJECTS: frozenset[int] = frozenset((
    1, 2, 4, 5, 8, 9, 13, 14, 15, 16, 17, 18, 19, 25, 27, 28, 31, 34, 35, 38, 45, 46, 47, 49, 50, 52,
    53, 54, 55, 56, 57, 58, 59, 70, 74, 78, 80, 81, 82, 83, 84, 85, 86, 89, 91, 92, 93, 94, 95, 97,
    98, 100, 103))
XVIEW_TRAIN_CAMERAS: tuple[int, ...] = (2, 3)      # NTU cross-view: train on cameras 2, 3; test on 1
NUM_SUBJECTS, NUM_SETUPS, NUM_CAMERAS, NUM_REPLICATIONS = 106, 32, 3, 2
CAMERA_ANGLES_DEG = {1: -45.0, 2: 0.0, 3: 45.0}     # horizontal angles of the three Kinects
_COMBOS = NUM_SETUPS * NUM_CAMERAS * NUM_SUBJECTS * NUM_REPLICATIONS


# ----------------------------------------------------------------------------- config / plan
@dataclass(frozen=True)
class SynthConfig:
    """All parameters that define the generated files (the manifest compares these)."""
    num_samples: int = 2000
    seed: int = 0
    render: bool = False
    classes: tuple[int, ...] = DEFAULT_CLASSES
    difficulty: float = 0.5
    size: int = 112
    frames: tuple[int, int] = (40, 72)
    fps: int = 30
    version: int = GENERATOR_VERSION

    def validate(self) -> "SynthConfig":
        if self.num_samples < 1:
            raise ConfigError(f"synthetic num_samples must be >= 1, got {self.num_samples}")
        if not 0.0 <= self.difficulty <= 1.0:
            raise ConfigError(f"synthetic difficulty must be in [0, 1], got {self.difficulty}")
        if not (8 <= self.frames[0] <= self.frames[1]):
            raise ConfigError(f"synthetic frames must be (min, max) with 8 <= min <= max, got {self.frames}")
        if self.size < 32:
            raise ConfigError(f"synthetic size must be >= 32 px, got {self.size}")
        per_class = math.ceil(self.num_samples / len(self.classes))
        if per_class > _COMBOS:
            raise ConfigError(f"synthetic num_samples={self.num_samples} exceeds {_COMBOS} unique "
                              f"setup/camera/subject/replication combinations per class")
        return self

    def to_json(self) -> dict:
        d = asdict(self)
        d["classes"], d["frames"] = list(self.classes), list(self.frames)
        return d


_PERM_CACHE: dict[tuple[int, int], np.ndarray] = {}


def sample_meta(cfg: SynthConfig, index: int) -> tuple[int, int, int, int, int]:
    """Index -> (label, setup, camera, subject, replication); classes are balanced round-robin."""
    K = len(cfg.classes)
    label = cfg.classes[index % K]
    key = (cfg.seed, label)
    perm = _PERM_CACHE.get(key)
    if perm is None:
        perm = np.random.default_rng([cfg.seed, 11, label]).permutation(_COMBOS)
        _PERM_CACHE[key] = perm
    c = int(perm[index // K])
    setup, c = c % NUM_SETUPS + 1, c // NUM_SETUPS
    camera, c = c % NUM_CAMERAS + 1, c // NUM_CAMERAS
    subject, rep = c % NUM_SUBJECTS + 1, c // NUM_SUBJECTS + 1
    return label, setup, camera, subject, rep


def frame_dir_name(label: int, setup: int, camera: int, subject: int, rep: int) -> str:
    """NTU sample name ``SsssCcccPpppRrrrAaaa`` (A is the 1-based action number)."""
    return f"S{setup:03d}C{camera:03d}P{subject:03d}R{rep:03d}A{label + 1:03d}"


def partner_subject(subject: int, setup: int) -> int:
    """Second person of a two-person sample: a subject from the *same* xsub side (no leakage)."""
    same = sorted(s for s in range(1, NUM_SUBJECTS + 1) if (s in XSUB_TRAIN_SUBJECTS) == (subject in XSUB_TRAIN_SUBJECTS))
    i = same.index(subject)
    return same[(i + 1 + setup % 7) % len(same)]


# ----------------------------------------------------------------------------- cameras
@functools.lru_cache(maxsize=512)
def camera_pose(seed: int, setup: int, camera: int) -> tuple[np.ndarray, np.ndarray]:
    """(centre C [3], rotation Rc [3,3]) of a Kinect; ``p_cam = Rc @ (p_scene - C)``.

    Camera space like Kinect: x right in the image, y up, z depth.
    """
    r = np.random.default_rng([seed, 4, setup])
    dist, height, look = r.uniform(2.7, 3.5), r.uniform(0.7, 1.3), r.uniform(0.75, 1.0)
    phi = math.radians(CAMERA_ANGLES_DEG[camera] + np.random.default_rng([seed, 4, setup, camera]).uniform(-3, 3))
    C = np.array([dist * math.sin(phi), height, -dist * math.cos(phi)])
    fwd = np.array([0.0, look, 0.0]) - C
    fwd /= np.linalg.norm(fwd)
    right = np.cross([0.0, 1.0, 0.0], fwd)
    right /= np.linalg.norm(right)
    up = np.cross(fwd, right)
    return C, np.stack([right, up, fwd])


def _yaw_axes(a: float) -> tuple[np.ndarray, np.ndarray]:
    """(right, forward) scene axes of a person with scene yaw ``a`` (a = 0 faces camera 2)."""
    return np.array([math.cos(a), 0.0, math.sin(a)]), np.array([math.sin(a), 0.0, -math.cos(a)])


def _place(J: np.ndarray, origin: np.ndarray, a: float) -> np.ndarray:
    """Person-initial-frame joints [T,25,3] -> scene coordinates."""
    R, F = _yaw_axes(a)
    M = np.stack([R, np.array([0.0, 1.0, 0.0]), F], 0)  # rows: local x, y, z axes in scene
    return J @ M + origin


# ----------------------------------------------------------------------------- sample
@functools.lru_cache(maxsize=256)
def _interp_matrix(T: int, knots: int) -> np.ndarray:
    kx = np.linspace(0.0, T - 1.0, knots)
    return np.maximum(0.0, 1.0 - np.abs(np.arange(T)[:, None] - kx[None, :]) / (kx[1] - kx[0]))


def _lowfreq(rng: np.random.Generator, T: int, shape: tuple, scale, knots: int = 5) -> np.ndarray:
    """Smooth random wander [T, *shape]; ``scale`` may be an array broadcast over ``shape``."""
    kv = rng.normal(0.0, 1.0, size=(knots,) + tuple(shape)) * scale
    return (_interp_matrix(T, knots) @ kv.reshape(knots, -1)).reshape((T,) + tuple(shape))


def _scene_motion(cfg: SynthConfig, cls: SynthClass, rng: np.random.Generator, bodies: list, T: int,
                  s: np.ndarray, amp: float, speed: float, side: int, group_yaw: float):
    """Run one class program for the people; returns (scene joints [M,T,25,3], ctx)."""
    d = cfg.difficulty
    persons = []
    for b in bodies:
        c = sm.Controls(b, T)
        fid = b["fidget"] * (0.015 + 0.03 * d)
        w = _lowfreq(rng, T, (12,), np.array([fid] * 6 + [0.01, 0.003, 0.01, 0.02, 0.02, 0.06]))
        c.lw = c.lw + w[:, 0:3]
        c.rw = c.rw + w[:, 3:6]
        c.root = c.root + w[:, 6:9]
        c.pitch = c.pitch + w[:, 9]
        c.roll = c.roll + w[:, 10]
        c.head_pitch = c.head_pitch + w[:, 11]
        persons.append(c)
    ctx = sm.Ctx(rng, T, s, amp, speed, side, d)
    getattr(sm, cls.program)(ctx, persons)
    joints = [sm.forward_kinematics(p) for p in persons]
    if len(joints) == 1:
        R, _ = _yaw_axes(group_yaw)
        return _place(joints[0], np.zeros(3), group_yaw)[None], ctx
    R, _ = _yaw_axes(group_yaw)
    a1, a2 = group_yaw + math.pi / 2, group_yaw - math.pi / 2 + ctx.partner_yaw
    J1 = _place(joints[0], -0.5 * ctx.D * R, a1)
    # person 2's initial frame is centred on its pelvis; partner_yaw turns it about its own axis
    J2 = _place(joints[1], 0.5 * ctx.D * R, a2)
    return np.stack([J1, J2]), ctx


def generate_sample(cfg: SynthConfig, index: int, keep_render_data: bool = False) -> dict:
    """Build one sample: 3-D/2-D annotations, descriptions (and drawing data if asked).

    Why per-sample ``default_rng([seed, ...ids])`` streams: workers can generate any subset in
    any order with identical results; the motion stream omits the camera so the three Kinect
    views of one performance show the same motion (as in NTU).
    """
    label, setup, camera, subject, rep = sample_meta(cfg, index)
    cls = CLASS_TABLE[label]
    d = cfg.difficulty
    frame_dir = frame_dir_name(label, setup, camera, subject, rep)
    rm = np.random.default_rng([cfg.seed, 1, setup, subject, rep, label])      # motion (camera-independent)
    rn = np.random.default_rng([cfg.seed, 3, setup, camera, subject, rep, label])  # sensor / rendering
    bodies = [sm.subject_body(np.random.default_rng([cfg.seed, 2, subject]))]
    if cls.two_person:
        bodies.append(sm.subject_body(np.random.default_rng([cfg.seed, 2, partner_subject(subject, setup)])))
    T = int(rm.integers(cfg.frames[0], cfg.frames[1] + 1))
    speed = bodies[0]["speed"] * float(rm.lognormal(0.0, 0.08 + 0.12 * d))
    amp = bodies[0]["amp"] * float(rm.lognormal(0.0, 0.08 + 0.17 * d))
    # action window inside the clip (random start/length; sometimes truncated at high difficulty)
    frac = float(np.clip(rm.uniform(0.65, 0.95) / speed, 0.45, 1.0))
    L = max(8.0, frac * T)
    t0 = rm.uniform(0.0, max(T - L, 0.0))
    if rm.random() < 0.3 * d:
        t0 += rm.uniform(-0.15, 0.15) * L
    gamma = float(rm.lognormal(0.0, 0.2))
    s = np.clip((np.arange(T) - t0) / L, 0.0, 1.0) ** gamma
    side = -1 if bodies[0]["left_handed"] else 1
    if rm.random() < 0.1:
        side = -side
    # replication 1/2 face the left/right camera (NTU); pairs stand more side-on to the
    # cameras so the two people overlap less often
    facing = (15.0 if cls.two_person else 45.0) * (1 if rep == 1 else -1)
    group_yaw = math.radians(facing + rm.uniform(-12, 12))
    blend_w = 0.0
    mix_rng = np.random.default_rng([cfg.seed, 5, setup, subject, rep, label])
    J, ctx = _scene_motion(cfg, cls, rm, bodies, T, s, amp, speed, side, group_yaw)
    if cls.confuser is not None and cls.confuser in CLASS_TABLE and mix_rng.random() < 0.6 * d:
        # overlapping motions: mix in the confusable class's program (still < 50 %)
        blend_w = float(mix_rng.uniform(0.15, 0.45))
        J2, _ = _scene_motion(cfg, CLASS_TABLE[cls.confuser], mix_rng, bodies, T, s, amp, speed, side, group_yaw)
        J = (1.0 - blend_w) * J + blend_w * J2
    J = J + np.array([rm.uniform(-0.2, 0.2), 0.0, rm.uniform(-0.2, 0.2)])

    C, Rc = camera_pose(cfg.seed, setup, camera)
    clean = (J - C) @ Rc.T                                            # [M,T,25,3] camera space
    M = clean.shape[0]
    z = clean[..., 2:3]
    sigma = (0.003 + 0.012 * d) * (z / 3.0)
    noisy = clean + rn.normal(0.0, 1.0, clean.shape) * sigma
    noisy += _lowfreq(rn, T, (M, 1, 3), 0.004 + 0.01 * d).transpose(1, 0, 2, 3)
    score = rn.uniform(0.75, 1.0, size=(M, T, 25))
    jit = rn.random((M, T, 25)) < (0.002 + 0.012 * d)
    nj = int(jit.sum())
    noisy[jit] += rn.normal(0.0, 0.05 + 0.08 * d, (nj, 3))
    score[jit] = rn.uniform(0.05, 0.4, size=nj)
    for m in range(M):
        if rn.random() < 0.5 * d:  # occlusion: a limb is "inferred" (frozen and pulled to the torso)
            limb = [sm.LEFT_ARM, sm.RIGHT_ARM, sm.LEFT_ARM, sm.RIGHT_ARM, sm.LEFT_LEG, sm.RIGHT_LEG][int(rn.integers(6))]
            a = int(rn.integers(0, T))
            b = min(T, a + int(rn.uniform(0.2, 0.6) * T))
            nm, sc = noisy[m], score[m]  # views (avoid mixed advanced-index reordering)
            frozen = 0.7 * nm[a, limb] + 0.3 * nm[a, sm.MID][None]
            nm[a:b, limb] = frozen[None] + rn.normal(0, 0.01, (b - a, len(limb), 3))
            sc[a:b, limb] = rn.uniform(0.2, 0.5, size=(b - a, len(limb)))
        rel = math.degrees(abs(math.atan2(Rc[0] @ _yaw_axes(group_yaw)[1], -(Rc[2] @ _yaw_axes(group_yaw)[1]))))
        if (rel > 60 or cls.two_person) and rn.random() < 0.3 * d:  # Kinect left/right confusion
            a = int(rn.integers(0, T))
            b = min(T, a + int(rn.integers(3, max(4, T // 4))))
            noisy[m, a:b] = noisy[m, a:b][:, sm.MIRROR]
            score[m, a:b] *= 0.7
    drop = np.zeros((M, T), bool)
    for m in range(M):
        if rn.random() < 0.15 * d:
            a = int(rn.integers(1, T - 1))
            drop[m, a:a + int(rn.integers(1, 4))] = True
    noisy[drop] = 0.0

    # 2-D: a pinhole per sample (zoom/offset chosen so the clean motion fits the frame)
    size = cfg.size
    n_clean = clean[..., :2] / clean[..., 2:3]
    lo, hi = n_clean.reshape(-1, 2).min(0), n_clean.reshape(-1, 2).max(0)
    span = np.maximum(hi - lo, 1e-3)
    margin = 0.06 * size
    f = rn.uniform(0.85, 1.0) * (size - 2 * margin) / span.max()
    slack = (size - 2 * margin) - f * span
    cx = size / 2 - f * (lo[0] + hi[0]) / 2 + rn.uniform(-0.5, 0.5) * slack[0]
    cy = size / 2 + f * (lo[1] + hi[1]) / 2 + rn.uniform(-0.5, 0.5) * slack[1]
    K = np.array([f, cx, cy])

    def project(P: np.ndarray) -> np.ndarray:
        zz = np.where(np.abs(P[..., 2]) < 1e-3, 1e-3, P[..., 2])
        return np.stack([K[1] + K[0] * P[..., 0] / zz, K[2] - K[0] * P[..., 1] / zz], -1)

    kp2 = project(noisy) + rn.normal(0.0, 0.3, size=(M, T, 25, 2))
    outside = (kp2 < 0).any(-1) | (kp2 > size - 1).any(-1)
    kp2 = np.clip(kp2, 0.0, size - 1.0)
    score = np.where(outside, score * 0.5, score)
    kp2[drop] = 0.0
    score[drop] = 0.0
    clean2d = project(clean)

    # descriptions: colours and image sides of the people
    col_ids = rn.choice(len(PALETTE), size=2, replace=False)
    colours = [PALETTE[int(i)][0] for i in col_ids[:M]]
    if M == 2:
        left_first = clean2d[0, : max(1, T // 4), :, 0].mean() < clean2d[1, : max(1, T // 4), :, 0].mean()
        positions = ["left", "right"] if left_first else ["right", "left"]
    else:
        positions = ["left" if clean2d[0, ..., 0].mean() < size / 2 else "right"]
    descs = describe(np.random.default_rng([cfg.seed, 6, setup, camera, subject, rep, label]), label,
                     ctx.info, colours + ["grey"], positions + ["right"], speed)

    ann3d = dict(frame_dir=frame_dir, label=label, keypoint=noisy.astype(np.float32), total_frames=T)
    ann2d = dict(frame_dir=frame_dir, label=label, keypoint=kp2.astype(np.float32),
                 keypoint_score=score.astype(np.float32), total_frames=T,
                 img_shape=(size, size), original_shape=(size, size))
    out = dict(ann3d=ann3d, ann2d=ann2d, descriptions=descs,
               meta=dict(frame_dir=frame_dir, label=label, total_frames=T, setup=setup, camera=camera, subject=subject,
                         replication=rep, blend=blend_w, info=ctx.info, colours=colours, positions=positions))
    if keep_render_data:
        out["render"] = dict(points=clean2d.astype(np.float32), depth=clean[..., 2].mean(-1).astype(np.float32),
                             colours=[PALETTE[int(i)][1] for i in col_ids[:M]], scale=float(f),
                             seed=[cfg.seed, 7, setup, camera, subject, rep, label])
    return out


def make_splits(metas: Sequence[dict]) -> dict[str, list[str]]:
    """NTU protocols: xsub by subject list, xview by camera (2,3 train), xset by even setup."""
    sp = {k: [] for k in ("xsub_train", "xsub_val", "xview_train", "xview_val", "xset_train", "xset_val")}
    for m in metas:
        fd = m["frame_dir"]
        sp["xsub_train" if m["subject"] in XSUB_TRAIN_SUBJECTS else "xsub_val"].append(fd)
        sp["xview_train" if m["camera"] in XVIEW_TRAIN_CAMERAS else "xview_val"].append(fd)
        sp["xset_train" if m["setup"] % 2 == 0 else "xset_val"].append(fd)
    return sp


# ----------------------------------------------------------------------------- generation
def _work_chunk(args: tuple) -> list[dict]:
    """Worker: generate (and optionally render) a contiguous chunk of samples.

    The annotations go to ``tmp_dir/.chunks/<start>.pkl`` (not back through the pipe) so the
    parent never holds the whole dataset in memory; only metas and descriptions come back.
    """
    cfg_d, start, stop, tmp_dir = args
    cfg_d = dict(cfg_d, classes=tuple(cfg_d["classes"]), frames=tuple(cfg_d["frames"]))
    cfg = SynthConfig(**cfg_d)
    out, a3, a2 = [], [], []
    for i in range(start, stop):
        smp = generate_sample(cfg, i, keep_render_data=cfg.render)
        if cfg.render:
            render_sample(smp, Path(tmp_dir), cfg)
            smp.pop("render")
        a3.append(smp.pop("ann3d"))
        a2.append(smp.pop("ann2d"))
        out.append(smp)
    with open(_chunk_path(Path(tmp_dir), start), "wb") as f:
        pickle.dump({"ann3d": a3, "ann2d": a2}, f, protocol=4)
    return out


def _chunk_path(tmp: Path, start: int) -> Path:
    return tmp / ".chunks" / f"{start:09d}.pkl"


class _ChunkedList:
    """Pickles as a plain ``list`` whose items are streamed from the chunk files.

    Why: ``pickle.load`` of the result is an ordinary list (mmaction2/pyskl compatible), while
    writing needs one chunk in memory at a time (100k samples are several GB).
    """

    def __init__(self, paths: list[Path], key: str):
        self.paths, self.key = paths, key

    def _items(self) -> Iterator[dict]:
        for p in self.paths:
            with open(p, "rb") as f:
                yield from pickle.load(f)[self.key]

    def __reduce__(self):
        return (list, (), None, self._items())


def _dump_streaming(path: Path, splits: dict, chunks: list[Path], key: str) -> None:
    with open(path, "wb") as f:
        pk = pickle.Pickler(f, protocol=4)
        pk.fast = True  # no memo: the memo would keep every pickled array alive
        pk.dump({"split": splits, "annotations": _ChunkedList(chunks, key)})


_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _iter_samples(cfg: SynthConfig, tmp_dir: Path, workers: int, chunk: int) -> Iterator[list[dict]]:
    jobs = [(cfg.to_json(), a, min(a + chunk, cfg.num_samples), str(tmp_dir))
            for a in range(0, cfg.num_samples, chunk)]
    if workers <= 1 or len(jobs) == 1:
        for j in jobs:
            yield _work_chunk(j)
        return
    import multiprocessing as mp
    # one BLAS/OpenMP thread per worker: the machine's cores are the workers
    saved = {k: os.environ.get(k) for k in _THREAD_VARS}
    os.environ.update({k: "1" for k in _THREAD_VARS})
    try:
        # fork where available: spawn/forkserver re-import the caller's __main__, which
        # deadlocks on our lock when a script calls ensure_synthetic without a main guard
        method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
        pool = mp.get_context(method).Pool(workers)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    with pool:
        yield from pool.imap(_work_chunk, jobs)


def _generate(cfg: SynthConfig, tmp: Path, workers: int, progress: bool) -> dict:
    metas, descs, frames = [], {}, []
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=cfg.num_samples, desc="synthetic" + (" (render)" if cfg.render else ""), unit="sample")
    chunk = 16 if cfg.render else 256
    (tmp / ".chunks").mkdir(parents=True, exist_ok=True)
    if cfg.render:
        for sub in ("videos", "masks", "branches"):
            (tmp / sub).mkdir(parents=True, exist_ok=True)
    for res in _iter_samples(cfg, tmp, workers, chunk):
        for smp in res:
            metas.append(smp["meta"])
            descs[smp["meta"]["frame_dir"]] = smp["descriptions"]
            frames.append(smp["meta"]["total_frames"])
        if bar is not None:
            bar.update(len(res))
    if bar is not None:
        bar.close()
    splits = make_splits(metas)
    chunks = [_chunk_path(tmp, a) for a in range(0, cfg.num_samples, chunk)]
    _dump_streaming(tmp / "ntu3d.pkl", splits, chunks, "ann3d")
    _dump_streaming(tmp / "ntu2d.pkl", splits, chunks, "ann2d")
    shutil.rmtree(tmp / ".chunks", ignore_errors=True)
    classes = [{"label": k, "name": CLASS_TABLE[k].name, "two_person": CLASS_TABLE[k].two_person}
               for k in cfg.classes]
    (tmp / "classes.json").write_text(json.dumps(classes, indent=1))
    (tmp / "descriptions.json").write_text(json.dumps(descs, indent=0, ensure_ascii=False))
    if cfg.render:
        write_hhirchat(tmp, metas, descs, splits)
    return dict(counts={k: len(v) for k, v in splits.items()}, num_samples=len(metas),
                mean_frames=round(float(np.mean(frames)), 2))


_OUTPUTS = ("ntu3d.pkl", "ntu2d.pkl", "classes.json", "descriptions.json", "hhirchat_train.json",
            "hhirchat_val.json", "videos", "masks", "branches")


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Inter-process lock (flock) so concurrent ensure_synthetic calls generate once."""
    fh = open(path, "a+")
    try:
        try:
            import fcntl
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        except ImportError:  # pragma: no cover - non-POSIX: best effort
            pass
        yield
    finally:
        fh.close()


def _manifest_ok(out: Path, cfg: SynthConfig) -> bool:
    mf = out / "manifest.json"
    if not mf.is_file():
        return False
    try:
        m = json.loads(mf.read_text())
    except (OSError, json.JSONDecodeError):
        return False
    have, want = dict(m.get("params") or {}), cfg.to_json()
    if have.get("render") and not want.get("render"):
        have["render"] = False  # a rendered set holds the same skeletons a skeleton-only one would
    if have != want:
        return False
    return all((out / name).exists() for name in m.get("outputs", []))


def ensure_synthetic(out_dir: str | os.PathLike, num_samples: int = 2000, seed: int = 0, render: bool = False,
                     classes: Iterable[int | str] | None = None, difficulty: float = 0.5, size: int = 112,
                     frames: tuple[int, int] = (40, 72), workers: int | None = None,
                     progress: bool = False) -> Path:
    """Generate the synthetic benchmark into ``out_dir`` unless ``manifest.json`` already matches.

    Why idempotent and locked: configs call this at dataset build time from several
    processes (data-loader workers, parallel runs); only the first generates, the rest wait and
    reuse. Files are built in a temporary folder inside ``out_dir`` and moved in; the manifest is
    written last, so a crash never leaves a "valid" half-written set.
    """
    cfg = SynthConfig(num_samples=int(num_samples), seed=int(seed), render=bool(render),
                      classes=resolve_classes(classes), difficulty=float(difficulty), size=int(size),
                      frames=(int(frames[0]), int(frames[1]))).validate()
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise DataError(f"synthetic out_dir {out}: cannot create ({e})") from e
    with _locked(out / ".synthetic.lock"):
        if _manifest_ok(out, cfg):
            return out
        if workers is None:
            workers = min(2, os.cpu_count() or 1) if cfg.num_samples >= 512 else 1
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-synthetic-", dir=out))
        try:
            t0 = time.time()
            stats = _generate(cfg, tmp, int(workers), progress)
            (out / "manifest.json").unlink(missing_ok=True)
            for name in _OUTPUTS:
                p = out / name
                if p.is_dir():
                    shutil.rmtree(p)
                elif p.exists():
                    p.unlink()
            outputs = []
            for name in _OUTPUTS:
                if (tmp / name).exists():
                    os.replace(tmp / name, out / name)
                    outputs.append(name)
            manifest = dict(generator="hhir_synthetic", params=cfg.to_json(), outputs=outputs,
                            seconds=round(time.time() - t0, 2), workers=int(workers), **stats)
            (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1))
            os.replace(tmp / "manifest.json", out / "manifest.json")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return out
