"""The OV-HHIR recognizer: three Video Q-Former branches feeding a frozen causal LM.

Training: the HHIRChat conversation's placeholders ``<p1> <p2> <bg>`` are replaced by
each branch's ``num_queries`` soft tokens; cross-entropy on the gpt answers only (the
core's :meth:`CausalLMHead.chat_loss`). Only the Q-Formers (queries, frame position
embeddings) and the projections train.

Prediction: the first question is asked with the branches' tokens and the generated
description is returned; a prompt-engineered classifier (a frozen LLM, text only) maps
the description to one of the candidate classes by scoring every candidate name. The
candidates of a sample are its source dataset's own classes when ``class_sources`` says
which those are (the paper's per-dataset Table III), and every class for samples of a
held-out class (the open-vocabulary test: a new interaction among all known + new classes).
``compare_text_only=True`` also generates the text-only baseline's description in the same
pass (the same frozen LLM given only the words "person 1", "person 2", "the scene": with no
branches it has nothing to train), so both are scored on the same samples.
"""
from __future__ import annotations

import json
from typing import Any, Dict, List, Mapping, Optional, Sequence

import torch
from mmengine.model import BaseModel
from torch import nn

from hhir_core.apis.recognizer import InferenceOutput, InferenceRecognizer, PreparedInput, eval_dataset_cfg
from hhir_core.errors import ConfigError
from hhir_core.interfaces import BranchEncoder, CausalLM, Slot, expect_contract, require
from hhir_core.registry import build

BRANCH_WORDS = {"p1": "person 1", "p2": "person 2", "bg": "the scene", "video": "the video"}
#: the branch sets a model may use: the paper's person branches (with or without the
#: background), or one whole-video branch (the VideoLLaMA-style analogue configs)
WHOLE_VIDEO = ("video",)
#: ``classifier`` values: how a description is mapped to a class
CLASSIFIERS = ("llm", "embedding")
CLASSIFIER_PROMPT = ("Here is a description of a video of two people: \"{description}\"\n"
                     "Which of these interactions does it describe: {classes}?\n"
                     "Answer with the interaction name.\nAnswer:")


def text_only_turns(turns: Sequence[Mapping[str, str]]) -> List[Dict[str, str]]:
    """The conversation with every placeholder replaced by plain words (the text-only baseline)."""
    out = []
    for t in turns:
        v = t["value"]
        for k, w in BRANCH_WORDS.items():
            v = v.replace(f"<{k}>", w)
        out.append({"from": t["from"], "value": v})
    return out


class OVHHIRRecognizer(InferenceRecognizer, BaseModel):
    """Args:
        language_head: a ``language_head`` config (``CausalLMHead``; frozen, no LoRA in the paper).
        branch: ``VideoQFormerBranch`` kwargs shared by the branches (``llm_dim`` is set from the LLM).
        branch_overrides: per-branch overrides, e.g. ``dict(bg=dict(frame_encoder=dict(kind='vit')))``.
        branches: streams used; drop ``'bg'`` to run without the background branch;
            ``('video',)`` is one branch over the whole, unsegmented clip (no person branches),
            whose soft tokens go before the first question when it has no ``<video>``
            placeholder (the VideoLLaMA-style analogue configs).
        class_names: candidate class names, index = dataset label (seen + held-out classes).
        held_out: labels never seen in training (open-vocabulary protocol).
        max_new_tokens: generation length of a description.
        classifier_prompt: template with ``{description}`` and ``{classes}``.
        compare_text_only: also produce the text-only baseline's description at prediction time.
        llm_layers: keep only the LLM's first ``n`` decoder blocks (CPU-sized mini runs; ``None`` = all).
        classifier_head: a separate (frozen) ``language_head`` config for the description
            classifier; ``None`` uses the description LLM. The mini config truncates the
            describing LLM for speed but classifies with the whole SmolLM2.
        classifier: ``'llm'`` (the paper: the frozen LLM scores each candidate name after
            ``classifier_prompt``) or ``'embedding'`` (cosine between the sentence embeddings,
            ``classifier_text_model``, of the description and of ``classifier_template``
            filled with each name). The mini config uses ``'embedding'``: SmolLM2-135M as the
            LLM classifier puts all 44 *reference* descriptions of the synthetic val set in
            one class (top-1 9 %), MiniLM gets 95 % of them right (docs/ov_hhir.md).
        class_sources: ``{source dataset: [label, ...]}``; a seen-class sample of a listed
            source is classified among that source's labels only. ``None``: every sample
            among all ``class_names``. Samples of ``held_out`` labels always get all names.
    """

    #: the swappable sub-components (``hhir components --slots``); the segmenter cuts the
    #: person/background branch clips the dataset reads
    slots = (
        Slot("model.language_head", "language_head", "CausalLM",
             uses=("chat_loss: training", "truncate_layers: llm_layers")),
        Slot("model.classifier_head", "language_head", "CausalLM"),
        Slot("model.branch", "branch_encoder", "BranchEncoder", input_kind="frames",
             injected=("llm_dim",)),
        Slot("segmenter", "segmenter", "Segmenter",
             where="tools/data/split_branches.py --segmenter, build_hhirchat.py, infer.py"),
    )

    def __init__(self, language_head: Mapping[str, Any], branch: Optional[Mapping[str, Any]] = None,
                 branch_overrides: Optional[Mapping[str, Mapping[str, Any]]] = None,
                 branches: Sequence[str] = ("p1", "p2", "bg"),
                 class_names: Sequence[str] = (), held_out: Sequence[int] = (), max_new_tokens: int = 32,
                 classifier_prompt: str = CLASSIFIER_PROMPT,
                 compare_text_only: bool = False, llm_layers: Optional[int] = None,
                 classifier_head: Optional[Mapping[str, Any]] = None,
                 class_sources: Optional[Mapping[str, Sequence[int]]] = None,
                 classifier: str = "llm", classifier_text_model: str = "minilm",
                 classifier_template: str = "Two people: {}.",
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        bad_held_out = [int(c) for c in held_out if not 0 <= int(c) < len(class_names)]
        if bad_held_out:  # checked before the LLM loads: the open-vocabulary test needs their names
            raise ConfigError(f"model.held_out labels {bad_held_out} are not indices into the "
                              f"{len(class_names)} model.class_names (the held-out classes must be "
                              "classifier candidates; fill class_names from classes.json)")
        self.head = expect_contract(build("language_head", dict(language_head)), CausalLM,
                                    "model.language_head")
        require(self.head, "chat_loss", "model.language_head")
        if llm_layers:
            require(self.head, "truncate_layers", "model.language_head (model.llm_layers)")
            self.head.truncate_layers(int(llm_layers))
        self.classifier_head = expect_contract(build("language_head", dict(classifier_head)), CausalLM,
                                               "model.classifier_head") if classifier_head else None
        if self.classifier_head is not None:
            shared = {id(p) for p in self.head.parameters()} & \
                {id(p) for p in self.classifier_head.parameters()}
            if shared:
                raise ConfigError("model.classifier_head shares the LLM instance of model.language_head")
            for p in self.classifier_head.parameters():
                p.requires_grad_(False)
        self.branch_names = tuple(branches)
        if self.branch_names != WHOLE_VIDEO and not (
                {"p1", "p2"} <= set(self.branch_names) <= {"p1", "p2", "bg"}):
            raise ConfigError(f"model.branches must contain 'p1' and 'p2' (optionally 'bg'), or be "
                              f"('video',) alone (got {list(branches)}); the baseline without branches "
                              "is model.compare_text_only=True")
        self.branches = nn.ModuleDict()
        for name in self.branch_names:
            cfg = dict(type="VideoQFormerBranch", **dict(branch or {}))
            cfg.update(dict((branch_overrides or {}).get(name, {})))
            cfg["llm_dim"] = self.head.embed_dim
            self.branches[name] = expect_contract(build("branch_encoder", cfg), BranchEncoder,
                                                  f"model.branch ({name})")
        self.class_names = list(class_names)
        self.held_out = sorted(int(c) for c in held_out)
        self.max_new_tokens = int(max_new_tokens)
        self.classifier_prompt = classifier_prompt
        self.compare_text_only = bool(compare_text_only)
        self.frozen_state_prefixes = ["head." + p for p in self.head.frozen_state_prefixes] \
            + ["classifier_head."] + [f"branches.{n}.{p}" for n, enc in self.branches.items()
                                      for p in enc.frozen_state_prefixes]
        if classifier not in CLASSIFIERS:
            raise ConfigError(f"model.classifier={classifier!r}; valid: {', '.join(CLASSIFIERS)}")
        if classifier == "embedding" and classifier_head:
            raise ConfigError("model.classifier='embedding' does not use model.classifier_head; set it to None")
        self.classifier = classifier
        self.classifier_text_model = classifier_text_model
        self.classifier_template = classifier_template
        self._sentence_encoder: Any = None
        self.class_sources = {str(k): sorted(int(c) for c in v) for k, v in (class_sources or {}).items()}
        for src, labels in self.class_sources.items():
            bad = [c for c in labels if not 0 <= c < len(self.class_names)]
            if bad or not labels:
                raise ConfigError(f"model.class_sources[{src!r}]: labels {bad or labels} are not indices "
                                  f"into the {len(self.class_names)} class_names")

    # ------------------------------------------------------------------ inference
    inference_inputs = ("video",)
    inference_score_kind = "loglik"
    #: the question asked about an unseen video (the HHIRChat first turn)
    inference_question = "Describe interaction between <p1> and <p2> in <bg>?"

    def inference_class_names(self, cfg: Any) -> List[str]:
        return list(self.class_names)

    def prepare_inference(self, item: Any, ctx: Any) -> PreparedInput:
        """Segment the two people (the context's segmenter, else the config's), cut the three
        branch clips and sample them as the evaluation dataset does."""
        import cv2
        import numpy as np

        from hhir_core.apis.inference import read_clip

        from .branches import branch_frames
        from .hhirchat import frames_to_tensor

        clip = read_clip(item, ctx)
        seg = ctx.build_segmenter()
        ctx.step(f"segmenting two people in {len(clip.frames)} frames with {type(seg).__name__}")
        tracks = seg.segment(clip, num_persons=2)
        data = eval_dataset_cfg(ctx.cfg)
        num_frames, size = int(data.get("num_frames", 16)), tuple(data.get("frame_size", (64, 64)))
        idx = np.linspace(0, len(clip.frames) - 1, num_frames).round().astype(int)
        batch: Dict[str, Any] = {}
        streams = branch_frames(clip, tracks)
        if "video" in self.branch_names:  # the whole clip, unsegmented
            streams["video"] = np.asarray(clip.frames)
        for name, frames in streams.items():
            small = np.stack([cv2.resize(frames[i], (size[1], size[0]), interpolation=cv2.INTER_AREA)
                              for i in idx])
            batch[name] = frames_to_tensor(small)[None]
        turns = [{"from": "human", "value": self.inference_question},
                 {"from": "gpt", "value": "(to be generated)"}]
        batch["conversation"] = [json.dumps(turns)]
        return PreparedInput(batch=batch, extras={"tracks": tracks, "segmenter": type(seg).__name__})

    def run_inference(self, prepared: PreparedInput, ctx: Any) -> InferenceOutput:
        ctx.step("describing the interaction with the LLM")
        text = self.describe(prepared.batch)[0]
        ctx.step(f"classifying the description over {len(self.class_names)} class names")
        scores = self.classify([text])[0].float().cpu()
        return InferenceOutput(scores=scores, score_kind=self.inference_score_kind, text=text)

    # ------------------------------------------------------------------ helpers
    def soft_tokens(self, batch: Mapping[str, Any]) -> Dict[str, torch.Tensor]:
        """``{branch: [B, num_queries, D_llm]}`` for the used branches."""
        return {n: enc(batch[n].to(self.head.device).float()) for n, enc in self.branches.items()}

    def _turns(self, conversation: Sequence[str]) -> List[List[Dict[str, str]]]:
        convs = [json.loads(c) if isinstance(c, str) else list(c) for c in conversation]
        return [self._drop_unused(c) for c in convs]

    def _drop_unused(self, turns: List[Dict[str, str]]) -> List[Dict[str, str]]:
        """Replace placeholders of branches this model does not use (e.g. ``<bg>``) by words; a
        whole-video branch without a ``<video>`` placeholder goes before the first question."""
        unused = [k for k in BRANCH_WORDS if k not in self.branch_names]
        out = []
        for t in turns:
            v = t["value"]
            for k in unused:
                v = v.replace(f"<{k}>", BRANCH_WORDS[k])
            out.append({"from": t["from"], "value": v})
        if "video" in self.branch_names and not any("<video>" in t["value"] for t in out):
            out[0] = {"from": out[0]["from"], "value": "<video>\n" + out[0]["value"]}
        return out

    def candidates(self, source: str, label: int) -> List[int]:
        """Labels a sample of ``source`` with ground truth ``label`` is classified among."""
        if label in self.held_out or source not in self.class_sources:
            return list(range(len(self.class_names)))
        return self.class_sources[source]

    def classify(self, descriptions: Sequence[str], candidates: Optional[Sequence[Sequence[int]]] = None
                 ) -> torch.Tensor:
        """``[B, K]`` classifier scores of each description over :attr:`class_names`.

        ``candidates[i]`` restricts sample ``i`` to those labels (the prompt lists only them;
        the other scores are ``-inf``); ``None`` lists every class for every sample.
        """
        if not self.class_names:
            raise ConfigError("model.class_names is empty: the description classifier needs candidates")
        every = list(range(len(self.class_names)))
        cands = [list(c) for c in candidates] if candidates is not None else [every] * len(descriptions)
        if self.classifier == "embedding":
            return self._embedding_scores(descriptions, cands)
        head = self.classifier_head or self.head
        scores = torch.full((len(descriptions), len(self.class_names)), float("-inf"))
        groups: Dict[tuple, List[int]] = {}
        for i, c in enumerate(cands):
            groups.setdefault(tuple(c), []).append(i)
        for labels, rows in groups.items():
            names = [self.class_names[c] for c in labels]
            prompts = [self.classifier_prompt.format(description=descriptions[i].replace('"', "'") or "(nothing)",
                                                     classes=", ".join(names)) for i in rows]
            # mean per-token log-probability: no bias toward short class names
            part = head.score_classes(prompts, None, names, reduction="mean").float().cpu()
            scores[torch.tensor(rows)[:, None], torch.tensor(labels)[None, :]] = part
        return scores

    def _embedding_scores(self, descriptions: Sequence[str], cands: Sequence[Sequence[int]]) -> torch.Tensor:
        """Cosine of description and class-name sentence embeddings; ``-inf`` outside the candidates."""
        if self._sentence_encoder is None:
            from hhir_core.llm.sentence_similarity import SentenceSimilarity

            self._sentence_encoder = SentenceSimilarity(self.classifier_text_model)
        enc = self._sentence_encoder
        sims = enc.embed([d or "(nothing)" for d in descriptions]) @ \
            enc.embed([self.classifier_template.format(n) for n in self.class_names]).t()
        allowed = torch.zeros_like(sims, dtype=torch.bool)
        for i, c in enumerate(cands):
            allowed[i, list(c)] = True
        return sims.float().cpu().masked_fill(~allowed, float("-inf"))

    # ------------------------------------------------------------------ forward
    def forward(self, mode: str = "loss", **batch: Any):
        if mode == "loss":
            return self.loss(batch)
        if mode == "predict":
            return self.predict(batch)
        raise ConfigError(f"OVHHIRRecognizer.forward: unsupported mode {mode!r} (loss|predict)")

    def loss(self, batch: Mapping[str, Any]) -> Dict[str, torch.Tensor]:
        convs = self._turns(batch["conversation"])
        soft = self.soft_tokens(batch) if self.branches else None
        return self.head.chat_loss(convs, soft)

    @torch.no_grad()
    def describe(self, batch: Mapping[str, Any], text_only: bool = False) -> List[str]:
        """Generated answer to each conversation's first question."""
        convs = [json.loads(c) if isinstance(c, str) else list(c) for c in batch["conversation"]]
        if text_only:
            return self.head.generate([text_only_turns(c[:1]) for c in convs], None, self.max_new_tokens)
        return self.head.generate([self._drop_unused(c[:1]) for c in convs], self.soft_tokens(batch),
                                  self.max_new_tokens)

    @torch.no_grad()
    def predict(self, batch: Mapping[str, Any]) -> List[Dict[str, Any]]:
        texts = self.describe(batch)
        labels = batch.get("label")
        gts = [int(labels[i]) if labels is not None else -1 for i in range(len(texts))]
        sources = list(batch.get("source", ["?"] * len(texts)))
        scores = self.classify(texts, [self.candidates(src, gt) for src, gt in zip(sources, gts)])
        base = self.describe(batch, text_only=True) if self.compare_text_only else None
        out = []
        for i, text in enumerate(texts):
            gt = gts[i]
            rec = dict(pred_text=text, gt_text=batch["reference"][i], pred_scores=scores[i],
                       pred_label=int(scores[i].argmax()), gt_label=gt, source=sources[i],
                       unseen=gt in self.held_out, id=batch.get("id", [""] * len(texts))[i])
            if base is not None:
                rec["pred_text_text_only"] = base[i]
            out.append(rec)
        return out
