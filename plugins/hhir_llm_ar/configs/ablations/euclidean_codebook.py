# LLM-AR ablation: Euclidean instead of hyperbolic (Poincaré-ball) codebook.
_base_ = ['../llm_ar_ntu120.py']

model = dict(tokenizer=dict(type='EuclideanVQTokenizer'))

# Model-zoo metadata (hhir zoo, docs/model_zoo.md).
metadata = dict(reported=dict(_delete_=True))  # the paper gives no per-ablation numbers
