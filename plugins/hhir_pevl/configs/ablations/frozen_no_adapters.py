# PeVL ablation: all encoders frozen and no bottleneck adapters (video, text; the pose encoder
# frozen too), as the paper's all-frozen row (Diving48 84.9: configs/ablations/pevl/diving48_all_frozen.py).
# Inherits configs/pevl_synthetic_mini.py and changes only that.
_base_ = ['../pevl_synthetic_mini.py']

model = dict(video_encoder=dict(adapters=False), text_adapter=False, freeze_pose_encoder=True)

# Model-zoo metadata (hhir zoo, docs/model_zoo.md).
metadata = dict(setting='mini', reported=dict(_delete_=True))  # a mini ablation: the paper's number sits on diving48_all_frozen
