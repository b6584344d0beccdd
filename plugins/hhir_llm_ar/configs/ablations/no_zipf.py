# LLM-AR ablation: without the Zipf (rank-frequency) loss; everything else as the paper.
_base_ = ['../llm_ar_ntu120.py']

model = dict(tokenizer=dict(loss_weights=dict(zipf=0.0)))

# Model-zoo metadata (hhir zoo, docs/model_zoo.md).
metadata = dict(reported=dict(_delete_=True))  # the paper gives no per-ablation numbers
