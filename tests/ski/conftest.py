"""Shared fixtures of the SKI tests: offline, single-threaded."""
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import pytest
import torch

torch.set_num_threads(1)


def _text_head_or_skip():
    try:
        from hhir_core.llm import TextEncoderHead
    except ImportError as exc:  # built concurrently by the llm-core engineer
        pytest.skip(f"hhir_core.llm.TextEncoderHead not available: {exc}")
    return TextEncoderHead


@pytest.fixture(scope="session")
def tiny_text():
    """A tiny random-init text encoder (real transformers model, frozen)."""
    head = _text_head_or_skip()
    torch.manual_seed(0)
    return head.tiny() if hasattr(head, "tiny") else head(model=dict(tiny=True), freeze=True)
