"""``LLMARRecognizer``: LLM-AR ("LLMs are Good Action Recognizers") as an mmengine model.

Two stages share one model class (``train_stage`` switches them; a multi-stage
config sets it per stage):

* ``'tokenizer'`` — linguistic projection: only the action VQ-VAE trains (its
  reconstruction, VQ and human-inductive-bias losses). The frozen LLM is loaded
  for its word embeddings (MMD target; optional codebook initialisation).
  Evaluation reports reconstruction error and codebook usage.
* ``'llm'`` — the tokenizer is frozen and the LLM is tuned (LoRA by default) on
  ``"Given a sequence of action tokens <tokens>, please predict the corresponding
  action."`` with the class name as the answer. Prediction scores every class
  name's log-likelihood (always valid, gives top-5; by default an exact top-5
  search over the token trie of the class names) or generates text and matches it
  to the class list (``predict_mode='generate'``, as in the paper).

Unseen-class protocol: ``candidate_prompt`` adds "... from [a, b, c]." to the
prompt; training lists ``train_list_size`` training classes (the true one among
them), evaluation lists every evaluation class (``eval_classes``).
"""
from __future__ import annotations

import difflib
import logging
import random
from typing import Any, Dict, List, Optional, Sequence, Union

import torch
from mmengine.model import BaseModel
from torch import Tensor, nn

from hhir_core.apis.recognizer import InferenceOutput, InferenceRecognizer
from hhir_core.errors import ConfigError, DataError
from hhir_core.interfaces import CausalLM, SkeletonTokenizer, Slot, expect_contract, require
from hhir_core.registry import build, resolve

PROMPT = "Given a sequence of action tokens <tokens>, please predict the corresponding action."
CANDIDATE_PROMPT = ("Given a sequence of action tokens <tokens>, please predict the corresponding "
                    "action from [{candidates}].")
STAGES = ("tokenizer", "llm")


def class_names_for(classes: Union[None, str, Sequence[Any]]) -> List[str]:
    """Names of NTU label ids (``None`` = all 120, ``'unseen:<split>'`` etc.) or given names."""
    from hhir_core.data.ntu_classes import ntu120_classes

    names = ntu120_classes()
    if classes is None:
        return list(names)
    if isinstance(classes, str):
        from hhir_core.data.ntu import _resolve_classes

        classes = _resolve_classes(classes)
    out = []
    for c in classes:
        if isinstance(c, str):
            out.append(c)
        else:
            if not 0 <= int(c) < len(names):
                raise ConfigError(f"model.classes: NTU label id {c} is out of range 0..{len(names)-1}")
            out.append(names[int(c)])
    return out


def freeze_as_buffers(module: nn.Module) -> None:
    """Turn every parameter of ``module`` into a (persistent) buffer of the same name.

    Why: checkpoints keep only trainable parameters (a frozen LLM is never
    re-written), but the frozen stage-1 tokenizer is small and is needed to
    reproduce predictions and to resume stage 2; as buffers its weights are
    saved under unchanged keys and still load from a stage-1 checkpoint.
    """
    for sub in module.modules():
        for name, p in list(sub._parameters.items()):
            if p is None:
                continue
            del sub._parameters[name]
            sub.register_buffer(name, p.detach().clone(), persistent=True)


def _tokenizer_class(cfg: Dict[str, Any]) -> type:
    """The class ``cfg['type']`` names (or is), without building it."""
    kind = cfg.get("type")
    return kind if isinstance(kind, type) else resolve("tokenizer", str(kind))


def match_embedding_spread(codes: Tensor, words: Tensor) -> Tensor:
    """``codes`` moved and scaled (one factor) to the centre and spread of ``words``.

    Why: the raw code vectors sit in a tight cone (mean pairwise cosine ~0.98) far
    inside the LLM's word-embedding cloud, so as new-token embeddings they all look
    alike and a code seen rarely in training stays indistinguishable. One affine
    map keeps the codebook's geometry (neighbouring codes stay neighbours) at a
    scale the LLM resolves.
    """
    def rms_spread(x: Tensor) -> Tensor:  # RMS distance to the mean
        return (x - x.mean(0)).pow(2).sum(-1).mean().sqrt()

    codes, words = codes.float(), words.float().to(codes.device)
    scale = rms_spread(words) / rms_spread(codes).clamp_min(1e-8)
    return words.mean(0) + (codes - codes.mean(0)) * scale


def match_class(text: str, class_names: Sequence[str]) -> int:
    """Index of the class a generated ``text`` names (exact, containment, then fuzzy)."""
    t = text.strip().strip(".").lower()
    lowered = [n.lower() for n in class_names]
    if t in lowered:
        return lowered.index(t)
    contained = [i for i, n in enumerate(lowered) if n and n in t]
    if contained:  # the longest class name mentioned in the text
        return max(contained, key=lambda i: len(lowered[i]))
    ratios = [difflib.SequenceMatcher(None, t, n).ratio() for n in lowered]
    return int(max(range(len(ratios)), key=ratios.__getitem__))


class LLMARRecognizer(InferenceRecognizer, BaseModel):
    """Action VQ-VAE tokenizer + (LoRA-tuned) causal LM.

    Args:
        tokenizer: config of a :class:`~hhir_core.interfaces.SkeletonTokenizer`
            (``HyperbolicVQTokenizer``, ``EuclideanVQTokenizer``, ``ContinuousTokenizer``, ...).
        llm: config of a :class:`~hhir_core.interfaces.CausalLM` (``type`` defaults to
            ``CausalLMHead``).
        train_stage: ``'tokenizer'`` (stage 1) or ``'llm'`` (stage 2).
        classes: training label set: NTU label ids (as given to the dataset's
            ``classes``), ``'seen:<split>'``, explicit names, or ``None`` (all 120).
        eval_classes: evaluation label set (unseen-class protocol); default ``classes``.
        prompt / candidate_prompt: templates; ``<tokens>`` marks the action sentence,
            ``{candidates}`` the comma-separated class list.
        candidate_in_prompt: use ``candidate_prompt`` (unseen-class protocol).
        train_list_size: candidates listed in training prompts (``None`` = all classes).
        predict_mode: ``'trie'`` (class-name log-likelihood, exact top-``score_top_k``
            search over the class names' token trie; the default), ``'score'`` (the
            log-likelihood of every class name: the full ranking) or ``'generate'``
            (greedy text matched to the class list).
        score_top_k: ``'trie'``: the ranks that must be exact (top-1 .. top-k equal
            ``'score'``'s; lower entries hold upper bounds); ``None`` scores every class.
            Several test clips per sample are averaged, so they always score every class.
        token_mode: ``'embeds'`` (code vectors spliced into ``inputs_embeds``) or
            ``'vocab'`` (K new vocabulary tokens initialised from the codes). A tokenizer
            without ``code_vectors()`` (``ContinuousTokenizer``, the no-discretisation
            ablation) has no codes to turn into tokens: ``'vocab'`` then splices its
            latents, with a warning.
        vocab_init: how ``'vocab'`` tokens start: ``'codes'`` (the code vectors as they are)
            or ``'matched'`` (the same vectors moved to the centre and spread of the LLM's
            word embeddings, :func:`match_embedding_spread`).
        codebook_init: ``'random'`` or ``'llm'`` (sample of the LLM's word embeddings).
        mmd_samples: LLM word embeddings kept for the MMD loss.
        max_new_tokens: generation length in ``'generate'`` mode.
        llm_layers: keep only the first ``llm_layers`` decoder blocks (CPU budget of
            the mini configs; ``None`` = the whole LLM).
        inject_layer: where the action sentence enters the LLM: ``None``/``0`` = its
            input embeddings (spliced at ``<tokens>``), ``k`` = the input of decoder
            block ``k`` (its hidden states at the sentence positions are replaced by the
            sentence; below ``k`` those positions hold a zero placeholder), ``'middle'`` =
            block ``N // 2`` of the ``N`` blocks left after ``llm_layers``. Used by the
            no-discretisation ablation (continuous features into intermediate layers);
            needs ``token_mode='embeds'``.
    """

    #: the swappable sub-components (``hhir components --slots``)
    slots = (
        Slot("model.tokenizer", "tokenizer", "SkeletonTokenizer", injected=("llm_dim",),
             uses=("set_reference_embeddings: train_stage='tokenizer'",
                   "init_codebook_from: codebook_init='llm'",
                   "code_vectors: token_mode='vocab' (else the embeds are spliced)")),
        Slot("model.llm", "language_head", "CausalLM",
             uses=("truncate_layers: llm_layers", "inject_soft_tokens_at: inject_layer",
                   "add_vocab_tokens: token_mode='vocab'",
                   "token_string: token_mode='vocab'", "save_adapter: LoRAExportHook")),
    )

    def __init__(self, tokenizer: Dict[str, Any], llm: Dict[str, Any],
                 train_stage: str = "llm", classes: Any = None, eval_classes: Any = None,
                 prompt: str = PROMPT, candidate_prompt: str = CANDIDATE_PROMPT,
                 candidate_in_prompt: bool = False, train_list_size: Optional[int] = None,
                 predict_mode: str = "trie", score_top_k: Optional[int] = 5,
                 token_mode: str = "embeds", vocab_init: str = "codes",
                 codebook_init: str = "random",
                 mmd_samples: int = 1024, max_new_tokens: int = 16, seed: int = 0,
                 llm_layers: Optional[int] = None, inject_layer: Union[None, int, str] = None,
                 data_preprocessor: Optional[dict] = None, init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        for key, value, valid in (("train_stage", train_stage, STAGES),
                                  ("predict_mode", predict_mode, ("trie", "score", "generate")),
                                  ("token_mode", token_mode, ("embeds", "vocab")),
                                  ("vocab_init", vocab_init, ("codes", "matched")),
                                  ("codebook_init", codebook_init, ("random", "llm"))):
            if value not in valid:
                raise ConfigError(f"model.{key}={value!r}; valid: {', '.join(valid)}")
        if "<tokens>" not in prompt or "<tokens>" not in candidate_prompt:
            raise ConfigError("model.prompt and model.candidate_prompt must contain '<tokens>'")
        self.train_stage = train_stage
        self.class_names = class_names_for(classes)
        self.eval_class_names = class_names_for(eval_classes) if eval_classes is not None \
            else list(self.class_names)
        self.prompt, self.candidate_prompt = prompt, candidate_prompt
        self.candidate_in_prompt = candidate_in_prompt
        self.train_list_size = train_list_size
        if score_top_k is not None and int(score_top_k) < 1:
            raise ConfigError(f"model.score_top_k={score_top_k!r}; must be >= 1 or None")
        self.predict_mode = predict_mode
        self.score_top_k = None if score_top_k is None else int(score_top_k)
        self.max_new_tokens = max_new_tokens
        self._rng = random.Random(seed)

        if token_mode == "vocab" and not _tokenizer_class(tokenizer).supports("code_vectors"):
            from mmengine.logging import print_log

            print_log(f"model.token_mode='vocab' needs codes; {tokenizer.get('type')} has none, "
                      "so its latents are spliced into inputs_embeds (token_mode='embeds')",
                      logger="current", level=logging.WARNING)
            token_mode = "embeds"
        self.token_mode = token_mode
        self.vocab_init = vocab_init
        self.head = self._build_head(llm)
        if llm_layers is not None:
            require(self.head, "truncate_layers", "model.llm (model.llm_layers)")
            self.head.truncate_layers(int(llm_layers))
        #: decoder block the action sentence enters at (``None``: the input embeddings)
        self.inject_layer: Optional[int] = None
        if inject_layer not in (None, 0):
            if token_mode != "embeds":
                raise ConfigError(f"model.inject_layer={inject_layer!r} needs "
                                  "model.token_mode='embeds' (with 'vocab' the action sentence "
                                  "is prompt text, not embeddings to inject)")
            require(self.head, "inject_soft_tokens_at", "model.llm (model.inject_layer)")
            try:
                self.inject_layer = self.head.inject_soft_tokens_at(inject_layer, names=("tokens",))
            except ConfigError as exc:
                raise ConfigError(f"model.inject_layer={inject_layer!r}: {exc}") from None
        self.tokenizer = self._build_tokenizer(tokenizer)
        if token_mode == "vocab":  # one input-only vocabulary token per code
            require(self.head, "add_vocab_tokens", "model.llm (model.token_mode='vocab')")
            require(self.head, "token_string", "model.llm (model.token_mode='vocab')")
            self.head.add_vocab_tokens(self._vocab_names(), None)
        emb = self.head.input_embeddings()
        if train_stage == "tokenizer":
            self.tokenizer.set_reference_embeddings(emb, num_samples=mmd_samples, seed=seed)
            if codebook_init == "llm":
                require(self.tokenizer, "init_codebook_from",
                        "model.tokenizer (model.codebook_init='llm')")
                self.tokenizer.init_codebook_from(emb, seed=seed)
            for p in self.head.parameters():
                p.requires_grad_(False)
        else:
            self.tokenizer.eval()
            freeze_as_buffers(self.tokenizer)
        #: set once the added vocabulary tokens were initialised from the codes
        self.register_buffer("vocab_initialised", torch.zeros((), dtype=torch.bool))
        #: ids of the last training batch (read by the codebook-usage hook)
        self.last_ids: Optional[Tensor] = None
        #: checkpoints skip these (stage 1 saves no LLM state at all)
        self.frozen_state_prefixes = ["head."] if train_stage == "tokenizer" else \
            ["head." + p for p in self.head.frozen_state_prefixes]

    # ------------------------------------------------------------------ building
    @staticmethod
    def _build_head(cfg: Dict[str, Any]) -> nn.Module:
        cfg = dict(cfg)
        cfg.setdefault("type", "CausalLMHead")
        return expect_contract(build("language_head", cfg), CausalLM, "model.llm")

    def _build_tokenizer(self, cfg: Dict[str, Any]) -> nn.Module:
        cfg = dict(cfg)
        dim = self.head.embed_dim
        if cfg.get("llm_dim") is None:
            cfg["llm_dim"] = dim
        elif int(cfg["llm_dim"]) != dim:
            raise ConfigError(
                f"model.tokenizer.llm_dim={cfg['llm_dim']} but the LLM's word embeddings are "
                f"{dim}-d; set model.tokenizer.llm_dim={dim} (or None to follow the LLM)")
        return expect_contract(build("tokenizer", cfg), SkeletonTokenizer, "model.tokenizer")

    def train(self, mode: bool = True) -> "LLMARRecognizer":
        super().train(mode)
        if self.train_stage == "llm":
            self.tokenizer.eval()  # frozen: no dropout/batch-stat updates
        if self.train_stage == "tokenizer":
            self.head.eval()
        return self

    # ------------------------------------------------------------------ prompts
    def on_stage_start(self) -> None:
        """Called by :class:`LLMARStageHook` after checkpoints are loaded."""
        if self.train_stage == "llm" and self.token_mode == "vocab" \
                and not bool(self.vocab_initialised):
            codes = self.tokenizer.code_vectors().detach()
            if self.vocab_init == "matched":
                codes = match_embedding_spread(codes, self.head.input_embeddings())
            self.head.add_vocab_tokens(self._vocab_names(), codes.to(self.head.device))
            self.vocab_initialised.fill_(True)

    def _vocab_names(self) -> List[str]:
        """Names of the vocabulary tokens standing for the tokenizer's codes."""
        return [self.head.new_token_format.format(i) for i in range(int(self.tokenizer.num_codes))]

    def _prompts(self, n: int, labels: Optional[Sequence[int]], names: Sequence[str],
                 training: bool, ids: Optional[Tensor] = None) -> List[str]:
        out = []
        for i in range(n):
            if self.candidate_in_prompt:
                if training and self.train_list_size and self.train_list_size < len(names):
                    others = [j for j in range(len(names)) if j != int(labels[i])]
                    pick = self._rng.sample(others, self.train_list_size - 1) + [int(labels[i])]
                    self._rng.shuffle(pick)
                    cands = [names[j] for j in pick]
                else:
                    cands = list(names)
                p = self.candidate_prompt.replace("{candidates}", ", ".join(cands))
            else:
                p = self.prompt
            if self.token_mode == "vocab":
                p = p.replace("<tokens>", self.head.token_string(ids[i:i + 1])[0])
            out.append(p)
        return out

    def _soft_tokens(self, tok_out) -> Optional[Dict[str, Tensor]]:
        if self.token_mode == "vocab":
            return None
        return {"tokens": tok_out.embeds.to(self.head.device)}

    # ------------------------------------------------------------------ forward
    @staticmethod
    def _labels(label: Any, n: int) -> Tensor:
        if label is None:
            return torch.full((n,), -1, dtype=torch.long)
        return torch.as_tensor(label).long().reshape(-1)

    def forward(self, keypoint: Tensor, label: Any = None, mode: str = "loss",
                **meta: Any) -> Union[Dict[str, Tensor], List[Dict[str, Any]]]:
        """``keypoint [B,M,T,V,C]`` (or ``[B,clips,M,T,V,C]`` in testing) -> losses / predictions."""
        if mode == "loss":
            return self.loss(keypoint, label)
        if mode == "predict":
            return self.predict(keypoint, label, meta.get("frame_dir"))
        if mode == "tensor":
            return self.tokenizer(keypoint, compute_losses=False).embeds
        raise ConfigError(f"LLMARRecognizer.forward: unknown mode {mode!r}")

    def loss(self, keypoint: Tensor, label: Any) -> Dict[str, Tensor]:
        if keypoint.dim() == 6:  # several test clips: train on the first
            keypoint = keypoint[:, 0]
        if self.train_stage == "tokenizer":
            out = self.tokenizer(keypoint)
            self.last_ids = None if out.ids is None else out.ids.detach()
            if not out.losses:
                raise ConfigError("stage 'tokenizer' has no active loss "
                                  "(model.tokenizer.loss_weights are all 0)")
            return dict(out.losses)
        labels = self._labels(label, keypoint.shape[0])
        if (labels < 0).any() or (labels >= len(self.class_names)).any():
            raise DataError(f"labels {labels.tolist()} outside 0..{len(self.class_names) - 1}: "
                            f"model.classes and the dataset's classes must match")
        with torch.no_grad():
            tok_out = self.tokenizer(keypoint, compute_losses=False)
        prompts = self._prompts(len(labels), labels.tolist(), self.class_names, True, tok_out.ids)
        answers = [self.class_names[int(i)] for i in labels]
        soft = self._soft_tokens(tok_out)
        return {"loss_lm": self.head(prompts=prompts, answers=answers, soft_tokens=soft)["loss"]}

    @torch.no_grad()
    def predict(self, keypoint: Tensor, label: Any = None,
                frame_dir: Optional[Sequence[str]] = None) -> List[Dict[str, Any]]:
        clips = 1
        b = keypoint.shape[0]
        if keypoint.dim() == 6:  # [B, clips, M, T, V, C]: average the clips' scores
            clips = keypoint.shape[1]
            keypoint = keypoint.flatten(0, 1)
        labels = self._labels(label, b)
        if self.train_stage == "tokenizer":
            out = self.tokenizer(keypoint, compute_losses=True)
            err = out.extras["recon_error"].view(b, clips).mean(1)
            ids = out.ids.view(b, clips, -1) if out.ids is not None else None
            return [dict(recon_error=float(err[i]), gt_label=int(labels[i]),
                         code_ids=None if ids is None else ids[i].reshape(-1).cpu())
                    for i in range(b)]
        names = self.eval_class_names
        tok_out = self.tokenizer(keypoint, compute_losses=False)
        prompts = self._prompts(keypoint.shape[0], None, names, False, tok_out.ids)
        soft = self._soft_tokens(tok_out)
        texts: Optional[List[str]] = None
        if self.predict_mode in ("trie", "score"):
            top_k = self.score_top_k if self.predict_mode == "trie" and clips == 1 else None
            scores = self.head.score_classes(prompts, soft, names, top_k=top_k).float().cpu()
            scores = scores.view(b, clips, -1).mean(1)
        else:
            texts = self.head.generate(prompts, soft, max_new_tokens=self.max_new_tokens)
            scores = torch.full((b * clips, len(names)), -1e4)
            for i, t in enumerate(texts):
                scores[i, match_class(t, names)] = 0.0
            scores = scores.view(b, clips, -1).mean(1)
            texts = texts[::clips]
        results = []
        for i in range(b):
            gt = int(labels[i])
            r = dict(pred_scores=scores[i], pred_label=int(scores[i].argmax()), gt_label=gt)
            if texts is not None:
                r["pred_text"] = texts[i]
                r["gt_text"] = names[gt] if 0 <= gt < len(names) else ""
            results.append(r)
        return results

    # ------------------------------------------------------------------ inference
    inference_score_kind = "loglik"

    def inference_class_names(self, cfg: Any) -> List[str]:
        return list(self.eval_class_names)

    def after_checkpoint_load(self) -> None:
        self.on_stage_start()  # a no-op once the checkpoint's vocabulary tokens are in

    def run_inference(self, prepared: Any, ctx: Any) -> InferenceOutput:
        """Class scores plus the action sentence (code ids) and how often each code was
        used in stage-1 training (``codebook_usage.json`` of the work dir, if present)."""
        if self.train_stage != "llm":
            raise ConfigError("inference needs a stage-2 ('llm') LLM-AR model; this one is a "
                              "stage-1 tokenizer")
        keypoint = prepared.batch["keypoint"]
        ids = self.tokenizer(keypoint.flatten(0, 1) if keypoint.dim() == 6 else keypoint,
                             compute_losses=False).ids
        codes = None if ids is None else [int(i) for i in ids[0].reshape(-1)]
        mode = "generating" if self.predict_mode == "generate" else "scoring"
        ctx.step(f"{mode} {len(self.eval_class_names)} class names with the LLM")
        out = self.predict(keypoint)[0]
        extras: Dict[str, Any] = {}
        usage = _codebook_usage(ctx.work_dir)
        if codes is not None and usage is not None:
            total = max(1.0, float(sum(usage)))
            extras["code_usage"] = [float(usage[c]) / total if c < len(usage) else 0.0 for c in codes]
        if codes is not None:
            extras["num_codes"] = int(getattr(self.tokenizer, "num_codes", max(codes) + 1))
        return InferenceOutput(scores=out["pred_scores"], score_kind=self.inference_score_kind,
                               text=out.get("pred_text"), code_ids=codes, extras=extras)

    # ------------------------------------------------------------------ export
    def save_adapter(self, directory: str):
        """Export the stage-2 LLM adaptation (PEFT format for LoRA)."""
        return self.head.save_adapter(directory)

    @classmethod
    def tiny(cls, **overrides: Any) -> "LLMARRecognizer":
        """Tiny random LLM + tiny tokenizer (tests)."""
        kw: Dict[str, Any] = dict(
            tokenizer=dict(type="HyperbolicVQTokenizer", in_channels=2 * 25 * 3, num_codes=16,
                           hidden=32, depth=1),
            llm=dict(model=dict(tiny=True, hidden_size=64, num_layers=2, num_heads=4),
                     lora=dict(r=4, alpha=8, dropout=0.0, target_modules=["q_proj", "v_proj"])),
            classes=[9, 22, 49, 57])
        kw.update(overrides)
        return cls(**kw)


def _codebook_usage(work_dir: Optional[str]) -> Optional[List[float]]:
    """Stage-1 code counts written by ``CodebookUsageHook`` (``None`` if absent)."""
    import json
    from pathlib import Path

    if not work_dir:
        return None
    for path in sorted(Path(work_dir).glob("**/codebook_usage.json")):
        try:
            return [float(c) for c in json.loads(path.read_text())["counts"]]
        except (OSError, ValueError, KeyError):
            continue
    return None


__all__ = ["LLMARRecognizer", "PROMPT", "CANDIDATE_PROMPT", "class_names_for", "match_class",
           "freeze_as_buffers"]
