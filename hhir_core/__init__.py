"""hhir core: registries, role interfaces, plugin machinery and engine glue.

Importing this package is cheap on purpose: it never imports transformers,
mmaction2 or a plugin. Heavy modules load lazily when a component is built.
"""
__version__ = "0.1.0"
