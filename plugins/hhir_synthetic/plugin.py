"""Plugin entry point of hhir_synthetic: the data-preparation step the mini configs use."""
from hhir_core.plugins import hookimpl


@hookimpl
def hhir_register(register):
    register("data_preparation", "SyntheticBenchmark", "hhir_synthetic.prepare:SyntheticBenchmark")
