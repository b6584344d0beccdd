"""Class scoring through the class names' token trie vs the exhaustive reference.

Real models only: the tiny random LLaMA (LoRA perturbed) and, when its offline
cache is there, SmolLM2-135M. ``method='trie'`` without ``top_k`` must give the
exhaustive scores to float tolerance; with ``top_k=k`` the top-``k`` ranks must be
those of exhaustive scoring and every other entry an upper bound below them.
"""
import pytest
import torch

from hhir_core.data.ntu_classes import ntu120_classes
from hhir_core.llm import scoring
from reference import score_classes_naive

from .conftest import PROMPT

# shared prefixes ("put on a ..."), a name that is a prefix of another, one-token names
NAMES = ["put on a hat", "put on a shoe", "put on", "punching", "hugging", "walking",
         "walking towards each other", "a"]


def _prompts(head, B=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    prompts = [PROMPT, "<tokens> short", "Which action? <tokens>", PROMPT + " Answer:"][:B]
    soft = [torch.randn(n, head.embed_dim, generator=g) for n in (3, 5, 1, 2)[:B]]
    return prompts, {"tokens": soft}


def _check_top_k(exhaustive, scores, exact, k):
    """Top-k ranks equal the reference; bounds lie above the true score and below the k-th."""
    assert torch.equal(exhaustive.topk(k).indices, scores.topk(k).indices)
    assert torch.allclose(scores[exact], exhaustive[exact], atol=1e-4)
    kth = exhaustive.topk(k).values[:, -1:].expand_as(scores)
    assert bool((scores[~exact] >= exhaustive[~exact] - 1e-4).all())
    assert bool((scores[~exact] <= kth[~exact] + 1e-4).all())


@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_trie_equals_exhaustive_and_naive(head, reduction):
    prompts, soft = _prompts(head)
    ref = head.score_classes(prompts, soft, NAMES, reduction=reduction, method="exhaustive")
    trie = head.score_classes(prompts, soft, NAMES, reduction=reduction)
    naive = score_classes_naive(head, prompts, soft, NAMES, reduction=reduction)
    assert trie.shape == (4, len(NAMES))
    assert torch.allclose(trie, ref, atol=1e-4), (trie - ref).abs().max()
    assert torch.allclose(trie, naive, atol=1e-4), (trie - naive).abs().max()


def test_trie_runs_shared_prefixes_once(head):
    """One prompt pass + one tree pass, whose queries are the distinct proper prefixes."""
    prompts, soft = _prompts(head, B=2)
    cands = head.candidate_ids(NAMES)
    trie = scoring._Trie(cands)
    internal = sum(bool(c) for c in trie.children)
    assert internal < sum(len(c) - 1 for c in cands)  # the names share prefixes
    seen = []
    hook = head.llm.get_base_model().model.register_forward_hook(
        lambda m, i, o: seen.append(o.last_hidden_state.shape[1]))
    try:
        head.score_classes(prompts, soft, NAMES)
    finally:
        hook.remove()
    assert len(seen) == 2 and seen[1] == internal


@pytest.mark.parametrize("k", [1, 3, 5])
@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_top_k_search_is_exact_on_ntu120(head, k, reduction):
    names = ntu120_classes()
    prompts, soft = _prompts(head)
    ref = head.score_classes(prompts, soft, names, reduction=reduction, method="exhaustive")
    batch = head._prompt_batch(prompts, soft)
    scores, exact = scoring.score_candidates_trie(
        head.llm, batch, head.candidate_ids(names), head.embed_ids, head.prompts.pad_id,
        reduction, top_k=k, return_exact=True)
    _check_top_k(ref, scores, exact, k)
    if reduction == "sum":  # the bounds prune: far from every name is scored in full
        assert exact.float().mean() < 0.5
    # the public entry point gives the same
    assert torch.equal(head.score_classes(prompts, soft, names, reduction=reduction, top_k=k),
                       scores)


def test_top_k_at_least_the_class_count_scores_everything(head):
    prompts, soft = _prompts(head, B=2)
    ref = head.score_classes(prompts, soft, NAMES, method="exhaustive")
    out = head.score_classes(prompts, soft, NAMES, top_k=len(NAMES) + 3)
    assert torch.allclose(out, ref, atol=1e-4)


def test_bad_arguments(head):
    from hhir_core.errors import HHIRError

    prompts, soft = _prompts(head, B=1)
    with pytest.raises(HHIRError, match="method"):
        head.score_classes(prompts, soft, NAMES, method="beam")
    with pytest.raises(HHIRError, match="top_k"):
        head.score_classes(prompts, soft, NAMES, method="exhaustive", top_k=2)
    with pytest.raises(ValueError, match="top_k"):
        head.score_classes(prompts, soft, NAMES, top_k=0)


@pytest.fixture(scope="module")
def smollm2_head():
    from hhir_core.llm import CausalLMHead, loading

    try:
        entry = loading._cache_dir_for(loading.smollm2_gguf_path(), "dequant")
    except loading.ModelNotFoundError as exc:
        pytest.skip(str(exc))
    if not (entry / ".complete").is_file():
        pytest.skip("SmolLM2 not de-quantised yet on this machine (any _mini config does it)")
    return CausalLMHead(model="smollm2").eval()


def test_trie_matches_exhaustive_on_smollm2(smollm2_head):
    """The real LLM-AR head (SmolLM2-135M): NTU-120 names after the LLM-AR prompt."""
    head = smollm2_head
    names = ntu120_classes()
    prompts, soft = _prompts(head, B=2)
    soft = {"tokens": [t * 0.02 for t in soft["tokens"]]}  # word-embedding scale
    ref = head.score_classes(prompts, soft, names, method="exhaustive")
    full = head.score_classes(prompts, soft, names)
    assert torch.allclose(full, ref, atol=2e-3), (full - ref).abs().max()
    batch = head._prompt_batch(prompts, soft)
    scores, exact = scoring.score_candidates_trie(
        head.llm, batch, head.candidate_ids(names), head.embed_ids, head.prompts.pad_id,
        top_k=5, return_exact=True)
    _check_top_k(ref, scores, exact, 5)
