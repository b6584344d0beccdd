# LLM-AR ablation: without the MMD loss between the codebook and the LLM's word embeddings.
_base_ = ['../llm_ar_ntu120.py']

model = dict(tokenizer=dict(loss_weights=dict(mmd=0.0)))

# Model-zoo metadata (hhir zoo, docs/model_zoo.md).
metadata = dict(reported=dict(_delete_=True))  # the paper gives no per-ablation numbers
