"""Plugin entry point of hhir_llm_ar: registrations are lazy "module:Class" strings."""
from pathlib import Path

from hhir_core.plugins import hookimpl

_M = "hhir_llm_ar"
COMPONENTS = [
    ("tokenizer", "HyperbolicVQTokenizer", f"{_M}.tokenizers:HyperbolicVQTokenizer"),
    ("tokenizer", "EuclideanVQTokenizer", f"{_M}.tokenizers:EuclideanVQTokenizer"),
    ("tokenizer", "ContinuousTokenizer", f"{_M}.tokenizers:ContinuousTokenizer"),
    ("model", "LLMARRecognizer", f"{_M}.recognizer:LLMARRecognizer"),
    ("metric", "VQTokenizerMetric", f"{_M}.metrics:VQTokenizerMetric"),
    ("hook", "LLMARStageHook", f"{_M}.hooks:LLMARStageHook"),
    ("hook", "CodebookUsageHook", f"{_M}.hooks:CodebookUsageHook"),
    ("hook", "LoRAExportHook", f"{_M}.hooks:LoRAExportHook"),
]


@hookimpl
def hhir_register(register):
    for role, name, target in COMPONENTS:
        register(role, name, target)


@hookimpl
def hhir_requires():
    return ["torch", "transformers>=4.45", "peft>=0.12", "mmengine>=0.10"]


@hookimpl
def hhir_config_dir():
    """This plugin's configs, addressable as ``hhir_llm_ar::<file>.py`` (also from ``_base_``)."""
    return str(Path(__file__).parent / "configs")


@hookimpl
def hhir_contract():
    """Role-contract versions this plugin is written against (hhir_core.interfaces.CONTRACT_VERSION)."""
    return ">=2.0,<3"
