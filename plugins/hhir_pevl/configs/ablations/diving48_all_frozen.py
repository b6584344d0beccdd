# PeVL paper ablation on Diving48 (ViT-B/16): all encoders frozen, no adapters (video, text and pose).
# Inherits the paper config and changes only that; the CPU version of the same switch is the
# mini ablation next to this file (tools/ablate.py).
_base_ = ['../pevl_diving48.py']

model = dict(video_encoder=dict(adapters=False), pose_encoder=dict(adapters=False), text_adapter=False,
             freeze_pose_encoder=True)

# Model-zoo metadata (hhir zoo, docs/model_zoo.md).
metadata = dict(protocol='V2 split, ViT-B/16, ablation', table='Table 8', reported=dict(_delete_=True, top1=84.9))
