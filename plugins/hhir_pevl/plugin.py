"""Plugin entry point of hhir_pevl: registrations are lazy "module:Class" strings."""
from hhir_core.plugins import hookimpl


@hookimpl
def hhir_register(register):
    pass
