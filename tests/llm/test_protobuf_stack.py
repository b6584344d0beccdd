"""The pinned protobuf 4.25 (for mediapipe) still serves transformers' sentencepiece path."""
from __future__ import annotations

import pytest


def test_transformers_reads_a_sentencepiece_model_proto(tmp_path):
    spm = pytest.importorskip("sentencepiece")
    from transformers.convert_slow_tokenizer import import_protobuf

    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(f"two people hug each other {i}" for i in range(100)))
    spm.SentencePieceTrainer.train(input=str(corpus), model_prefix=str(tmp_path / "m"), vocab_size=30,
                                   model_type="bpe", minloglevel=2)
    proc = spm.SentencePieceProcessor(model_file=str(tmp_path / "m.model"))
    proto = import_protobuf().ModelProto.FromString(proc.serialized_model_proto())
    assert len(proto.pieces) == 30 and proto.normalizer_spec.add_dummy_prefix
