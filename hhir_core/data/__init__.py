"""Datasets, transforms, NTU formats and the synthetic benchmark.

Kept import-light on purpose (no torch, no cv2 at import): tools such as
``make_synthetic.py`` and ``hhir plugins list`` import this package, and data-loader
workers should not pay for the heavy stack unless a module needs it. Import the
concrete modules directly, e.g. ``from hhir_core.data.synthetic import ensure_synthetic``.
"""
from __future__ import annotations

__all__: list[str] = []
