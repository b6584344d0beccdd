# LLM-AR ablation: without the Zipf (rank-frequency) loss; everything else as the paper.
_base_ = ['../../llm_ar_ntu120.py']

model = dict(tokenizer=dict(loss_weights=dict(zipf=0.0)))
