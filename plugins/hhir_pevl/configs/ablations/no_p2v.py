# PeVL ablation: without P2V (paper 91.1)
# Inherits configs/pevl_synthetic_mini.py and changes one thing. On real data apply the same
# key to a paper config, e.g. --cfg-options model.use_p2v=False
_base_ = ['../pevl_synthetic_mini.py']

model = dict(use_p2v=False)

# Model-zoo metadata: the paper's numbers (inherited) are shown beside the numbers measured here.
metadata = dict(setting='mini', reported=dict(_delete_=True))  # a mini ablation: the paper's Diving48 numbers sit on configs/ablations/pevl/diving48_*.py
