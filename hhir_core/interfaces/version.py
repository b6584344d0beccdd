"""The version of the role contracts (kept import-free so listing plugins stays cheap).

MAJOR changes when a contract changes incompatibly (a method a consumer calls is added
without a default, renamed or removed, a shape changes); MINOR when something optional is
added (a capability with a default, a new contract). A plugin states the range it supports
with the ``hhir_contract`` hook, e.g. ``">=2.0,<3"``.
"""
CONTRACT_VERSION = "2.1"
