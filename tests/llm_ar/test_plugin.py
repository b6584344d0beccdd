"""The plugin's lazy registrations resolve to classes implementing their roles."""
import pytest

from hhir_core.registry import resolve
from hhir_llm_ar.plugin import COMPONENTS


@pytest.mark.parametrize("role,name,target", COMPONENTS)
def test_registered_component_resolves(role, name, target):
    obj = resolve(role, name)
    assert f"{obj.__module__}:{obj.__qualname__}" == target
