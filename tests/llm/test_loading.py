"""Model specs: local folders, hub ids offline, GGUF de-quantisation cache."""
import time
from pathlib import Path

import pytest
import torch

from hhir_core.errors import HHIRError
from hhir_core.llm import load_causal_lm, loading
from hhir_core.llm.loading import ModelNotFoundError, _atomic_materialise, resolve_spec


def test_import_is_lazy():
    """``import hhir_core.llm`` must not import transformers (checked in a fresh interpreter)."""
    import subprocess
    import sys

    code = ("import sys, hhir_core.llm as m; assert 'transformers' not in sys.modules, 'eager'; "
            "assert 'CausalLMHead' in dir(m)")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_local_dir_round_trip(tmp_path):
    model, tok = load_causal_lm(dict(tiny=True, hidden_size=32, num_layers=1, num_heads=2, seed=3))
    model.save_pretrained(str(tmp_path / "m"))
    tok.save_pretrained(str(tmp_path / "m"))
    again, tok2 = load_causal_lm(str(tmp_path / "m"))
    x = torch.tensor([[5, 6, 7, 8]])
    with torch.no_grad():
        assert torch.allclose(model(input_ids=x).logits, again(input_ids=x).logits, atol=1e-6)
    assert tok2("hello world")["input_ids"] == tok("hello world")["input_ids"]
    assert tok2.pad_token is not None
    half, _ = load_causal_lm(str(tmp_path / "m"), dtype="bfloat16")
    assert next(half.parameters()).dtype == torch.bfloat16


def test_tiny_is_seeded_and_leaves_global_rng_alone():
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    a, _ = load_causal_lm(dict(tiny=True, hidden_size=32, num_layers=1, num_heads=2, seed=1))
    assert torch.equal(torch.random.get_rng_state(), before)
    b, _ = load_causal_lm(dict(tiny=True, hidden_size=32, num_layers=1, num_heads=2, seed=1))
    c, _ = load_causal_lm(dict(tiny=True, hidden_size=32, num_layers=1, num_heads=2, seed=2))
    wa, wb, wc = (m.get_input_embeddings().weight for m in (a, b, c))
    assert torch.equal(wa, wb) and not torch.equal(wa, wc)


def test_missing_models_are_clear_errors(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelNotFoundError, match="_mini"):
        load_causal_lm("hhir-test/definitely-not-a-model")
    with pytest.raises(ModelNotFoundError, match="does not exist"):
        load_causal_lm(str(tmp_path / "nope" / "model.gguf"))
    with pytest.raises(ModelNotFoundError, match="does not exist"):
        load_causal_lm(str(tmp_path / "no" / "such" / "dir"))
    with pytest.raises(HHIRError, match="dtype"):
        load_causal_lm(dict(tiny=True), dtype="int8")
    assert issubclass(ModelNotFoundError, HHIRError)


def test_spec_resolution():
    assert resolve_spec("smollm2")[0] == "gguf"
    assert resolve_spec("meta-llama/Llama-2-13b-hf") == ("hub", {"name": "meta-llama/Llama-2-13b-hf"})
    assert resolve_spec(dict(tiny=True))[0] == "tiny"
    assert loading.smollm2_gguf_path().suffix == ".gguf"
    assert (loading.minilm_dir() / "config.json").is_file()


def test_atomic_cache_writes_once_and_survives_races(tmp_path):
    final = tmp_path / "entry"
    calls = []

    def write(d: Path):
        calls.append(d)
        (d / "weights.bin").write_text("x")

    assert _atomic_materialise(final, write) == final
    assert _atomic_materialise(final, write) == final
    assert len(calls) == 1 and (final / ".complete").is_file()

    # another process finishes first while we are writing: ours is discarded, theirs kept
    final2 = tmp_path / "raced"

    def racing_write(d: Path):
        (d / "weights.bin").write_text("mine")
        final2.mkdir()
        (final2 / "weights.bin").write_text("theirs")
        (final2 / ".complete").write_text("ok")

    _atomic_materialise(final2, racing_write)
    assert (final2 / "weights.bin").read_text() == "theirs"
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name]  # no temp leftovers

    # a stale, incomplete entry (killed process) is replaced
    final3 = tmp_path / "stale"
    final3.mkdir()
    (final3 / "partial").write_text("")
    _atomic_materialise(final3, write)
    assert (final3 / ".complete").is_file() and not (final3 / "partial").exists()


def test_cache_root_honours_env(monkeypatch, tmp_path):
    monkeypatch.setenv("HHIR_CACHE", str(tmp_path))
    assert loading.cache_root() == tmp_path / "llm"


def _smollm2_cached() -> bool:
    d = loading._cache_dir_for(loading.smollm2_gguf_path(), "dequant")
    return (d / ".complete").is_file()


def _check_smollm2(model, tok):
    assert model.config.hidden_size == 576 and model.get_input_embeddings().weight.shape[1] == 576

    ids = tok("The capital of France is", return_tensors="pt")["input_ids"]
    with torch.no_grad():
        nxt = model(input_ids=ids).logits[0, -1].argmax()
    assert tok.decode([int(nxt)]).strip() == "Paris"


def test_smollm2_from_cache_if_present():
    """The real offline default (uses the de-quantised cache; see the slow test to build it)."""
    if not _smollm2_cached():
        pytest.skip("SmolLM2 not de-quantised yet on this machine (run the slow test or any "
                    "_mini config once)")
    t = time.time()
    model, tok = load_causal_lm("smollm2")
    assert time.time() - t < 60
    _check_smollm2(model, tok)


@pytest.mark.slow
def test_smollm2_dequantises_once_into_a_fresh_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("HHIR_CACHE", str(tmp_path))
    model, tok = load_causal_lm("smollm2")
    _check_smollm2(model, tok)
    entry = loading._cache_dir_for(loading.smollm2_gguf_path(), "dequant")
    assert entry.parent.parent == tmp_path and (entry / "model.safetensors").is_file()
    stamp = (entry / ".complete").stat().st_mtime_ns
    model2, _ = load_causal_lm("smollm2")
    assert (entry / ".complete").stat().st_mtime_ns == stamp  # reused, not rewritten
    assert torch.equal(model.get_input_embeddings().weight, model2.get_input_embeddings().weight)


def test_two_processes_write_the_cache_once(tmp_path):
    """Concurrent cold-cache loads: one writer, both readers see a complete entry."""
    import subprocess
    import sys

    script = (
        "import sys, time, pathlib\n"
        "from hhir_core.llm.loading import _atomic_materialise\n"
        "root = pathlib.Path(sys.argv[1])\n"
        "def write(d):\n"
        "    with open(root / 'writes.log', 'a') as f: f.write('w\\n')\n"
        "    time.sleep(1.0)\n"
        "    (d / 'model.bin').write_text('weights')\n"
        "out = _atomic_materialise(root / 'entry', write)\n"
        "assert (out / 'model.bin').read_text() == 'weights'\n"
    )
    procs = [subprocess.Popen([sys.executable, "-c", script, str(tmp_path)]) for _ in range(2)]
    assert all(p.wait(timeout=120) == 0 for p in procs)
    assert (tmp_path / "writes.log").read_text().count("w") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["entry", "entry.lock", "writes.log"]


def test_tiny_string_alias():
    from hhir_core.llm.loading import resolve_spec

    assert resolve_spec("tiny") == ("tiny", {"tiny": True})
