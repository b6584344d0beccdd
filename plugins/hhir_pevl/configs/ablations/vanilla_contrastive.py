# PeVL ablation: vanilla contrastive-KL loss instead of the semantic-content-guided loss (paper 91.4)
# Inherits configs/pevl_synthetic_mini.py and changes one thing. On real data apply the same
# key to a paper config, e.g. --cfg-options model.guided_loss=False
_base_ = ['../pevl_synthetic_mini.py']

model = dict(guided_loss=False)

# Model-zoo metadata: the paper's numbers (inherited) are shown beside the numbers measured here.
metadata = dict(reported=dict(_delete_=True, top1=91.4))  # paper ablation, Diving48 ViT-B/16
