import pytest
import torch

from helpers import single_thread_seeded  # noqa: F401  (autouse: 1 thread, seed 0)


@pytest.fixture(scope="module")
def head():
    """Tiny LLaMA + LoRA on the SmolLM2 tokenizer, LoRA B perturbed so LoRA matters."""
    from hhir_core.llm import CausalLMHead

    return perturb_lora(CausalLMHead.tiny())


def perturb_lora(h):
    """LoRA B starts at zero; seeded noise makes the adapter change the output (eval mode)."""
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for n, p in h.named_parameters():
            if "lora_B" in n:
                p.copy_(torch.randn(p.shape, generator=g) * 0.05)
    return h.eval()


PROMPT = "Given a sequence of action tokens <tokens>, please predict the corresponding action."
