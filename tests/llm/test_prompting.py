"""Prompt layout: answer-only labels, placeholder splicing, padding, chat turns."""
import pytest
import torch

from hhir_core.errors import HHIRError
from hhir_core.llm.prompting import (
    IGNORE_INDEX,
    PromptError,
    chat_pieces,
    plain_pieces,
    prompt_pieces,
    split_placeholders,
)

from .conftest import PROMPT


def test_split_placeholders_only_known_names():
    parts = split_placeholders("a <p1> and <p2> in <bg> <other>", ["p1", "p2", "bg"])
    assert parts == ["a ", ("p1",), " and ", ("p2",), " in ", ("bg",), " <other>"]
    assert split_placeholders("<x><x>", ["x"]) == [("x",), ("x",)]
    assert split_placeholders("plain", []) == ["plain"]


def _ids(head, text):
    return head.tokenizer(text, add_special_tokens=False)["input_ids"]


def test_answer_only_labels_right_padding(head):
    pb = head.prompts
    eos = head.tokenizer.eos_token_id
    soft = torch.randn(2, 3, head.embed_dim)
    samples = [plain_pieces(PROMPT, "punching", eos), plain_pieces("Short <tokens>", "hand waving", eos)]
    batch = pb.build(samples, {"tokens": soft}, padding_side="right")
    for b, ans in enumerate(["punching", "hand waving"]):
        n = int(batch.lengths[b])
        want = _ids(head, " " + ans) + [eos]
        lab = batch.labels[b]
        assert lab[n - len(want):n].tolist() == want  # answer + eos are the last real tokens
        assert (lab[:n - len(want)] == IGNORE_INDEX).all()  # prompt and soft tokens untrained
        assert (lab[n:] == IGNORE_INDEX).all()  # padding untrained
        assert batch.attention_mask[b, :n].all() and not batch.attention_mask[b, n:].any()
        assert batch.position_ids[b, :n].tolist() == list(range(n))


def test_placeholder_splicing_positions(head):
    pb = head.prompts
    eos = head.tokenizer.eos_token_id
    D = head.embed_dim
    soft = [torch.randn(3, D), torch.randn(5, D)]  # variable length per sample
    samples = [prompt_pieces("A <tokens> B", eos), prompt_pieces("long prefix here <tokens> end", eos)]
    batch = pb.build(samples, {"tokens": soft}, padding_side="left")
    T = batch.inputs_embeds.shape[1]
    for b, prefix, suffix in [(0, "A ", " B"), (1, "long prefix here ", " end")]:
        pre, suf = _ids(head, prefix), _ids(head, suffix)
        n = len(pre) + soft[b].shape[0] + len(suf)
        assert int(batch.lengths[b]) == n
        start = T - n  # left padding
        emb = batch.inputs_embeds[b]
        slot = slice(start + len(pre), start + len(pre) + soft[b].shape[0])
        assert torch.equal(emb[slot], soft[b])
        W = head.input_embeddings()
        assert torch.allclose(emb[start:slot.start], W[pre])
        assert torch.allclose(emb[slot.stop:], W[suf])
        assert (batch.attention_mask[b, :start] == 0).all()
        assert batch.position_ids[b, start:].tolist() == list(range(n))


def test_soft_tokens_keep_gradient(head):
    soft = torch.randn(1, 2, head.embed_dim, requires_grad=True)
    out = head(prompts=["x <tokens> y"], answers=["clapping"], soft_tokens={"tokens": soft})
    out["loss"].backward()
    assert soft.grad is not None and soft.grad.abs().sum() > 0


def test_prompt_errors_are_clear(head):
    eos = head.tokenizer.eos_token_id
    pb = head.prompts
    with pytest.raises(PromptError, match="no placeholder"):
        pb.build([prompt_pieces("no slot here", eos)], {"tokens": torch.randn(1, 2, head.embed_dim)})
    with pytest.raises(PromptError, match="width"):
        pb.build([prompt_pieces("<tokens>", eos)], {"tokens": torch.randn(1, 2, head.embed_dim + 1)})
    with pytest.raises(PromptError, match="batch"):
        pb.build([prompt_pieces("<tokens>", eos)], {"tokens": torch.randn(2, 2, head.embed_dim)})
    with pytest.raises(HHIRError, match="human turn"):
        prompt_pieces([{"from": "human", "value": "q"}, {"from": "gpt", "value": "a"}], eos)
    with pytest.raises(HHIRError, match="unknown role"):
        chat_pieces([{"from": "robot", "value": "q"}], eos)


def test_chat_labels_cover_every_gpt_turn(head):
    eos = head.tokenizer.eos_token_id
    D = head.embed_dim
    conv = [{"from": "human", "value": "Describe interaction between <p1> and <p2>?"},
            {"from": "gpt", "value": "One punches the other."},
            {"from": "human", "value": "In <bg>, describe the activity in one word."},
            {"from": "gpt", "value": "Punching."}]
    soft = {"p1": torch.randn(1, 2, D), "p2": torch.randn(1, 2, D), "bg": torch.randn(1, 3, D)}
    batch = head.prompts.build([chat_pieces(conv, eos)], soft, padding_side="right")
    lab = batch.labels[0]
    trained = lab[lab != IGNORE_INDEX].tolist()
    assert trained == _ids(head, " One punches the other.") + [eos] + _ids(head, " Punching.") + [eos]
    # the <bg> placeholder in the second human turn was spliced (7 soft rows in total)
    emb = batch.inputs_embeds[0]
    hits = sum(int(torch.isclose(emb, soft[k][0][i]).all(-1).sum()) for k in soft for i in range(soft[k].shape[1]))
    assert hits == 7
    out = head.chat_loss([conv], soft)
    assert out["loss"].dim() == 0 and torch.isfinite(out["loss"])
