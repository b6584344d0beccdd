import os

import pytest
import torch

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    yield


@pytest.fixture(scope="module")
def head():
    """Tiny LLaMA + LoRA on the SmolLM2 tokenizer, LoRA B perturbed so LoRA matters."""
    from hhir_core.llm import CausalLMHead

    h = CausalLMHead.tiny()
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for n, p in h.named_parameters():
            if "lora_B" in n:
                p.copy_(torch.randn(p.shape, generator=g) * 0.05)
    return h.eval()


PROMPT = "Given a sequence of action tokens <tokens>, please predict the corresponding action."
