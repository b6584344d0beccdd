# LLM-AR ablation: Euclidean instead of hyperbolic (Poincaré-ball) codebook.
_base_ = ['../../llm_ar_ntu120.py']

model = dict(tokenizer=dict(type='EuclideanVQTokenizer'))
