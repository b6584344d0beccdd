"""LLMARRecognizer with a tiny random LLaMA: both stages, both prediction modes, export."""
import json

import pytest
import torch

from hhir_core.errors import ConfigError, DataError
from hhir_llm_ar.recognizer import LLMARRecognizer, match_class, match_embedding_spread
from reference import score_classes_naive

X = torch.randn(3, 2, 16, 25, 3)
Y = torch.tensor([0, 1, 3])


@pytest.fixture(scope="module")
def stage1():
    torch.manual_seed(0)
    return LLMARRecognizer.tiny(train_stage="tokenizer")


def test_stage1_trains_only_the_tokenizer(stage1):
    trainable = [n for n, p in stage1.named_parameters() if p.requires_grad]
    assert trainable and all(n.startswith("tokenizer.") for n in trainable)
    losses = stage1(X, Y, mode="loss")
    assert {"loss_recon", "loss_zipf", "loss_context", "loss_mmd"} <= set(losses)
    sum(losses.values()).backward()
    assert stage1.last_ids.shape == (3, 4)
    pred = stage1(X, Y, mode="predict")
    assert len(pred) == 3 and pred[0]["recon_error"] > 0 and pred[2]["gt_label"] == 3


def test_stage2_loads_stage1_and_trains_lora_only(stage1, tmp_path):
    state = stage1.state_dict()
    m = LLMARRecognizer.tiny(train_stage="llm")
    missing = m.load_state_dict(state, strict=False)
    assert not [k for k in missing.missing_keys if k.startswith("tokenizer.")]
    # the frozen tokenizer is exactly the stage-1 one and has no trainable parameter
    torch.testing.assert_close(m.tokenizer.quantizer.codebook, stage1.tokenizer.quantizer.codebook)
    trainable = [n for n, p in m.named_parameters() if p.requires_grad]
    assert trainable and all("lora_" in n for n in trainable)
    # ... but it is still part of the state dict (checkpoints keep it as buffers)
    assert "tokenizer.quantizer.codebook" in m.state_dict()
    loss = m(X, Y, mode="loss")["loss_lm"]
    loss.backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for n, p in m.named_parameters()
               if "lora_B" in n)
    pred = m(X, Y, mode="predict")
    assert pred[0]["pred_scores"].shape == (4,)
    assert all(p["pred_label"] == int(p["pred_scores"].argmax()) for p in pred)
    # PEFT export
    out = m.save_adapter(tmp_path / "adapter")
    cfg = json.loads((out / "adapter_config.json").read_text())
    assert cfg["r"] == 4 and (out / "adapter_model.safetensors").is_file()


def test_generate_mode_vocab_tokens_and_candidate_prompt():
    m = LLMARRecognizer.tiny(train_stage="llm", predict_mode="generate", token_mode="vocab",
                             candidate_in_prompt=True, train_list_size=2,
                             eval_classes=[49, 54, 55], max_new_tokens=3)
    m.on_stage_start()
    assert bool(m.vocab_initialised)
    codes = m.tokenizer.quantizer.tangent_codes()
    torch.testing.assert_close(m.head.new_token_embeds[:codes.shape[0]].detach(), codes)
    prompts = m._prompts(1, [1], m.class_names, True, torch.tensor([[0, 3, 3, 15]]))
    assert "<act_0><act_3><act_3><act_15>" in prompts[0]
    assert prompts[0].count(",") == 2 and "hand waving" in prompts[0]
    test_prompt = m._prompts(1, None, m.eval_class_names, False, torch.zeros(1, 4).long())[0]
    assert test_prompt.endswith("from [punching/slapping other person, hugging other person, "
                                "giving something to other person].")
    m(X, Y, mode="loss")["loss_lm"].backward()
    pred = m(X, torch.tensor([0, 1, 2]), mode="predict")
    assert len(pred) == 3 and "pred_text" in pred[0] and pred[0]["pred_scores"].shape == (3,)


def test_vocab_mode_without_a_codebook_splices_latents():
    """The no-discretisation ablation under a vocab-mode config: no codes to add as tokens,
    so the continuous latents are spliced (said in a warning), and stage 2 still trains."""
    tok = dict(type="ContinuousTokenizer", in_channels=2 * 25 * 3, hidden=32, depth=1)
    m = LLMARRecognizer.tiny(train_stage="llm", token_mode="vocab", tokenizer=tok)
    assert m.token_mode == "embeds" and not getattr(m.head, "new_token_names", [])
    m.on_stage_start()
    m(X, Y, mode="loss")["loss_lm"].backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for n, p in m.named_parameters()
               if "lora_B" in n)
    vq = LLMARRecognizer.tiny(train_stage="llm", token_mode="vocab")
    assert vq.token_mode == "vocab", "codebook tokenizers keep vocab mode"


def test_vocab_init_matched_keeps_code_geometry_at_the_word_embedding_spread():
    torch.manual_seed(0)
    codes = 0.8 + 0.05 * torch.randn(40, 16)  # a tight cone, like raw stage-1 codes
    words = 2.0 * torch.randn(300, 16) + 0.3
    out = match_embedding_spread(codes, words)
    torch.testing.assert_close(out.mean(0), words.mean(0))
    spread = lambda x: (x - x.mean(0)).pow(2).sum(-1).mean().sqrt()
    torch.testing.assert_close(spread(out), spread(words))
    ratio = torch.pdist(out) / torch.pdist(codes)  # one scale factor: distances keep their order
    torch.testing.assert_close(ratio, ratio[:1].expand_as(ratio))
    m = LLMARRecognizer.tiny(train_stage="llm", token_mode="vocab", vocab_init="matched")
    m.on_stage_start()
    k = m.tokenizer.quantizer.num_codes
    expected = match_embedding_spread(m.tokenizer.quantizer.tangent_codes(), m.head.input_embeddings())
    torch.testing.assert_close(m.head.new_token_embeds[:k].detach(), expected)
    with pytest.raises(ConfigError, match="vocab_init"):
        LLMARRecognizer.tiny(vocab_init="words")


def test_match_class():
    names = ["hand waving", "punching/slapping other person", "clapping"]
    assert match_class("Clapping.", names) == 2
    assert match_class("I think it is hand waving", names) == 0
    assert match_class("punching other person", names) == 1


def test_config_errors():
    with pytest.raises(ConfigError, match="llm_dim"):
        LLMARRecognizer.tiny(tokenizer=dict(type="HyperbolicVQTokenizer", llm_dim=32,
                                            in_channels=150, num_codes=8, hidden=16, depth=1))
    with pytest.raises(ConfigError, match="predict_mode"):
        LLMARRecognizer.tiny(predict_mode="vote")
    m = LLMARRecognizer.tiny(train_stage="llm")
    with pytest.raises(DataError, match="classes"):
        m(X, torch.tensor([0, 1, 9]), mode="loss")


def test_answer_only_loss_equals_full_logits_loss_and_truncation():
    from hhir_core.llm.prompting import plain_pieces

    m = LLMARRecognizer.tiny(train_stage="llm", llm=dict(
        model=dict(tiny=True, hidden_size=64, num_layers=3, num_heads=4),
        lora=dict(r=4, alpha=8, dropout=0.0, target_modules=["q_proj", "v_proj"])))
    soft = {"tokens": torch.randn(2, 4, 64)}
    prompts = [m.prompt] * 2
    answers = ["hand waving", "punching/slapping other person"]
    # the head runs its output layer only at answer positions; HF's `labels=` path runs it
    # everywhere: same mean cross-entropy
    fast = m.head(prompts=prompts, answers=answers, soft_tokens=soft)["loss"]
    eos = m.head.tokenizer.eos_token_id
    batch = m.head.prompts.build([plain_pieces(p, a, eos) for p, a in zip(prompts, answers)],
                                 soft, padding_side="right", device=m.head.device)
    ref = m.head.llm(inputs_embeds=batch.inputs_embeds, attention_mask=batch.attention_mask,
                     position_ids=batch.position_ids, labels=batch.labels).loss
    torch.testing.assert_close(fast, ref, rtol=1e-4, atol=1e-5)
    t = LLMARRecognizer.tiny(train_stage="llm", llm_layers=1, llm=dict(
        model=dict(tiny=True, hidden_size=64, num_layers=3, num_heads=4),
        lora=dict(r=4, alpha=8, dropout=0.0, target_modules=["q_proj", "v_proj"])))
    assert len(t.head.llm.get_base_model().model.layers) == 1
    # scoring with a shared KV cache still equals the naive per-class forward
    names = t.class_names
    s1 = t.head.score_classes(prompts, soft, names)
    s2 = score_classes_naive(t.head, prompts, soft, names)
    torch.testing.assert_close(s1, s2, rtol=1e-4, atol=1e-4)
    with pytest.raises(ConfigError, match="llm_layers"):
        LLMARRecognizer.tiny(llm_layers=9)


def test_trie_predict_mode_ranks_like_exhaustive_scoring():
    """The default 'trie' mode: same top-1 .. top-5 as 'score' (every class name in full)."""
    from hhir_core.data.ntu_classes import ntu120_classes

    m = LLMARRecognizer.tiny(train_stage="llm", classes=None)
    assert m.predict_mode == "trie" and m.score_top_k == 5 and len(m.eval_class_names) == 120
    g = torch.Generator().manual_seed(3)
    with torch.no_grad():
        for n, p in m.named_parameters():
            if "lora_B" in n:
                p.copy_(torch.randn(p.shape, generator=g) * 0.05)
    m.eval()
    x = torch.randn(5, 2, 32, 25, 3, generator=g)
    trie = m(x, torch.zeros(5, dtype=torch.long), mode="predict")
    m.predict_mode = "score"
    ref = m(x, torch.zeros(5, dtype=torch.long), mode="predict")
    for a, b in zip(trie, ref):
        assert a["pred_label"] == b["pred_label"]
        assert torch.equal(a["pred_scores"].topk(5).indices, b["pred_scores"].topk(5).indices), \
            (a["pred_scores"].topk(6), b["pred_scores"].topk(6))
    assert m.eval_class_names == ntu120_classes()
    with pytest.raises(ConfigError, match="score_top_k"):
        LLMARRecognizer.tiny(score_top_k=0)
