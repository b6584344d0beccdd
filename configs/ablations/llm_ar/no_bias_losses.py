# LLM-AR ablation: without the human-inductive-bias losses (Zipf, context, MMD).
# Inherits the paper-faithful config and changes only that; mini overrides:
# configs/_base_/llm_ar_mini_overrides.py (tools/ablate.py and the tests apply them on top).
_base_ = ['../../llm_ar_ntu120.py']

model = dict(tokenizer=dict(loss_weights=dict(zipf=0.0, context=0.0, mmd=0.0)))

# Model-zoo metadata (hhir zoo, docs/model_zoo.md).
metadata = dict(reported=dict(_delete_=True))  # DESIGN §3 gives no per-ablation numbers
