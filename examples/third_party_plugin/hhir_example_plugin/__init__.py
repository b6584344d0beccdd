"""hhir-example-plugin: a GRU skeleton tokenizer usable in LLM-AR's tokenizer slot.

Importing the package is cheap; the tokenizer module (torch) loads only when
the component is first built.
"""
__version__ = "0.1.0"
