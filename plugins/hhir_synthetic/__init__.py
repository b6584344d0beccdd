"""The synthetic benchmark: an offline, deterministic NTU-format stand-in (skeletons, videos, text).

A plugin of its own so the core carries no generator: the mini configs name it in their
``prepare_data`` step (``dict(type='SyntheticBenchmark', out_dir=..., ...)``), which
``tools/train.py`` and ``tools/test.py`` run before building any dataset;
``tools/data/make_synthetic.py`` is its command line. See ``docs/synthetic.md``.

Modules: :mod:`.classes` (the class table), :mod:`.motion` (motion programs),
:mod:`.text` (descriptions), :mod:`.render` (clips, masks, HHIRChat JSON),
:mod:`.generator` (:func:`~hhir_synthetic.generator.ensure_synthetic`).
"""
from __future__ import annotations

__all__ = ["SyntheticBenchmark", "ensure_synthetic"]


def __getattr__(name: str):
    # lazy: ``hhir plugins list`` imports this package and must not pay for numpy/cv2
    if name == "ensure_synthetic":
        from .generator import ensure_synthetic
        return ensure_synthetic
    if name == "SyntheticBenchmark":
        from .prepare import SyntheticBenchmark
        return SyntheticBenchmark
    raise AttributeError(f"module 'hhir_synthetic' has no attribute {name!r}")
