"""Soft tokens fed into an intermediate decoder block (``CausalLMHead.inject_soft_tokens_at``).

References are independent of the head's own machinery: one full forward per sequence
(no KV cache), with the sentence positions replaced at block ``k``'s input by a hook the
test registers itself.
"""
import pytest
import torch

from helpers import perturb_lora
from hhir_core.errors import ConfigError
from hhir_core.llm import CausalLMHead
from hhir_core.llm.prompting import IGNORE_INDEX, Piece, plain_pieces, prompt_pieces

from .conftest import PROMPT

K = 2  # inject at the input of block 2 of 4
NAMES = ["hand waving", "punching", "kicking other person", "hugging", "a"]
PROMPTS = [PROMPT, "Tokens <tokens>?"]


def _head(layers=4, **kw):
    return perturb_lora(CausalLMHead(
        model=dict(tiny=True, hidden_size=64, num_layers=layers, num_heads=4),
        lora=dict(r=4, alpha=8, dropout=0.0, target_modules=["q_proj", "v_proj"]), **kw)).eval()


@pytest.fixture(scope="module")
def head():
    return _head()


def _soft(head, B=2, L=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(B, L, head.embed_dim, generator=g)


def _layers(head):
    return head.llm.get_base_model().model.layers


def _out(o):
    return o[0] if isinstance(o, tuple) else o


def _full_logits(head, embeds, attn, inj, k):
    """Logits of one cache-free forward; ``inj [B,T]`` positions take ``embeds`` at block k's input."""
    values = embeds

    def hook(module, args, kwargs):
        h = torch.where(inj[..., None], values, args[0])
        return (h,) + tuple(args[1:]), kwargs

    handle = _layers(head)[k].register_forward_pre_hook(hook, with_kwargs=True)
    try:
        pos = (attn.cumsum(-1) - 1).clamp(min=0)
        return head.llm(inputs_embeds=embeds.masked_fill(inj[..., None], 0.0), attention_mask=attn,
                        position_ids=pos).logits.float()
    finally:
        handle.remove()


def _block_io(head, fn):
    """Run ``fn()``; each block's input hidden states (after any pre-hook) and output on its
    first call (the full-sequence or prompt pass)."""
    ins, outs, handles = {}, {}, []
    for i, layer in enumerate(_layers(head)):
        def capture(module, args, kwargs, output, i=i):
            if i in ins:
                return
            ins[i] = (args[0] if args else kwargs["hidden_states"]).detach().clone()
            outs[i] = _out(output).detach().clone()
        handles.append(layer.register_forward_hook(capture, with_kwargs=True))
    try:
        fn()
    finally:
        for h in handles:
            h.remove()
    return ins, outs


def test_injection_changes_only_blocks_from_k_on(head):
    """Blocks below k see the zero placeholder (same as a run with zeros spliced in, whatever
    the features); block k's input holds the features at the sentence positions and the
    placeholder run's hidden states elsewhere; from block k on the outputs differ."""
    soft = _soft(head)
    answers = ["hugging", "a"]
    run = lambda s: lambda: head(prompts=PROMPTS, answers=answers, soft_tokens={"tokens": s})  # noqa: E731
    head.inject_soft_tokens_at(None)
    ins0, outs0 = _block_io(head, run(torch.zeros_like(soft)))  # placeholder run
    try:
        assert head.inject_soft_tokens_at(K) == K
        ins1, outs1 = _block_io(head, run(soft))
        ins2, outs2 = _block_io(head, run(_soft(head, seed=5)))
    finally:
        head.inject_soft_tokens_at(None)
    eos = head.tokenizer.eos_token_id
    batch = head.prompts.build([plain_pieces(p, a, eos) for p, a in zip(PROMPTS, answers)],
                               {"tokens": soft})
    at = batch.soft_positions["tokens"]
    assert int(at.sum()) == 6
    for i in range(K):
        torch.testing.assert_close(outs1[i], outs0[i], rtol=0, atol=0)
        torch.testing.assert_close(outs2[i], outs0[i], rtol=0, atol=0)
    # block k's input: the features at the sentence, the placeholder run's states elsewhere
    torch.testing.assert_close(ins1[K][at], soft.reshape(-1, head.embed_dim))
    torch.testing.assert_close(ins1[K][~at], outs0[K - 1][~at], rtol=0, atol=0)
    real = batch.attention_mask.bool()
    after = real & (at.long().cumsum(-1) > 0)  # the sentence and everything after it
    for i in range(K, len(_layers(head))):
        assert not torch.allclose(outs1[i][after], outs0[i][after], atol=1e-4), f"block {i}"
        assert not torch.allclose(outs1[i][after], outs2[i][after], atol=1e-4), f"block {i}"
        before = real & ~after  # causal: what precedes the sentence never sees it
        torch.testing.assert_close(outs1[i][before], outs0[i][before])


def test_loss_matches_a_cache_free_reference_and_grads_reach_the_features(head):
    soft = _soft(head).requires_grad_(True)
    answers = ["walking towards each other", "a"]
    head.inject_soft_tokens_at(K)
    try:
        loss = head(prompts=PROMPTS, answers=answers, soft_tokens={"tokens": soft})["loss"]
        eos = head.tokenizer.eos_token_id
        batch = head.prompts.build([plain_pieces(p, a, eos) for p, a in zip(PROMPTS, answers)],
                                   {"tokens": soft.detach()})
        logits = _full_logits(head, batch.inputs_embeds, batch.attention_mask,
                              batch.soft_positions["tokens"], K)
        tgt = batch.labels[:, 1:]
        ref = torch.nn.functional.cross_entropy(logits[:, :-1][tgt != IGNORE_INDEX],
                                                tgt[tgt != IGNORE_INDEX])
        torch.testing.assert_close(loss, ref, atol=1e-5, rtol=1e-5)
        loss.backward()
    finally:
        head.inject_soft_tokens_at(None)
    assert soft.grad is not None and soft.grad.abs().sum(-1).gt(0).all(), \
        "every injected feature gets a gradient"
    lora = [p.grad for n, p in head.named_parameters() if "lora_" in n]
    assert lora and all(g is not None for g in lora)
    head.zero_grad(set_to_none=True)


def test_gradient_checkpointing_keeps_the_injection():
    """With checkpointed blocks (the paper configs) the recomputed block k still sees the
    features: the gradients equal the un-checkpointed ones."""
    def grads(checkpointing):
        torch.manual_seed(0)  # LoRA A starts from the global generator
        h = _head(gradient_checkpointing=checkpointing).train()
        assert all(b.gradient_checkpointing == checkpointing for b in _layers(h))
        h.inject_soft_tokens_at(K)
        soft = _soft(h).requires_grad_(True)
        h(prompts=PROMPTS, answers=["hugging", "a"], soft_tokens={"tokens": soft})["loss"].backward()
        lora = {n: p.grad.clone() for n, p in h.named_parameters() if "lora_B" in n}
        return soft.grad, lora

    s0, l0 = grads(False)
    s1, l1 = grads(True)
    torch.testing.assert_close(s1, s0, atol=1e-6, rtol=1e-5)
    for n in l0:
        torch.testing.assert_close(l1[n], l0[n], atol=1e-6, rtol=1e-5)


def _naive_scores(head, prompts, soft, names, k):
    eos = head.tokenizer.eos_token_id
    out = torch.empty(len(prompts), len(names))
    for c, ids in enumerate(head.candidate_ids(names)):
        samples = [prompt_pieces(p, eos) + [Piece(ids=list(ids), train=True)] for p in prompts]
        batch = head.prompts.build(samples, {"tokens": soft}, padding_side="left")
        logp = torch.log_softmax(_full_logits(head, batch.inputs_embeds, batch.attention_mask,
                                              batch.soft_positions["tokens"], k), -1)
        n = len(ids)
        tgt = batch.labels[:, -n:]
        out[:, c] = logp[:, -n - 1:-1].gather(-1, tgt.unsqueeze(-1)).squeeze(-1).sum(-1)
    return out


def test_score_classes_injects_on_the_prompt_pass(head):
    """Trie and exhaustive scoring (prompt KV cache shared by the candidates) equal one full
    forward per (prompt, class) with the injection; and they differ from input embeddings."""
    soft = _soft(head)
    head.inject_soft_tokens_at(K)
    try:
        ref = _naive_scores(head, PROMPTS, soft, NAMES, K)
        ex = head.score_classes(PROMPTS, {"tokens": soft}, NAMES, method="exhaustive")
        trie = head.score_classes(PROMPTS, {"tokens": soft}, NAMES)
        top = head.score_classes(PROMPTS, {"tokens": soft}, NAMES, top_k=2)
    finally:
        head.inject_soft_tokens_at(None)
    torch.testing.assert_close(ex, ref, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(trie, ref, atol=1e-4, rtol=1e-4)
    assert torch.equal(top.topk(2, -1).indices, ref.topk(2, -1).indices)
    plain = head.score_classes(PROMPTS, {"tokens": soft}, NAMES)
    assert not torch.allclose(plain, trie, atol=1e-3)


def test_generate_injects_on_the_prompt_pass_only(head):
    """Greedy generation with the KV cache == a cache-free loop that re-runs the whole
    sequence each step, injecting at the prompt's sentence positions only."""
    soft = _soft(head)
    steps = 5
    head.inject_soft_tokens_at(K)
    try:
        texts = head.generate(PROMPTS, {"tokens": soft}, max_new_tokens=steps)
        eos = head.tokenizer.eos_token_id
        batch = head.prompts.build([prompt_pieces(p, eos) for p in PROMPTS], {"tokens": soft},
                                   padding_side="left")
        embeds, attn, inj = batch.inputs_embeds, batch.attention_mask, batch.soft_positions["tokens"]
        B = embeds.shape[0]
        done = torch.zeros(B, dtype=torch.bool)
        toks = []
        for _ in range(steps):
            nxt = _full_logits(head, embeds, attn, inj, K)[:, -1].argmax(-1)
            nxt = torch.where(done, torch.full_like(nxt, eos), nxt)
            toks.append(nxt)
            done |= nxt == eos
            if bool(done.all()):
                break
            embeds = torch.cat([embeds, head.embed_ids(nxt[:, None])], 1)
            attn = torch.cat([attn, torch.ones(B, 1, dtype=attn.dtype)], 1)
            inj = torch.cat([inj, torch.zeros(B, 1, dtype=torch.bool)], 1)
    finally:
        head.inject_soft_tokens_at(None)
    ref = []
    for row in torch.stack(toks, 1).tolist():
        row = row[:row.index(eos)] if eos in row else row
        ref.append(head.tokenizer.decode(row, skip_special_tokens=True).strip())
    assert texts == ref
    assert all(t for t in texts)


def test_layer_values_and_errors():
    h = _head(layers=4)
    assert h.inject_soft_tokens_at("middle") == 2
    assert h.inject_soft_tokens_at(0) is None and h.inject_layer is None
    for bad in (4, -1, 2.5, True, "last"):
        with pytest.raises(ConfigError, match="does not exist: the LLM has 4 blocks") as e:
            h.inject_soft_tokens_at(bad)
        assert "\n" not in str(e.value)
    h.inject_soft_tokens_at(3)
    with pytest.raises(ConfigError, match="llm_layers=2: soft tokens are injected at block 3"):
        h.truncate_layers(2)
    h.inject_soft_tokens_at(1)
    h.truncate_layers(2)
    assert h.inject_soft_tokens_at("middle") == 1


def test_only_named_soft_tokens_are_injected(head):
    """``names`` selects the entries that move; others stay in the input embeddings."""
    soft = {"tokens": _soft(head), "extra": _soft(head, L=2, seed=3)}
    prompts = ["A <extra> then <tokens>?"] * 2
    head.inject_soft_tokens_at(K, names=["tokens"])
    try:
        ins, _ = _block_io(head, lambda: head.score_classes(prompts, soft, NAMES[:2]))
    finally:
        head.inject_soft_tokens_at(None)
    eos = head.tokenizer.eos_token_id
    batch = head.prompts.build([prompt_pieces(p, eos) for p in prompts], soft, padding_side="left")
    torch.testing.assert_close(ins[0][batch.soft_positions["extra"]],
                               soft["extra"].reshape(-1, head.embed_dim))
    assert ins[0][batch.soft_positions["tokens"]].abs().max() == 0  # the zero placeholder
