# LLM-AR ablation: without the context-sensitivity (paired codes) loss.
_base_ = ['../llm_ar_ntu120.py']

model = dict(tokenizer=dict(loss_weights=dict(context=0.0)))

# Model-zoo metadata (hhir zoo, docs/model_zoo.md).
metadata = dict(reported=dict(_delete_=True))  # the paper gives no per-ablation numbers
