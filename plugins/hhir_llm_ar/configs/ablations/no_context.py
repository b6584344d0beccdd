# LLM-AR ablation: without the context-sensitivity (paired codes) loss.
# The paper's ablations are on NTU RGB+D 120 X-Set, so this inherits the X-Set config and
# changes only the ablated part; for a CPU run tools/ablate.py applies the mini config's
# changes on top (its `ablation_base`).
_base_ = ['../llm_ar_ntu120_xset.py']

model = dict(tokenizer=dict(loss_weights=dict(context=0.0)))
# Table 4 (NTU RGB+D 120 X-Set; rows without all bias losses / without Zipf / without context / without MMD give 87.6 / 89.9 / 89.8 / 90.3, full LLM-AR 91.5)

# Model-zoo metadata (hhir zoo, docs/model_zoo.md).
metadata = dict(protocol='X-Set, ablation', table='Table 4', reported=dict(_delete_=True, top1=89.8))
