"""TextEncoderHead (tiny BERT/CLIP, real MiniLM) and sentence similarity."""
import pytest
import torch

from hhir_core.errors import ConfigError
from hhir_core.llm import TextEncoderHead
from hhir_core.llm.sentence_similarity import SentenceSimilarity, sentence_similarity

TEXTS = ["a video of punching.", "two people hugging each other warmly.", "hand waving"]


@pytest.fixture(scope="module")
def minilm():
    return TextEncoderHead("minilm")


def test_minilm_mean_pooling_and_semantics(minilm):
    emb = minilm(TEXTS)
    assert emb.shape == (3, 384) and minilm.embed_dim == 384
    words, mask = minilm.encode_words(TEXTS)
    m = mask.unsqueeze(-1).float()
    assert torch.allclose(emb, (words * m).sum(1) / m.sum(1), atol=1e-5)  # sentence-transformers recipe
    sim = SentenceSimilarity(encoder=minilm)
    a = ["a person punches another person", "a person punches another person"]
    b = ["someone hits another person with a fist", "a bowl of soup on the table"]
    s = sim(a, b)
    assert s.shape == (2,) and s[0] > s[1] + 0.3
    assert torch.allclose(sim(TEXTS, TEXTS), torch.ones(3), atol=1e-5)


def test_frozen_encoder_caches_texts(minilm):
    minilm.clear_cache()
    calls = []
    hook = minilm.encoder.register_forward_hook(lambda *a: calls.append(1))
    try:
        first = minilm(TEXTS)
        again = minilm(list(reversed(TEXTS)))
    finally:
        hook.remove()
    assert len(calls) == 1
    assert torch.equal(again, first.flip(0))
    minilm.train()
    assert not minilm.encoder.training  # frozen stays in eval mode (no dropout)
    minilm.eval()


@pytest.mark.parametrize("arch", ["bert", "clip"])
def test_tiny_archs(arch):
    h = TextEncoderHead(dict(tiny=True, arch=arch, hidden_size=32, projection_dim=16 if arch == "clip" else None),
                        freeze=False)
    D = 16 if arch == "clip" else 32
    assert h.embed_dim == D
    out = h(TEXTS)
    words, mask = h.encode_words(TEXTS)
    assert out.shape == (3, D) and words.shape[0] == 3 and words.shape[-1] == D
    assert mask.dtype == torch.bool and mask.sum(1).tolist() == [
        len(h.tokenizer(t)["input_ids"]) for t in TEXTS]
    if arch == "clip":  # pooled at [SEP] (the EOS role), through the projection
        sep = (mask.sum(1) - 1)
        assert torch.allclose(out, words[torch.arange(3), sep], atol=1e-5)
    out.sum().backward()  # trainable: gradient reaches the encoder
    assert all(p.grad is not None for p in h.parameters() if p.requires_grad)


def test_bad_options():
    with pytest.raises(ConfigError):
        TextEncoderHead(dict(tiny=True, arch="gpt"))
    with pytest.raises(TypeError, match="pooling"):   # an option that does not exist
        TextEncoderHead.tiny(pooling="max")
    h = TextEncoderHead.tiny()
    with pytest.raises(ConfigError, match="list of strings"):
        h("one string")
    with pytest.raises(ValueError, match="paired"):
        SentenceSimilarity(encoder=h)(["a"], ["b", "c"])


def test_sentence_similarity_function():
    s = sentence_similarity(["hugging"], ["hugging"])
    assert s.shape == (1,) and abs(float(s[0]) - 1.0) < 1e-5


def test_conformance_kit():
    from hhir_core.testing import assert_conforms

    assert_conforms(TextEncoderHead)


def test_clip_and_bert_folders_load_by_path(tmp_path):
    """A CLIP text tower, a full CLIP model and a BERT folder are recognised from their config."""
    from transformers import CLIPConfig, CLIPModel

    tiny = TextEncoderHead(dict(tiny=True, arch="clip", hidden_size=32, projection_dim=16))
    tiny.encoder.save_pretrained(str(tmp_path / "clip_text"))
    tiny.tokenizer.save_pretrained(str(tmp_path / "clip_text"))
    again = TextEncoderHead(str(tmp_path / "clip_text"))
    assert again.arch == "clip" and torch.allclose(again(TEXTS), tiny(TEXTS), atol=1e-5)

    tc = tiny.encoder.config.to_dict()
    full = CLIPModel(CLIPConfig(text_config=tc, projection_dim=16,
                                vision_config=dict(hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                                                   intermediate_size=64, image_size=32, patch_size=16)))
    full.save_pretrained(str(tmp_path / "clip_full"))
    tiny.tokenizer.save_pretrained(str(tmp_path / "clip_full"))
    whole = TextEncoderHead(str(tmp_path / "clip_full"))
    assert whole.arch == "clip" and whole.embed_dim == 16
    with torch.no_grad():
        ref = full.get_text_features(**whole._tokenize(TEXTS))
    ref = getattr(ref, "pooler_output", ref)
    assert torch.allclose(whole(TEXTS), ref, atol=1e-5)

    bert = TextEncoderHead.tiny()
    bert.encoder.save_pretrained(str(tmp_path / "bert"))
    bert.tokenizer.save_pretrained(str(tmp_path / "bert"))
    b2 = TextEncoderHead(str(tmp_path / "bert"))
    assert b2.arch == "bert" and torch.allclose(b2(TEXTS), bert(TEXTS), atol=1e-5)


def test_missing_text_model_is_a_clear_error(monkeypatch):
    from hhir_core.llm.loading import ModelNotFoundError

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelNotFoundError, match="minilm"):
        TextEncoderHead("hhir-test/no-such-clip")
