import pytest

from helpers import perturb_lora, single_thread_seeded  # noqa: F401  (autouse: 1 thread, seed 0)


@pytest.fixture(scope="module")
def head():
    """Tiny LLaMA + LoRA on the SmolLM2 tokenizer, LoRA B perturbed so LoRA matters."""
    from hhir_core.llm import CausalLMHead

    return perturb_lora(CausalLMHead.tiny()).eval()


PROMPT = "Given a sequence of action tokens <tokens>, please predict the corresponding action."
