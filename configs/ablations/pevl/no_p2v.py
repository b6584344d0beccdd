# PeVL ablation (DESIGN §3): without P2V (paper 91.1)
# Inherits configs/pevl_synthetic_mini.py and changes one thing. On real data apply the same
# key to a paper config, e.g. --cfg-options model.use_p2v=False
_base_ = ['../../pevl_synthetic_mini.py']

model = dict(use_p2v=False)
