# PeVL ablation: without the refinement (NT-Xent) supervision (paper 91.0)
# Inherits configs/pevl_synthetic_mini.py and changes one thing. On real data apply the same
# key to a paper config, e.g. --cfg-options model.use_refinement=False
_base_ = ['../pevl_synthetic_mini.py']

model = dict(use_refinement=False)

# Model-zoo metadata: the paper's numbers (inherited) are shown beside the numbers measured here.
metadata = dict(reported=dict(_delete_=True, top1=91.0))  # paper ablation, Diving48 ViT-B/16
