# PeVL ablation: without UCMR (no P2V, no V2P, no refinement loss; paper Diving48 88.9)
# Inherits configs/pevl_synthetic_mini.py and changes one thing. On real data apply the same
# key to a paper config, e.g. --cfg-options model.use_ucmr=False
_base_ = ['../pevl_synthetic_mini.py']

model = dict(use_ucmr=False)

# Model-zoo metadata: the paper's numbers (inherited) are shown beside the numbers measured here.
metadata = dict(reported=dict(_delete_=True, top1=88.9))  # paper ablation, Diving48 ViT-B/16
