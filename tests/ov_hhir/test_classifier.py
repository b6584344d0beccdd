"""The description classifier: per-source candidates (Table III), all classes for new
interactions (open vocabulary), and the sentence-embedding classifier the mini config uses."""
import pytest
import torch

from hhir_core.errors import ConfigError

NAMES = ["handshaking", "hugging other person", "kicking other person", "pushing other person"]


def _model(**kw):
    from hhir_ov_hhir.recognizer import OVHHIRRecognizer
    branch = dict(frame_encoder=dict(kind="vit", config=dict(hidden_size=32, num_attention_heads=2)),
                  num_queries=2, max_frames=2,
                  qformer=dict(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64))
    torch.manual_seed(0)
    return OVHHIRRecognizer(
        language_head=dict(type="CausalLMHead", model=dict(tiny=True, hidden_size=64, num_layers=2, num_heads=4)),
        branch=branch, class_names=NAMES, max_new_tokens=2, **kw)


def test_each_source_is_classified_among_its_own_classes():
    m = _model(class_sources=dict(ntu=[0, 1], ut=[2, 3]), held_out=[1])
    assert m.candidates("ntu", 0) == [0, 1] and m.candidates("ut", 3) == [2, 3]
    assert m.candidates("ntu", 1) == [0, 1, 2, 3]            # a held-out (new) class: every class
    assert m.candidates("other", 2) == [0, 1, 2, 3]          # unlisted source: every class
    scores = m.classify(["two people shake hands", "one kicks the other"], [[0, 1], [2, 3]])
    assert torch.isinf(scores[0, 2:]).all() and torch.isfinite(scores[0, :2]).all()
    assert torch.isinf(scores[1, :2]).all() and torch.isfinite(scores[1, 2:]).all()
    # the prompt lists only the candidates: a candidate's score equals the score with a 2-name list
    alone = m.head.score_classes([m.classifier_prompt.format(description="two people shake hands",
                                                             classes="handshaking, hugging other person")],
                                 None, NAMES[:2], reduction="mean")
    assert torch.allclose(scores[0, :2], alone[0].float(), atol=1e-5)
    with pytest.raises(ConfigError, match="class_sources"):
        _model(class_sources=dict(ntu=[0, 9]))


def test_embedding_classifier_maps_descriptions_to_names():
    m = _model(classifier="embedding")
    texts = ["The person on the left shakes hands with the other person.",
             "The person in red kicks the other person with the right leg.",
             "One person shoves the other person away with both hands."]
    scores = m.classify(texts)
    assert scores.argmax(1).tolist() == [0, 2, 3]
    restricted = m.classify(texts[:1], [[1, 2]])              # the true class is not a candidate
    assert torch.isinf(restricted[0, [0, 3]]).all() and restricted.argmax(1).item() in (1, 2)
    with pytest.raises(ConfigError, match="classifier"):
        _model(classifier="knn")
