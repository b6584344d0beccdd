"""Plugin entry point of hhir_mmaction (registrations are lazy strings)."""
from hhir_core.plugins import hookimpl


@hookimpl
def hhir_register(register):
    pass
