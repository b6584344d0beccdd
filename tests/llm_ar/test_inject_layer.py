"""LLM-AR's ``model.inject_layer``: the action sentence enters an intermediate LLM block
(the no-discretisation ablation), with a tiny random LLaMA."""
import pytest
import torch

from helpers import perturb_lora
from hhir_core.errors import ConfigError
from hhir_llm_ar.recognizer import LLMARRecognizer

X = torch.randn(3, 2, 16, 25, 3)
Y = torch.tensor([0, 1, 3])
CONTINUOUS = dict(type="ContinuousTokenizer", in_channels=2 * 25 * 3, hidden=32, depth=1)


def _llm(layers):
    return dict(model=dict(tiny=True, hidden_size=64, num_layers=layers, num_heads=4),
                lora=dict(r=4, alpha=8, dropout=0.0, target_modules=["q_proj", "v_proj"]))


def test_stage2_trains_and_predicts_in_every_mode_with_mid_layer_injection():
    torch.manual_seed(0)
    m = LLMARRecognizer.tiny(train_stage="llm", tokenizer=CONTINUOUS, inject_layer=1)
    assert m.inject_layer == 1 and m.head.inject_layer == 1
    m.on_stage_start()
    m.train()
    m(X, Y, mode="loss")["loss_lm"].backward()
    lora_b = [p.grad for n, p in m.named_parameters() if "lora_B" in n]
    assert lora_b and all(g is not None and g.abs().sum() > 0 for g in lora_b)
    m.eval()
    perturb_lora(m)
    plain = LLMARRecognizer.tiny(train_stage="llm", tokenizer=CONTINUOUS)  # input embeddings
    plain.load_state_dict(m.state_dict())
    plain.eval()
    results = {}
    for mode in ("score", "trie", "generate"):
        m.predict_mode = plain.predict_mode = mode
        pred = m(X, Y, mode="predict")
        assert len(pred) == 3 and all(p["pred_scores"].shape == (4,) for p in pred)
        assert all(0 <= p["pred_label"] < 4 for p in pred)
        results[mode] = (pred, plain(X, Y, mode="predict"))
    inj, ref = results["score"]
    scores = torch.stack([p["pred_scores"] for p in inj])
    assert not torch.allclose(scores, torch.stack([p["pred_scores"] for p in ref]), atol=1e-3), \
        "injecting at block 1 left the class scores unchanged"
    trie = results["trie"][0]
    assert [p["pred_label"] for p in trie] == [p["pred_label"] for p in inj]
    assert all(isinstance(p["pred_text"], str) for p in results["generate"][0])


def test_gradients_reach_the_skeleton_encoder_through_the_injected_block():
    """The injection is differentiable end to end: the LM loss on the injected latents gives
    the (trainable, stage-1) continuous tokenizer's encoder a gradient."""
    torch.manual_seed(0)
    m = LLMARRecognizer.tiny(train_stage="tokenizer", tokenizer=CONTINUOUS, inject_layer=1)
    soft = {"tokens": m.tokenizer(X, compute_losses=False).embeds}
    answers = [m.class_names[int(i)] for i in Y]
    loss = m.head(prompts=[m.prompt] * 3, answers=answers, soft_tokens=soft)["loss"]
    loss.backward()
    enc = [(n, p.grad) for n, p in m.tokenizer.named_parameters()
           if p.requires_grad and n.startswith("encoder.")]  # (the decoder is not on this path)
    assert enc and all(g is not None for _, g in enc), [n for n, g in enc if g is None]
    assert sum(float(g.abs().sum()) for _, g in enc) > 0


def test_middle_follows_truncation_and_bad_layers_are_one_line_errors():
    m = LLMARRecognizer.tiny(tokenizer=CONTINUOUS, llm=_llm(4), llm_layers=2, inject_layer="middle")
    assert m.inject_layer == 1
    assert LLMARRecognizer.tiny(tokenizer=CONTINUOUS, llm=_llm(4), inject_layer="middle").inject_layer == 2
    assert LLMARRecognizer.tiny(tokenizer=CONTINUOUS, inject_layer=0).inject_layer is None
    for kw, bad in ((dict(), 2), (dict(llm=_llm(4), llm_layers=2), 3), (dict(), -1), (dict(), "top")):
        with pytest.raises(ConfigError, match=rf"^model\.inject_layer={bad!r}: decoder block") as e:
            LLMARRecognizer.tiny(tokenizer=CONTINUOUS, inject_layer=bad, **kw)
        assert "\n" not in str(e.value)
    # vocabulary tokens are prompt text: nothing to inject
    with pytest.raises(ConfigError, match=r"model\.inject_layer=1 needs model\.token_mode='embeds'"):
        LLMARRecognizer.tiny(token_mode="vocab", inject_layer=1)
    # ... but a tokenizer without codes falls back to embeds, and then injects
    assert LLMARRecognizer.tiny(tokenizer=CONTINUOUS, token_mode="vocab",
                                inject_layer=1).inject_layer == 1


def test_slot_declares_the_capability():
    from hhir_core.llm import CausalLMHead

    slot = next(s for s in LLMARRecognizer.slots if s.key == "model.llm")
    assert "inject_soft_tokens_at: inject_layer" in slot.uses
    assert "inject_soft_tokens_at" in CausalLMHead.declared_capabilities()
