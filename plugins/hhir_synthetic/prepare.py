"""The mini configs' data-preparation step (``prepare_data = [dict(type='SyntheticBenchmark', ...)]``)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Optional, Sequence


class SyntheticBenchmark:
    """Generate the synthetic benchmark into ``out_dir`` unless it is already there.

    Why a step and not a dataset argument: datasets read files; making them is a separate,
    explicit step that ``tools/train.py`` / ``tools/test.py`` run once before any dataset is
    built (:func:`hhir_core.engine.runner.prepare_data`). The arguments are those of
    :func:`hhir_synthetic.generator.ensure_synthetic`; ``root`` is the generated folder.
    """

    def __init__(self, out_dir: str, num_samples: int = 2000, seed: int = 0, render: bool = False,
                 classes: Optional[Iterable] = None, difficulty: float = 0.5, size: int = 112,
                 frames: Sequence[int] = (40, 72), workers: Optional[int] = None,
                 progress: bool = False) -> None:
        from .generator import ensure_synthetic

        self.root: Path = ensure_synthetic(os.fspath(out_dir), num_samples=num_samples, seed=seed,
                                           render=render, classes=classes, difficulty=difficulty,
                                           size=size, frames=tuple(frames), workers=workers,
                                           progress=progress)
