"""Shared test helpers (importable as ``helpers``; tests/ is on the pytest pythonpath)."""
from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("OMP_NUM_THREADS", "2")

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable


def _find_fixtures() -> Path:
    """``$HHIR_FIXTURES``, else the first ``shared/fixtures`` beside the checkout or a parent."""
    if os.environ.get("HHIR_FIXTURES"):
        return Path(os.environ["HHIR_FIXTURES"]).resolve()
    for parent in REPO.parents:
        if (parent / "shared" / "fixtures").is_dir():
            return (parent / "shared" / "fixtures").resolve()
    return (REPO.parent / "shared" / "fixtures").resolve()


FIXTURES = _find_fixtures()
TOY_PLUGIN = REPO / "tests" / "engine" / "toy_plugin"


def make_plugin(root: Path, name: str, plugin_code: str, modules: dict | None = None,
                version: str = "0.1.0") -> Path:
    """Write an importable plugin package plus a ``.dist-info`` entry point under ``root``.

    This is exactly what ``pip install`` leaves behind, so entry-point discovery
    sees it once ``root`` is on ``sys.path``/``PYTHONPATH``.
    """
    pkg = root / name
    pkg.mkdir(parents=True, exist_ok=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "plugin.py").write_text(textwrap.dedent(plugin_code))
    for mod, code in (modules or {}).items():
        (pkg / f"{mod}.py").write_text(textwrap.dedent(code))
    dist = root / f"{name}-{version}.dist-info"
    dist.mkdir(exist_ok=True)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name.replace('_', '-')}\n"
                                   f"Version: {version}\n")
    (dist / "entry_points.txt").write_text(f"[hhir.plugins]\n{name} = {name}.plugin\n")
    return root


def synthetic_child_config(base: Path, syn: dict) -> str:
    """Head of a child config of ``base`` whose three dataloaders read a synthetic set that its
    ``prepare_data`` step generates from ``syn`` (``out_dir`` and the generator's options)."""
    root = syn["out_dir"]
    return (f"_base_ = [{str(base)!r}]\n"
            f"prepare_data = [dict(type='SyntheticBenchmark', **{syn!r})]\n"
            + "".join(f"{loader}_dataloader = dict(dataset=dict(data_root={root!r}))\n"
                      for loader in ("train", "val", "test")))


def env_with_path(*paths: Path, **extra: str) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(p) for p in paths] +
                                        ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env.update(extra)
    return env


import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def single_thread_seeded():
    """Autouse in folders whose conftest imports it: 1 torch thread, seed 0 (determinism)."""
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(0)
    yield


def perturb_lora(module):
    """LoRA B starts at zero; seeded noise makes the adapter change the output. Returns ``module``."""
    import torch

    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for name, p in module.named_parameters():
            if "lora_B" in name:
                p.copy_(torch.randn(p.shape, generator=g) * 0.05)
    return module
