"""Engine glue around mmengine's Runner: safe checkpoints, hooks, stages, provenance.

Import the submodules directly (``hhir_core.engine.runner`` ...); this package
imports nothing heavy itself.
"""
