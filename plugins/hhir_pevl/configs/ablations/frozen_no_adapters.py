# PeVL ablation: frozen encoders without bottleneck adapters (video and text)
# Inherits configs/pevl_synthetic_mini.py and changes one thing. On real data apply the same
# key to a paper config, e.g. --cfg-options model.video_encoder.adapters=False model.text_adapter=False
_base_ = ['../pevl_synthetic_mini.py']

model = dict(video_encoder=dict(adapters=False), text_adapter=False)

# Model-zoo metadata: the paper's numbers (inherited) are shown beside the numbers measured here.
metadata = dict(reported=dict(_delete_=True))  # the paper reports no number for this variant
