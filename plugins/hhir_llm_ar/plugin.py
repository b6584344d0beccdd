"""Plugin entry point of hhir_llm_ar: registrations are lazy "module:Class" strings."""
from hhir_core.plugins import hookimpl

_M = "hhir_llm_ar"
COMPONENTS = [
    ("tokenizer", "HyperbolicVQTokenizer", f"{_M}.tokenizers:HyperbolicVQTokenizer"),
    ("tokenizer", "EuclideanVQTokenizer", f"{_M}.tokenizers:EuclideanVQTokenizer"),
    ("tokenizer", "ContinuousTokenizer", f"{_M}.tokenizers:ContinuousTokenizer"),
]


@hookimpl
def hhir_register(register):
    for role, name, target in COMPONENTS:
        register(role, name, target)
