# OV-HHIR comparison baseline, VideoLLaMA-2-with-LoRA-style ANALOGUE built from hhir components.
# This is NOT VideoLLaMA-2: none of its code or weights are used (VideoLLaMA-2 also replaces the
# Video Q-Former with a spatial-temporal convolution connector, which hhir does not have). It is
# configs/ablations/ov_hhir/videollama_analogue.py (one whole-video branch, no person branches)
# with LoRA adapters trained on the LLM, the one difference from that config.
#
#   python tools/train.py configs/ablations/ov_hhir/videollama_analogue_lora.py
#
# LoRA settings (our choice; VideoLLaMA-2's own values are not recorded here): r=64, alpha=16,
# dropout 0.05 on the attention query/value projections, the values of this zoo's LLM-AR paper
# config. The description classifier is the same LLM (model.classifier_head=None), so here it
# carries the adapters too; the cosine metric does not depend on it. For a classifier identical
# to the frozen-LLM rows, set model.classifier_head to a frozen CausalLMHead of the same model
# (a second copy of the LLM in memory).
#
# No paper number: the paper's VideoLLaMA-2 + LoRA row is the original model, not this analogue.
_base_ = ['./videollama_analogue.py']

lora = dict(r=64, alpha=16, dropout=0.05, target_modules=['q_proj', 'v_proj'])
model = dict(language_head=dict(lora=dict(lora, _delete_=True), freeze=True))

# Model-zoo metadata (hhir zoo, docs/model_zoo.md).
metadata = dict(protocol='generated vs reference descriptions (cosine, mean and std); baseline: one whole-video branch, LoRA on the LLM (a VideoLLaMA-2-with-LoRA-style analogue built from hhir components)', reported_note='no paper number: the paper compares the original VideoLLaMA-2 with LoRA, not this analogue')
