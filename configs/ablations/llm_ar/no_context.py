# LLM-AR ablation: without the context-sensitivity (paired codes) loss.
_base_ = ['../../llm_ar_ntu120.py']

model = dict(tokenizer=dict(loss_weights=dict(context=0.0)))
