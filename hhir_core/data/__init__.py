"""Datasets, transforms and NTU formats shared by more than one method.

Kept import-light on purpose (no torch, no cv2 at import): ``hhir plugins list`` imports
this package, and data-loader workers should not pay for the heavy stack unless a module
needs it. Import the concrete modules directly, e.g. ``from hhir_core.data.ntu import
NTUSkeletonDataset``. Method-specific datasets live in their plugins; the synthetic
benchmark is the ``hhir_synthetic`` plugin.
"""
from __future__ import annotations

__all__: list[str] = []
