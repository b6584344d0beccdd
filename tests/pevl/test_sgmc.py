"""SGMC similarities and the semantic-content-guided loss."""
import torch
import torch.nn.functional as F

from hhir_pevl.sgmc import SGMCSimilarity, frame_word_similarity, guided_kl_loss, negative_strengths


def test_sfw_invariant_to_padding_words():
    torch.manual_seed(0)
    frames = torch.randn(3, 5, 8)
    words = torch.randn(4, 6, 8)
    mask = torch.tensor([[1, 1, 1, 0, 0, 0], [1, 1, 1, 1, 1, 1], [1, 0, 0, 0, 0, 0], [1, 1, 1, 1, 0, 0]]).bool()
    s = frame_word_similarity(frames, words, mask)
    # change the padding content and add more padding: same result
    words2 = words.clone()
    words2[~mask] = torch.randn(int((~mask).sum()), 8) * 50
    words3 = torch.cat([words2, torch.randn(4, 3, 8)], dim=1)
    mask3 = torch.cat([mask, torch.zeros(4, 3, dtype=torch.bool)], dim=1)
    assert torch.allclose(s, frame_word_similarity(frames, words2, mask), atol=1e-6)
    assert torch.allclose(s, frame_word_similarity(frames, words3, mask3), atol=1e-6)
    assert s.shape == (3, 4) and torch.isfinite(s).all()
    assert (s.abs() <= 1 + 1e-5).all()


def test_sfw_is_attention_twice():
    torch.manual_seed(1)
    frames, words = torch.randn(1, 4, 6), torch.randn(1, 3, 6)
    mask = torch.ones(1, 3, dtype=torch.bool)
    t = 0.5
    a = F.normalize(frames[0], dim=-1) @ F.normalize(words[0], dim=-1).t()      # [T,W]
    pf = (torch.softmax(a / t, 1) * a).sum(1)
    s1 = (torch.softmax(pf / t, 0) * pf).sum()
    pw = (torch.softmax(a / t, 0) * a).sum(0)
    s2 = (torch.softmax(pw / t, 0) * pw).sum()
    assert torch.allclose(frame_word_similarity(frames, words, mask, t)[0, 0], (s1 + s2) / 2, atol=1e-6)


def test_sgmc_mean_of_enabled_parts():
    torch.manual_seed(0)
    v, p, s = torch.randn(2, 8), torch.randn(2, 8), torch.randn(3, 8)
    fr, w, m = torch.randn(2, 4, 8), torch.randn(3, 5, 8), torch.ones(3, 5, dtype=torch.bool)
    full = SGMCSimilarity()(v, p, fr, s, w, m)
    assert torch.allclose(full["sim"], (full["vs"] + full["ps"] + full["fw"]) / 3)
    only_vs = SGMCSimilarity(("vs",))(v, None, None, s)
    assert torch.allclose(only_vs["sim"], full["vs"])


def _vanilla(logits, labels):
    pos = (labels[:, None] == labels[None, :]).float()
    q = pos / pos.sum(1, keepdim=True)
    kl = lambda lg: (q * (q.clamp(min=1e-12).log() - F.log_softmax(lg, 1))).sum(1).mean()
    return 0.5 * (kl(logits) + kl(logits.t()))


def test_guided_equals_vanilla_when_strengths_equal():
    torch.manual_seed(0)
    logits = torch.randn(6, 6) * 5
    labels = torch.tensor([0, 1, 2, 2, 3, 4])
    neg = (labels[:, None] != labels[None, :]).float()
    equal = neg / neg.sum(1, keepdim=True)
    vanilla = guided_kl_loss(logits, labels, guided=False)
    assert torch.allclose(vanilla, _vanilla(logits, labels), atol=1e-6)
    assert torch.allclose(guided_kl_loss(logits, labels, strengths=equal), vanilla, atol=1e-6)
    # equidistant texts (orthonormal embeddings) give equal strengths too
    text = torch.eye(5)[labels]
    assert torch.allclose(guided_kl_loss(logits, labels, text_emb=text), vanilla, atol=1e-6)
    # unequal strengths change the loss
    text2 = torch.randn(5, 5)[labels]
    assert not torch.allclose(guided_kl_loss(logits, labels, text_emb=text2), vanilla)


def test_strengths_favour_dissimilar_negatives():
    text = torch.tensor([[1.0, 0.0], [0.9, 0.1], [-1.0, 0.0]])
    s = negative_strengths(text, torch.tensor([0, 1, 2]))
    assert torch.allclose(s.sum(1), torch.ones(3))
    assert s[0, 0] == 0 and s[0, 2] > s[0, 1]            # farther text -> stronger negative
