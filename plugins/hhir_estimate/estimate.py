"""``hhir estimate CONFIG``: what a config costs at paper scale, worked out on paper.

The pretrained parts are instantiated on the ``meta`` device (shapes only, no
memory, no weights; the small from-scratch modules are built as usual): every ``from_pretrained`` of a model id in :data:`KNOWN_MODELS` (or of a
local folder with a ``config.json``) builds the architecture from its config
instead of loading weights, so nothing is downloaded. Tokenizers are offline
stand-ins (they do not change parameter counts). From the instantiated model:

* parameters: total and trainable (``requires_grad``), as the config freezes them;
* checkpoint: the trainable parameters (what hhir's checkpoints keep; frozen weights
  are rebuilt from the config), at 4 bytes each (fp32 master weights);
* memory per GPU, bf16 mixed precision with AdamW. Model states:
  ``2 B x frozen + 16 B x trainable`` (bf16 frozen weights; fp32 trainable weight,
  gradient and two Adam moments); DDP keeps them whole on each GPU, FSDP (full
  shard) divides them by the GPU count and adds the largest gathered block
  (``2 B x`` its parameters). Activations of the LLM per micro-batch ``b`` of ``s``
  tokens, width ``h``, ``L`` blocks: ``34 s b h`` bytes per block with a fused
  (SDPA/flash) attention (Korthikanti et al. 2022, without the ``5 a s^2 b`` score
  term); with gradient checkpointing ``2 s b h`` per block plus one block's ``34 s b h``;
* FLOPs per optimizer step: ``2 x params x tokens`` forward for every transformer
  that runs, ``2 x`` again backward for activations where something trainable lies
  in or below it, ``2 x trainable x tokens`` for weight gradients, ``+ forward`` with
  gradient checkpointing; attention adds ``4 s^2 h L`` forward per sequence;
* wall time of the schedule: ``FLOPs/step x iterations / (GPUs x peak x MFU)``
  with the bf16 dense peaks of A100-80GB (312 TFLOP/s) and H100 SXM (989 TFLOP/s).
"""
from __future__ import annotations

import contextlib
import copy
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

from hhir_core.errors import ConfigError

_LLAMA = dict(model_type="llama", vocab_size=32000, rms_norm_eps=1e-6, tie_word_embeddings=False)
_LLAMA_7B = dict(_LLAMA, hidden_size=4096, intermediate_size=11008, num_hidden_layers=32,
                 num_attention_heads=32, num_key_value_heads=32)
_LLAMA_13B = dict(_LLAMA, hidden_size=5120, intermediate_size=13824, num_hidden_layers=40,
                  num_attention_heads=40, num_key_value_heads=40)


def _clip(proj: int, text: Tuple[int, int, int, int], vision: Tuple[int, int, int, int, int]):
    th, ti, tl, ta = text
    vh, vi, vl, va, patch = vision
    return dict(model_type="clip", projection_dim=proj,
                text_config=dict(hidden_size=th, intermediate_size=ti, num_hidden_layers=tl,
                                 num_attention_heads=ta, vocab_size=49408,
                                 max_position_embeddings=77, projection_dim=proj),
                vision_config=dict(hidden_size=vh, intermediate_size=vi, num_hidden_layers=vl,
                                   num_attention_heads=va, patch_size=patch, image_size=224,
                                   projection_dim=proj))


#: published architecture configs of the models the paper configs name (no download needed)
KNOWN_MODELS: Dict[str, Dict[str, Any]] = {
    "huggyllama/llama-7b": dict(_LLAMA_7B, max_position_embeddings=2048),
    "huggyllama/llama-13b": dict(_LLAMA_13B, max_position_embeddings=2048),
    "meta-llama/Llama-2-7b-hf": dict(_LLAMA_7B, max_position_embeddings=4096),
    "meta-llama/Llama-2-7b-chat-hf": dict(_LLAMA_7B, max_position_embeddings=4096),
    "meta-llama/Llama-2-13b-hf": dict(_LLAMA_13B, max_position_embeddings=4096),
    "meta-llama/Llama-2-13b-chat-hf": dict(_LLAMA_13B, max_position_embeddings=4096),
    "lmsys/vicuna-7b-v1.3": dict(_LLAMA_7B, max_position_embeddings=2048),
    "lmsys/vicuna-13b-v1.3": dict(_LLAMA_13B, max_position_embeddings=2048),
    "lmsys/vicuna-7b-v1.5": dict(_LLAMA_7B, max_position_embeddings=4096),
    "lmsys/vicuna-13b-v1.5": dict(_LLAMA_13B, max_position_embeddings=4096),
    "openai/clip-vit-base-patch32": _clip(512, (512, 2048, 12, 8), (768, 3072, 12, 12, 32)),
    "openai/clip-vit-base-patch16": _clip(512, (512, 2048, 12, 8), (768, 3072, 12, 12, 16)),
    "openai/clip-vit-large-patch14": _clip(768, (768, 3072, 12, 12), (1024, 4096, 24, 16, 14)),
    "google/vit-base-patch16-224-in21k": dict(model_type="vit", hidden_size=768,
                                              intermediate_size=3072, num_hidden_layers=12,
                                              num_attention_heads=12, image_size=224,
                                              patch_size=16),
    "usyd-community/vitpose-base-simple": dict(model_type="vitpose", backbone_config=dict(
        model_type="vitpose_backbone", hidden_size=768, intermediate_size=3072,
        num_hidden_layers=12, num_attention_heads=12, image_size=[256, 192],
        patch_size=[16, 16])),
}

GPUS = {"A100-80GB": dict(tflops=312.0, mem_gb=80), "H100-80GB SXM": dict(tflops=989.0, mem_gb=80)}


# ----------------------------------------------------------------------------- meta build
def _config_for(name: Any):
    """A transformers config for a known model id or a local folder/``config.json``; else None."""
    from transformers import AutoConfig, PretrainedConfig

    if isinstance(name, PretrainedConfig):
        return name
    text = os.fspath(name) if isinstance(name, (str, os.PathLike)) else None
    if text is None:
        return None
    if text in KNOWN_MODELS:
        spec = dict(KNOWN_MODELS[text])
        return AutoConfig.for_model(spec.pop("model_type"), **spec)
    path = Path(os.path.expanduser(text))
    file = path / "config.json" if path.is_dir() else path
    if file.name == "config.json" and file.is_file():
        spec = json.loads(file.read_text())
        kind = spec.pop("model_type", None)
        if kind is None:
            raise ConfigError(f"{file}: no model_type")
        return AutoConfig.for_model(kind, **spec)
    return None


def _fit_config(config: Any, config_class: Any):
    """``config`` or the sub-config (vision/text/backbone) that ``config_class`` expects."""
    if config_class is None or isinstance(config, config_class):
        return config
    for key in ("vision_config", "text_config", "backbone_config"):
        sub = getattr(config, key, None)
        if sub is not None and isinstance(sub, config_class):
            return sub
    return config


class UnknownModel(ConfigError):
    """A config names a model whose architecture is neither built in nor local."""


@contextlib.contextmanager
def meta_models() -> Iterator[None]:
    """Inside: ``from_pretrained`` builds known/local architectures on ``meta``, without weights."""
    import torch
    import transformers
    from transformers import AutoConfig, AutoTokenizer, PreTrainedModel
    from transformers.models.auto.auto_factory import _BaseAutoModelClass

    saved = dict(model=PreTrainedModel.__dict__["from_pretrained"],
                 config=AutoConfig.__dict__["from_pretrained"],
                 tok=AutoTokenizer.__dict__["from_pretrained"])
    autos = [getattr(transformers, n) for n in dir(transformers) if n.startswith("AutoModel")]
    autos = [a for a in autos if isinstance(a, type) and issubclass(a, _BaseAutoModelClass)]
    saved_autos = {a: a.__dict__.get("from_pretrained") for a in autos}

    def need(name):
        cfg = _config_for(name)
        if cfg is None:
            raise UnknownModel(
                f"hhir estimate: no architecture known for {name!r}; add it to "
                f"hhir_estimate.estimate.KNOWN_MODELS or point the config at a local folder "
                f"with a config.json")
        return cfg

    def model_from_pretrained(cls, name, *args, **kwargs):
        cfg = _fit_config(need(name), getattr(cls, "config_class", None))
        with torch.device("meta"):
            return cls(cfg)

    def auto_from_pretrained(cls, name, *args, **kwargs):
        with torch.device("meta"):
            return cls.from_config(need(name))

    def config_from_pretrained(cls, name, *args, **kwargs):
        return need(name)

    # stand-ins, loaded before patching: tokenizers hold no parameters
    from hhir_core.llm.loading import load_gguf_tokenizer, minilm_dir

    causal_tok = load_gguf_tokenizer()
    text_tok = AutoTokenizer.from_pretrained(str(minilm_dir()))

    def tokenizer_from_pretrained(cls, name, *args, **kwargs):
        cfg = _config_for(name)
        if cfg is not None and getattr(cfg, "model_type", "") in ("clip", "bert", "vit"):
            return copy.deepcopy(text_tok)
        return copy.deepcopy(causal_tok)

    PreTrainedModel.from_pretrained = classmethod(model_from_pretrained)
    for a in autos:
        a.from_pretrained = classmethod(auto_from_pretrained)
    AutoConfig.from_pretrained = classmethod(config_from_pretrained)
    AutoTokenizer.from_pretrained = classmethod(tokenizer_from_pretrained)
    try:
        yield
    finally:
        PreTrainedModel.from_pretrained = saved["model"]
        for a, fn in saved_autos.items():
            if fn is None:
                del a.from_pretrained
            else:
                a.from_pretrained = fn
        AutoConfig.from_pretrained = saved["config"]
        AutoTokenizer.from_pretrained = saved["tok"]


def build_on_meta(cfg: Any):
    """The config's model, every parameter on ``meta``."""
    from hhir_core.registry import MODELS  # a lookup loads the plugins

    model_cfg = cfg.model.to_dict() if hasattr(cfg.model, "to_dict") else dict(cfg.model)
    with meta_models():
        return MODELS.build(model_cfg)


# ----------------------------------------------------------------------------- accounting
@dataclass
class Block:
    """A transformer found in the model: what runs, how often, and what trains in it."""

    name: str
    kind: str  # 'llm' | 'vision' | 'text' | 'qformer'
    params: int
    trainable: int
    layers: int
    hidden: int
    tokens: int  # per sample (per sequence x sequences per sample)
    seq_len: int
    largest_layer: int
    backward: bool = True


@dataclass
class Estimate:
    config: str
    total: int
    trainable: int
    blocks: List[Block] = field(default_factory=list)
    batch: int = 1
    micro_batch: int = 1
    iters: int = 0
    accumulate: int = 1
    micro_iters: int = 0  # the config's max_iters (micro-batches)
    grad_ckpt: bool = False
    notes: List[str] = field(default_factory=list)

    # ---------------------------------------------------------------- derived figures
    @property
    def frozen(self) -> int:
        return self.total - self.trainable

    @property
    def checkpoint_bytes(self) -> int:
        return 4 * self.trainable

    def state_bytes(self) -> int:
        return 2 * self.frozen + 16 * self.trainable

    def activation_bytes(self, grad_ckpt: bool) -> int:
        total = 0
        for b in self.blocks:
            if not b.backward:
                continue
            per_layer = 34 * b.tokens * self.micro_batch * b.hidden
            if grad_ckpt:
                total += 2 * b.tokens * self.micro_batch * b.hidden * b.layers + per_layer
            else:
                total += per_layer * b.layers
        return total

    def memory_gb(self, strategy: str, grad_ckpt: bool, gpus: int) -> float:
        states = self.state_bytes()
        if strategy == "fsdp":
            largest = max([b.largest_layer for b in self.blocks] or [0])
            states = states / gpus + 2 * largest
        return (states + self.activation_bytes(grad_ckpt)) / 1e9

    def flops_per_step(self, grad_ckpt: bool) -> float:
        per_sample = 0.0
        for b in self.blocks:
            fwd = 2.0 * b.params * b.tokens + 4.0 * b.seq_len * b.tokens * b.hidden * b.layers
            bwd = (2.0 * fwd if b.backward else 0.0) * (1.0 if b.trainable or b.kind == "llm"
                                                         else 0.0)
            wgrad = 2.0 * b.trainable * b.tokens
            per_sample += fwd + (bwd and (fwd + wgrad)) + (fwd if grad_ckpt and b.backward else 0.0)
        return per_sample * self.batch

    def hours(self, gpu: str, gpus: int, mfu: float, grad_ckpt: bool) -> float:
        peak = GPUS[gpu]["tflops"] * 1e12
        return self.flops_per_step(grad_ckpt) * self.iters / (gpus * peak * mfu) / 3600


def _count(module) -> Tuple[int, int]:
    seen, total, train = set(), 0, 0
    for p in module.parameters():
        if id(p) in seen:
            continue
        seen.add(id(p))
        total += p.numel()
        train += p.numel() if p.requires_grad else 0
    return total, train


def _cfg_get(cfg: Any, *keys: str, default: Any = None) -> Any:
    for key in keys:
        val = cfg.get(key) if hasattr(cfg, "get") else None
        if val is not None:
            return val
    return default


def _find_blocks(model, cfg: Any, llm_tokens: int, frames: int, classes: int) -> List[Block]:
    """The transformers inside ``model`` (HF ``PreTrainedModel`` instances, outermost)."""
    from transformers import PreTrainedModel

    blocks: List[Block] = []
    taken: List[str] = []
    for name, mod in model.named_modules():
        if not isinstance(mod, PreTrainedModel) or any(name.startswith(t + ".") for t in taken):
            continue
        taken.append(name)
        c = mod.config
        params, train = _count(mod)
        hidden = int(getattr(c, "hidden_size", 0) or 0)
        layers = int(getattr(c, "num_hidden_layers", 0) or 0)
        lm = hasattr(mod, "get_output_embeddings") and mod.get_output_embeddings() is not None \
            and getattr(c, "is_decoder", False) is False and "CausalLM" in type(mod).__name__
        if lm or "CausalLM" in type(getattr(mod, "base_model", mod)).__name__:
            kind, seq, tokens = "llm", llm_tokens, llm_tokens
        elif getattr(c, "image_size", None) is not None:
            size = c.image_size if isinstance(c.image_size, (list, tuple)) else [c.image_size] * 2
            patch = c.patch_size if isinstance(c.patch_size, (list, tuple)) else [c.patch_size] * 2
            seq = (size[0] // patch[0]) * (size[1] // patch[1]) + 1
            kind, tokens = "vision", seq * frames
        elif "qformer" in name.lower() or "q_former" in name.lower():
            seq = int(_cfg_get(cfg, "num_queries", default=32))
            kind, tokens = "qformer", seq
        else:
            seq = min(int(getattr(c, "max_position_embeddings", 77) or 77), 77)
            kind, tokens = "text", seq * classes
        per_layer = (params - (hidden * int(getattr(c, "vocab_size", 0) or 0) * 2)) // max(layers, 1)
        blocks.append(Block(name=name or type(mod).__name__, kind=kind, params=params,
                            trainable=train, layers=layers, hidden=hidden, tokens=tokens,
                            seq_len=seq, largest_layer=max(per_layer, 0)))
    # backward runs through a block when it, or anything outside it, trains
    others_train = _count(model)[1] - sum(b.trainable for b in blocks)
    for b in blocks:
        b.backward = bool(b.trainable) or (b.kind == "llm" and others_train > 0)
    return blocks


def _llm_tokens(cfg: Any) -> Tuple[int, str]:
    """Tokens in one LLM sequence, from the config's prompt (stand-in tokenizer) and its inputs."""
    from hhir_core.llm.loading import load_gguf_tokenizer

    model = cfg.model
    tok = load_gguf_tokenizer()
    prompt = _cfg_get(model, "prompt", default="")
    text = len(tok(prompt.replace("<tokens>", ""))["input_ids"]) if prompt else 0
    clip_len = int(_cfg_get(cfg, "clip_len", default=64))
    if "<tokens>" in prompt:
        soft = clip_len // 4  # the skeleton tokenizer downsamples time by 4
        return text + soft + 6, f"{text} prompt + {soft} action + ~6 answer tokens"
    queries = int(_cfg_get(cfg, "num_queries", default=32))
    branches = 3
    chat = 128
    return branches * queries + chat, (f"{branches} branches x {queries} queries + ~{chat} "
                                       "conversation tokens")


def _schedule(cfg: Any) -> Tuple[int, int, int, bool, int]:
    """``(samples per step, micro-batch, optimizer steps, gradient checkpointing, accumulation)``.

    mmengine's ``max_iters`` counts micro-batches; with ``accumulative_counts=a`` an
    optimizer step takes ``a`` of them.
    """
    micro = int(cfg.train_dataloader.get("batch_size", 1))
    acc = int((cfg.get("optim_wrapper") or {}).get("accumulative_counts", 1) or 1)
    tc = cfg.get("train_cfg") or {}
    iters = int(tc.get("max_iters") or 0)
    llm = (cfg.model.get("llm") or cfg.model.get("language_head") or {}) if hasattr(
        cfg.model, "get") else {}
    ckpt = bool(llm.get("gradient_checkpointing", False)) if hasattr(llm, "get") else False
    # optimizer steps = iterations / accumulation; samples per step = micro x accumulation
    return micro * acc, micro, max(iters // max(acc, 1), 0), ckpt, acc


def estimate(path: str, cfg_options: Optional[Dict[str, Any]] = None, gpus: int = 8) -> Estimate:
    """Instantiate ``path``'s model on ``meta`` and work out its cost (see the module docstring)."""
    from hhir_core.config import load_config

    cfg = load_config(path, cfg_options)
    model = build_on_meta(cfg)
    total, train = _count(model)
    batch, micro, steps, ckpt, acc = _schedule(cfg)
    est = Estimate(config=path, total=total, trainable=train, batch=batch, micro_batch=micro,
                   iters=steps, accumulate=acc, grad_ckpt=ckpt,
                   micro_iters=int((cfg.get("train_cfg") or {}).get("max_iters") or 0))
    tokens, how = _llm_tokens(cfg)
    frames = int(_cfg_get(cfg, "num_frames", "clip_len", default=8))
    classes = len(_cfg_get(cfg.model, "class_names", default=[]) or []) or 120
    est.blocks = _find_blocks(model, cfg, tokens, frames, classes)
    if any(b.kind == "llm" for b in est.blocks):
        est.notes.append(f"LLM sequence: {tokens} tokens ({how})")
    if any(b.kind == "vision" for b in est.blocks):
        est.notes.append(f"vision encoders: {frames} frames per sample")
    if any(b.kind == "text" for b in est.blocks):
        est.notes.append(f"text encoders: {classes} class prompts of 77 tokens per step")
    rest = total - sum(b.params for b in est.blocks)
    if rest:
        est.notes.append(f"{rest / 1e6:.1f} M parameters outside transformers: their FLOPs "
                         "are not counted")
    return est


# ----------------------------------------------------------------------------- rendering
def _num(n: float) -> str:
    for unit, div in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(n) >= div:
            return f"{n / div:.2f} {unit}"
    return str(int(n))


def schedule_line(est: Estimate) -> str:
    """One sentence on the schedule the config states."""
    if not est.iters:
        return f"Epoch-based schedule; optimizer steps of {est.batch} samples."
    acc = (f" ({est.micro_iters:,} iterations of micro-batch {est.micro_batch}, "
           f"gradients accumulated over {est.accumulate})") if est.accumulate > 1 else ""
    return f"{est.iters:,} optimizer steps of {est.batch} samples{acc}."


def rows(est: Estimate, gpus: int = 8, mfu: float = 0.4) -> List[Tuple[str, str]]:
    """``(quantity, value)`` rows of the estimate table."""
    out = [("parameters (total)", f"{_num(est.total)} ({est.total:,})"),
           ("parameters (trainable)", f"{_num(est.trainable)} ({est.trainable:,}; "
                                      f"{100 * est.trainable / max(est.total, 1):.2f} %)"),
           ("checkpoint (trainable only, fp32)", f"{est.checkpoint_bytes / 1e6:.1f} MB")]
    for strategy in ("ddp", "fsdp"):
        for ck in (False, True):
            label = f"memory per GPU, {strategy.upper()}{f' x{gpus}' if strategy == 'fsdp' else ''}" \
                    f", bf16, {'with' if ck else 'no'} grad. checkpointing"
            gb = est.memory_gb(strategy, ck, gpus)
            out.append((label, f"{gb:.1f} GB" if gb >= 1 else f"{gb * 1000:.0f} MB"))
    flops = est.flops_per_step(est.grad_ckpt)
    out.append((f"FLOPs per optimizer step (batch {est.batch}, grad. checkpointing "
                f"{'on' if est.grad_ckpt else 'off'})",
                f"{flops:.3g}" if flops else "not counted (no transformer in the model)"))
    for gpu in GPUS if flops else ():
        if est.iters:
            h = est.hours(gpu, gpus, mfu, est.grad_ckpt)
            out.append((f"schedule ({est.iters:,} steps) on {gpus}x {gpu}, {int(mfu * 100)} % MFU",
                        f"{h:.2f} h" if h < 48 else f"{h / 24:.1f} days"))
        else:  # epoch-based: the step count depends on the dataset's size
            steps = 1000
            h = est.flops_per_step(est.grad_ckpt) * steps / (
                gpus * GPUS[gpu]["tflops"] * 1e12 * mfu) / 3600
            out.append((f"{steps:,} steps (epoch-based schedule) on {gpus}x {gpu}, "
                        f"{int(mfu * 100)} % MFU", f"{h:.2f} h"))
    return out


def render(est: Estimate, gpus: int = 8, mfu: float = 0.4, markdown: bool = False) -> str:
    table = rows(est, gpus, mfu)
    if markdown:
        lines = ["| quantity | value |", "|---|---|"] + [f"| {k} | {v} |" for k, v in table]
    else:
        w = max(len(k) for k, _ in table)
        lines = [f"{k:<{w}}  {v}" for k, v in table]
    blocks = "; ".join(f"{b.name or 'model'}: {b.kind}, {_num(b.params)} params, "
                       f"{b.layers} layers x {b.hidden}" for b in est.blocks)
    extra = ([f"transformers: {blocks}"] if blocks else []) + est.notes
    sep = "\n\n" if markdown else "\n"
    return "\n".join(lines) + (sep + ("\n".join(f"- {n}" for n in extra) if markdown
                                      else "\n".join(extra)) if extra else "")


__all__ = ["KNOWN_MODELS", "GPUS", "Estimate", "estimate", "render", "rows", "schedule_line",
           "meta_models",
           "build_on_meta"]
