"""Placeholder expansion (32 soft tokens per branch, in place) and answer-only loss."""
import json

import pytest
import torch

from hhir_core.llm.prompting import IGNORE_INDEX, chat_pieces

CONV = [{"from": "human", "value": "Describe interaction between <p1> and <p2> in <bg>?"},
        {"from": "gpt", "value": "Two people shake hands."},
        {"from": "human", "value": "Describe the activity in one word."},
        {"from": "gpt", "value": "Handshaking."}]


@pytest.fixture(scope="module")
def model():
    from hhir_ov_hhir.recognizer import OVHHIRRecognizer
    branch = dict(frame_encoder=dict(kind="vitpose", config=dict(hidden_size=32, num_attention_heads=2)),
                  num_queries=32, max_frames=4,
                  qformer=dict(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64))
    torch.manual_seed(0)
    return OVHHIRRecognizer(
        language_head=dict(type="CausalLMHead", model=dict(tiny=True, hidden_size=64, num_layers=2, num_heads=4)),
        branch=branch, branch_overrides=dict(bg=dict(frame_encoder=dict(kind="vit", config=dict(hidden_size=32, num_attention_heads=2)))),
        class_names=["handshaking", "hugging other person"], max_new_tokens=3)


def _batch(B=2, T=4):
    g = torch.Generator().manual_seed(1)
    return {b: torch.randn(B, T, 3, 64, 64, generator=g) for b in ("p1", "p2", "bg")} | dict(
        conversation=[json.dumps(CONV)] * B, reference=[CONV[1]["value"]] * B, label=torch.tensor([0, 1][:B]),
        source=["syn"] * B, id=[f"s{i}" for i in range(B)])


def test_32_soft_tokens_per_branch_in_place(model):
    batch = _batch()
    soft = model.soft_tokens(batch)
    assert {k: tuple(v.shape) for k, v in soft.items()} == {k: (2, 32, 64) for k in ("p1", "p2", "bg")}
    head = model.head
    built = head.prompts.build([chat_pieces(CONV, head.tokenizer.eos_token_id)] * 2, soft)
    plain = head.prompts.build([chat_pieces([{"from": t["from"], "value": t["value"].replace("<p1>", "").replace(
        "<p2>", "").replace("<bg>", "")} for t in CONV], head.tokenizer.eos_token_id)] * 2)
    emb = built.inputs_embeds[0]
    # find each branch's 32 rows: exactly one contiguous match, order p1 < p2 < bg
    starts = {}
    for name, tok in soft.items():
        t = tok[0].to(emb.dtype)
        hits = [i for i in range(emb.shape[0] - 31) if torch.equal(emb[i:i + 32], t)]
        assert len(hits) == 1, f"{name}: {len(hits)} placements"
        starts[name] = hits[0]
        assert (built.labels[0, hits[0]:hits[0] + 32] == IGNORE_INDEX).all()
    assert starts["p1"] < starts["p2"] < starts["bg"]
    assert starts["p2"] - starts["p1"] > 32 and starts["bg"] - starts["p2"] > 32  # text ("and", "in") between
    # the placeholders' text is gone: the sequence is the plain one + 3 x 32 rows (give or take tokenizer merges
    # of the spaces around placeholders)
    extra = int(built.lengths[0]) - int(plain.lengths[0])
    assert 96 - 3 <= extra <= 96 + 3


def test_loss_only_on_answer_tokens(model):
    head = model.head
    soft = model.soft_tokens(_batch(B=1))
    built = head.prompts.build([chat_pieces(CONV, head.tokenizer.eos_token_id)], soft)
    lab = built.labels[0]
    trained = lab[lab != IGNORE_INDEX].tolist()
    eos = head.tokenizer.eos_token_id
    expected = head.prompts.encode(" Two people shake hands.") + [eos] + head.prompts.encode(" Handshaking.") + [eos]
    assert trained == expected
    # every non-answer position (prompt text, soft tokens, padding) is ignored
    assert int((lab != IGNORE_INDEX).sum()) == len(expected)


def test_loss_trains_branches_not_llm(model):
    model.train()
    model.zero_grad()
    out = model(mode="loss", **_batch())
    out["loss"].backward()
    assert torch.isfinite(out["loss"])
    llm_grads = [p.grad for p in model.head.llm.parameters() if p.grad is not None]
    assert not llm_grads and all(not p.requires_grad for p in model.head.llm.parameters())
    for name in ("p1", "p2", "bg"):
        br = model.branches[name]
        assert br.query_tokens.grad is not None and br.query_tokens.grad.abs().sum() > 0
        assert br.proj.weight.grad.abs().sum() > 0
        assert all(p.grad is None for p in br.frame_encoder.parameters())


def test_predict_outputs(model):
    model.eval()
    out = model(mode="predict", **_batch())
    assert len(out) == 2 and out[0]["pred_scores"].shape == (2,)
    assert isinstance(out[0]["pred_text"], str) and out[0]["gt_text"] == CONV[1]["value"]


def test_text_only_baseline_uses_no_branch(model):
    """The baseline's prompt has words where the branch tokens were; other videos leave its
    description unchanged (``compare_text_only`` reports it beside the model's own)."""
    from hhir_ov_hhir.recognizer import text_only_turns
    assert text_only_turns(CONV[:1])[0]["value"] == "Describe interaction between person 1 and person 2 in the scene?"
    model.eval()
    batch = _batch()
    other = dict(batch, **{b: -batch[b] for b in ("p1", "p2", "bg")})
    assert model.describe(batch, text_only=True) == model.describe(other, text_only=True)
