"""CausalLMHead behaviour on the tiny LLaMA (real transformers + peft code paths)."""
import pytest
import torch

from hhir_core.errors import ConfigError, HHIRError
from hhir_core.llm import CausalLMHead
from hhir_core.llm.prompting import IGNORE_INDEX, plain_pieces
from reference import score_classes_naive

from .conftest import PROMPT

CLASSES = ["hand waving", "punching", "kicking other person", "hugging", "sit down",
           "walking towards each other", "a"]


def _soft(head, B, L=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(B, L, head.embed_dim, generator=g)


def test_loss_is_mean_ce_over_answer_tokens_only(head):
    """Batched (right-padded) loss == CE over answer tokens of each sequence run alone."""
    prompts = [PROMPT, "Tokens <tokens>?"]
    answers = ["walking towards each other", "a"]
    soft = _soft(head, 2)
    loss = head(prompts=prompts, answers=answers, soft_tokens={"tokens": soft})["loss"]
    eos = head.tokenizer.eos_token_id
    total, count = 0.0, 0
    for b in range(2):
        batch = head.prompts.build([plain_pieces(prompts[b], answers[b], eos)], {"tokens": soft[b:b + 1]})
        logits = head.llm(inputs_embeds=batch.inputs_embeds).logits[0]
        lab = batch.labels[0]
        pos = (lab != IGNORE_INDEX).nonzero().flatten()
        lp = torch.log_softmax(logits[pos - 1], -1).gather(-1, lab[pos, None]).squeeze(-1)
        total, count = total - lp.sum(), count + len(pos)
    assert torch.allclose(loss, total / count, atol=1e-5)


def test_only_lora_params_train_and_get_grads():
    h = CausalLMHead.tiny()
    names = h.trainable_parameter_names()
    assert names and all("lora_" in n for n in names)
    assert h.frozen_state_prefixes == ["llm."]
    a, kw = h.example_inputs(2)
    h(**kw)["loss"].backward()
    for n, p in h.named_parameters():
        if p.requires_grad:
            assert p.grad is not None, n
        else:
            assert p.grad is None, n


def test_full_finetune_and_exclusive_options():
    h = CausalLMHead(model=dict(tiny=True, hidden_size=32, num_layers=1, num_heads=2), full_finetune=True)
    assert all(p.requires_grad for p in h.parameters())
    assert h.frozen_state_prefixes == []
    with pytest.raises(ConfigError, match="exclusive"):
        CausalLMHead(model=dict(tiny=True), lora=dict(r=2), full_finetune=True)
    with pytest.raises(ConfigError, match="lora.rank"):
        CausalLMHead(model=dict(tiny=True), lora=dict(rank=2))
    with pytest.raises(ConfigError, match="target_modules"):
        CausalLMHead(model=dict(tiny=True, hidden_size=32, num_layers=1, num_heads=2),
                     lora=dict(r=2, target_modules=["no_such_proj"]))


def test_lora_training_lowers_the_loss():
    tm = ["q_proj", "v_proj", "o_proj", "up_proj", "down_proj", "gate_proj"]
    h = CausalLMHead(model=dict(tiny=True), lora=dict(r=4, alpha=8, dropout=0.0, target_modules=tm))
    soft = _soft(h, 2)
    kw = dict(prompts=[PROMPT] * 2, answers=["punching", "hugging"], soft_tokens={"tokens": soft})
    opt = torch.optim.AdamW([p for p in h.parameters() if p.requires_grad], lr=3e-2)
    first = h(**kw)["loss"].item()
    for _ in range(12):
        opt.zero_grad()
        loss = h(**kw)["loss"]
        loss.backward()
        opt.step()
    assert loss.item() < first - 3.0, (first, loss.item())


def test_score_classes_equals_naive_and_shares_the_prompt_cache(head):
    prompts = [PROMPT, "<tokens> short", "Which action? <tokens> From: punching, hugging."]
    soft = [torch.randn(2, head.embed_dim), torch.randn(5, head.embed_dim), torch.randn(1, head.embed_dim)]
    calls = []
    hook = head.llm.get_base_model().model.register_forward_hook(lambda m, i, o: calls.append(1))
    try:
        fast = head.score_classes(prompts, {"tokens": soft}, CLASSES, chunk_size=3,
                                  method="exhaustive")
    finally:
        hook.remove()
    # one prompt pass + one pass per chunk of 3 (length-sorted) candidates that holds a
    # multi-token name; one-token names are scored from the prompt pass alone
    lens = sorted(len(c) for c in head.candidate_ids(CLASSES))
    chunks = [lens[i:i + 3] for i in range(0, len(lens), 3)]
    assert lens[0] == 1
    assert len(calls) == 1 + sum(max(c) > 1 for c in chunks) < 1 + len(CLASSES)
    naive = score_classes_naive(head, prompts, {"tokens": soft}, CLASSES)
    assert fast.shape == (3, len(CLASSES))
    assert torch.allclose(fast, naive, atol=1e-4), (fast - naive).abs().max()
    mean = head.score_classes(prompts, {"tokens": soft}, CLASSES, reduction="mean",
                              method="exhaustive")
    lens = torch.tensor([len(c) for c in head.candidate_ids(CLASSES)], dtype=torch.float32)
    assert torch.allclose(mean, fast / lens, atol=1e-5)
    # chunking does not change scores
    assert torch.allclose(head.score_classes(prompts, {"tokens": soft}, CLASSES, chunk_size=64,
                                             method="exhaustive"), fast, atol=1e-5)


def test_generate_returns_strings_and_batching_is_exact(head):
    prompts = [PROMPT, "<tokens> short"]
    soft = _soft(head, 2)
    out = head.generate(prompts, {"tokens": soft}, max_new_tokens=6)
    assert isinstance(out, list) and len(out) == 2 and all(isinstance(s, str) for s in out)
    # left padding must not change the result of the shorter prompt
    alone = [head.generate([p], {"tokens": soft[i:i + 1]}, max_new_tokens=6)[0] for i, p in enumerate(prompts)]
    assert out == alone
    # greedy generation's first token is the argmax of the class-scoring distribution
    conv = [[{"from": "human", "value": "What happens in <tokens>?"}]]
    assert isinstance(head.generate(conv, {"tokens": soft[:1]}, max_new_tokens=3)[0], str)


def test_generate_matches_greedy_reference(head):
    """Our KV-cache loop == argmax over full re-computation at each step."""
    soft = _soft(head, 1)
    text = head.generate([PROMPT], {"tokens": soft}, max_new_tokens=5)
    eos = head.tokenizer.eos_token_id
    ids = []
    for _ in range(5):
        from hhir_core.llm.prompting import Piece, prompt_pieces
        pieces = prompt_pieces(PROMPT, eos) + ([Piece(ids=ids)] if ids else [])
        b = head.prompts.build([pieces], {"tokens": soft})
        nxt = int(head.llm(inputs_embeds=b.inputs_embeds).logits[0, -1].argmax())
        if nxt == eos:
            break
        ids.append(nxt)
    assert text[0] == head.tokenizer.decode(ids, skip_special_tokens=True).strip()


def test_save_adapter_loads_with_peft_alone(head, tmp_path):
    from peft import PeftModel

    from hhir_core.llm.loading import tiny_causal_lm

    d = head.save_adapter(tmp_path / "adapter")
    assert (d / "adapter_config.json").is_file() and (d / "adapter_model.safetensors").is_file()
    base, _ = tiny_causal_lm(hidden_size=64, num_layers=2, num_heads=4)
    loaded = PeftModel.from_pretrained(base, str(d)).eval()
    x = torch.tensor([[1, 200, 300, 400]])
    with torch.no_grad():
        ref = head.llm(input_ids=x).logits
        got = loaded(input_ids=x).logits
    assert torch.allclose(ref, got, atol=1e-5)
    with loaded.disable_adapter(), torch.no_grad():
        assert not torch.allclose(loaded(input_ids=x).logits, ref, atol=1e-4)  # the adapter matters


def test_new_vocab_tokens():
    h = CausalLMHead(model=dict(tiny=True, hidden_size=32, num_layers=1, num_heads=2),
                     lora=dict(r=2, dropout=0.0))
    h.add_vocab_tokens([h.new_token_format.format(i) for i in range(4)], None)
    assert h.new_token_names == ["<act_0>", "<act_1>", "<act_2>", "<act_3>"]
    init = torch.randn(4, h.embed_dim)
    ids = h.add_vocab_tokens(h.new_token_names, init)
    assert ids == [h.base_vocab + i for i in range(4)]
    text = h.token_string(torch.tensor([[2, 0, 3]]))[0]
    assert text == "<act_2><act_0><act_3>"
    assert h.prompts.encode(text) == [ids[2], ids[0], ids[3]]
    assert torch.equal(h.embed_ids(torch.tensor(ids)), init)
    loss = h(prompts=[f"Given {text}, predict."], answers=["punching"])["loss"]
    loss.backward()
    assert h.new_token_embeds.grad is not None and h.new_token_embeds.grad[[0, 2, 3]].abs().sum() > 0
    assert h.new_token_embeds.grad[1].abs().sum() == 0
    assert h.score_classes([f"Given {text}, predict."], None, ["punching", "hugging"]).shape == (1, 2)
    with pytest.raises(HHIRError, match="init_embeds"):
        h.add_vocab_tokens(["<act_0>"], torch.randn(2, h.embed_dim))


def test_embed_dim_and_input_embeddings(head):
    W = head.input_embeddings()
    assert W.shape == (len(head.tokenizer), head.embed_dim) and head.embed_dim == 64
    assert not W.requires_grad


def test_conformance_kit():
    from hhir_core.testing import assert_conforms

    assert_conforms(CausalLMHead)


def test_gradient_checkpointing_keeps_lora_gradients():
    h = CausalLMHead(model=dict(tiny=True, hidden_size=32, num_layers=2, num_heads=2),
                     lora=dict(r=2, dropout=0.0), gradient_checkpointing=True).train()
    soft = _soft(h, 2)  # does not require grad (a frozen tokenizer upstream)
    h(prompts=[PROMPT] * 2, answers=["punching", "hugging"], soft_tokens={"tokens": soft})["loss"].backward()
    grads = {n: p.grad for n, p in h.named_parameters() if p.requires_grad}
    assert grads and all(g is not None for g in grads.values())
    # lora_B starts at zero, so it is the one with a non-zero gradient at step 0
    assert all(g.abs().sum() > 0 for n, g in grads.items() if "lora_B" in n)
