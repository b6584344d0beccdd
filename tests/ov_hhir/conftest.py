import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "plugins"))


def fixtures_dir() -> Path:
    return Path(os.environ.get("HHIR_FIXTURES", ROOT / ".." / "shared" / "fixtures")).resolve()


@pytest.fixture(autouse=True)
def _one_thread():
    import torch
    torch.set_num_threads(1)
    yield
