# LLM-AR ablation: without discretisation — the VQ-VAE encoder's continuous latents go
# straight into the LLM (no codebook, so no VQ and code-usage losses; MMD compares latents
# with the LLM's word embeddings).
_base_ = ['../llm_ar_ntu120.py']

model = dict(tokenizer=dict(type='ContinuousTokenizer'))

# Model-zoo metadata (hhir zoo, docs/model_zoo.md).
metadata = dict(reported=dict(_delete_=True))  # the paper gives no per-ablation numbers
