"""Project-wide test setup: offline, small thread pools, fixture discovery."""
from __future__ import annotations

from pathlib import Path

import pytest

from helpers import FIXTURES  # tests/ is on pythonpath (pyproject)
from hhir_core.config import install_config_resolver

# configs/*.py inherit the plugins' packaged configs (``_base_ = ['hhir_llm_ar::...']``); the
# tests read some with a bare mmengine ``Config.fromfile``
install_config_resolver()


def pytest_collection_modifyitems(config, items):
    if FIXTURES.is_dir():
        return
    skip = pytest.mark.skip(reason=f"real-data fixtures not found at {FIXTURES} "
                                   "(set HHIR_FIXTURES)")
    for item in items:
        if "realdata" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    if not FIXTURES.is_dir():
        pytest.skip(f"real-data fixtures not found at {FIXTURES}")
    return FIXTURES


