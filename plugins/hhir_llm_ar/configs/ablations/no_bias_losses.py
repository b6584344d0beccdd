# LLM-AR ablation: without the human-inductive-bias losses (Zipf, context, MMD).
# Inherits the paper-faithful config and changes only that; for a CPU run
# tools/ablate.py applies the mini config's changes on top (its `ablation_base`).
_base_ = ['../llm_ar_ntu120.py']

model = dict(tokenizer=dict(loss_weights=dict(zipf=0.0, context=0.0, mmd=0.0)))

# Model-zoo metadata (hhir zoo, docs/model_zoo.md).
metadata = dict(reported=dict(_delete_=True))  # the paper gives no per-ablation numbers
