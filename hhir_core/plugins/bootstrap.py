"""Imported by mmengine when the ``hhir`` registry scope is first searched."""
from .manager import get_manager

get_manager().load()
