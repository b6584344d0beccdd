"""Plugin entry point of hhir_synthetic: the data-preparation step the mini configs use."""
from hhir_core.plugins import hookimpl


@hookimpl
def hhir_register(register):
    register("data_preparation", "SyntheticBenchmark", "hhir_synthetic.prepare:SyntheticBenchmark")


@hookimpl
def hhir_contract():
    """Role-contract versions this plugin is written against (hhir_core.interfaces.CONTRACT_VERSION)."""
    return ">=2.0,<3"
