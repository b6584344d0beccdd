"""The conformance kit on every role component the hhir_ski plugin registers."""
from hhir_core.testing import assert_conforms, parametrize_registry


@parametrize_registry(plugins=["hhir_ski"])
def test_ski_components_conform(hhir_component):
    assert_conforms(hhir_component)
