# PeVL ablation: without V2P (paper 90.4)
# Inherits configs/pevl_synthetic_mini.py and changes one thing. On real data apply the same
# key to a paper config, e.g. --cfg-options model.use_v2p=False
_base_ = ['../pevl_synthetic_mini.py']

model = dict(use_v2p=False)

# Model-zoo metadata: the paper's numbers (inherited) are shown beside the numbers measured here.
metadata = dict(reported=dict(_delete_=True, top1=90.4))  # paper ablation, Diving48 ViT-B/16
