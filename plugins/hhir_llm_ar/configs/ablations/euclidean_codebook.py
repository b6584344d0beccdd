# LLM-AR ablation: Euclidean instead of hyperbolic (Poincare-ball) codebook (Table 6, X-Set 89.7).
# The paper's ablations are on NTU RGB+D 120 X-Set, so this inherits the X-Set config and
# changes only the ablated part; for a CPU run tools/ablate.py applies the mini config's
# changes on top (its `ablation_base`).
_base_ = ['../llm_ar_ntu120_xset.py']

model = dict(tokenizer=dict(type='EuclideanVQTokenizer'))

# Model-zoo metadata (hhir zoo, docs/model_zoo.md).
metadata = dict(protocol='X-Set, ablation', table='Table 6', reported=dict(_delete_=True, top1=89.7))
