# LLM-AR, NTU RGB+D 120 X-Set (paper top-1 91.5); everything else as llm_ar_ntu120.py (X-Sub).
_base_ = ['./llm_ar_ntu120.py']

train_dataloader = dict(dataset=dict(split='xset_train'))
val_dataloader = dict(dataset=dict(split='xset_val'))

# Model-zoo metadata (hhir zoo, docs/model_zoo.md).
metadata = dict(protocol='X-Set', table='Table 1', reported=dict(_delete_=True, top1=91.5))
