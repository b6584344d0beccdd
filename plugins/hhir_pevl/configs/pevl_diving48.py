# PeVL on Diving48 (paper-faithful): CLIP ViT-B/16 with bottleneck adapters and
# UCMR, a pose encoder on 2-D COCO-17 poses sharing the video encoder's CLIP layers (with
# its own adapters), CLIP text encoder, SGMC + guided loss.
#   16 video frames, 48 pose frames, AdamW lr 8e-6, weight decay 0.05, 50 epochs,
#   3 warm-up epochs, cosine schedule, lambda_R = 0.1.
# Paper top-1: 91.9 (ViT-B/16).
#
# Data (not shipped): Diving48 V2 videos (http://www.svcl.ucsd.edu/projects/resound/dataset.html)
# in data/diving48/rgb/, the official Diving48_vocab.json and Diving48_V2_{train,test}.json in
# data/diving48/annotations/, and 2-D poses extracted once (the paper used HRNet; see docs/pevl.md):
#   python tools/data/extract_poses.py data/diving48/rgb --pose-source vitpose \
#       --labels data/diving48/annotations/Diving48_V2_train.json \
#       --out data/diving48/annotations/diving48_train_pose.pkl     (and the same for test)
# Without the data, run configs/pevl_synthetic_mini.py (offline, CPU).
_base_ = ['hhir_core::_base_/default_runtime.py']

data_root = 'data/diving48'
ann_root = data_root + '/annotations'
missing_hint = ('Diving48 is not installed: see docs/pevl.md ("Diving48") for the download and '
                'tools/data/extract_poses.py; or run the offline configs/pevl_synthetic_mini.py.')
num_video_frames = 16
num_pose_frames = 48
image_size = 224
layout = 'coco'
num_joints = 17
num_persons = 1
batch_size = 32          # not stated in the paper; a common CLIP-video batch
clip_model = 'openai/clip-vit-base-patch16'
class_names = ann_root + '/Diving48_vocab.json'
coarse_types = None      # Diving48 has a single coarse type; prompts use the label alone

model = dict(
    type='PeVLRecognizer',
    video_encoder=dict(type='CLIPVideoEncoder', model=clip_model, freeze=True, adapters=True,
                       adapter_ratio=0.25, p2v_layers=(-2, -1), p2v_heads=8, p2v_mask_mode='key',
                       p2v_weight_norm='max'),
    # the paper's pose encoder: the joint tokens run through the video encoder's frozen CLIP ViT
    # layers (the same weights, shared, not a copy) with their own trainable adapters
    pose_encoder=dict(type='SharedCLIPPoseEncoder', num_joints=num_joints, num_persons=num_persons,
                      in_channels=3, max_frames=num_pose_frames, adapters=True, adapter_ratio=0.25),
    text_encoder=dict(type='TextEncoderHead', model=clip_model, freeze=True),
    class_names=class_names,
    prompt='{label}, a video of {coarse} action',
    prompt_fallback='{label}',
    use_ucmr=True, use_p2v=True, use_v2p=True, use_refinement=True, v2p_heads=4,
    # S_FW contrasts the words with frame-level *pose* features ('video': the video encoder's
    # per-frame class tokens instead)
    fw_source='pose',
    # P2V's joint weights come from the pose encoder's last layer ('detector': the pose
    # detector's confidences, for a pose encoder whose joints do not match the video keypoints)
    p2v_weights='pose_encoder',
    similarities=('vs', 'ps', 'fw'),
    fw_temperature=0.01,
    guided_loss=True,
    lambda_r=0.1,
    text_adapter=True,
)

_data_common = dict(
    type='VideoPoseDataset', layout=layout, num_persons=num_persons,
    num_video_frames=num_video_frames, num_pose_frames=num_pose_frames, image_size=image_size,
    video_dir=data_root + '/rgb', video_pattern='{frame_dir}.mp4', missing_hint=missing_hint)
train_dataloader = dict(
    batch_size=batch_size, num_workers=8, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True), collate_fn=dict(type='default_collate'),
    dataset=dict(_data_common, ann_file=ann_root + '/diving48_train_pose.pkl', split=None,
                 test_mode=False))
val_dataloader = dict(
    batch_size=batch_size, num_workers=8, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False), collate_fn=dict(type='default_collate'),
    dataset=dict(_data_common, ann_file=ann_root + '/diving48_test_pose.pkl', split=None,
                 test_mode=True))
# three-crop test (optional in the paper's protocol)
test_dataloader = dict(
    batch_size=batch_size // 2, num_workers=8, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False), collate_fn=dict(type='default_collate'),
    dataset=dict(_data_common, ann_file=ann_root + '/diving48_test_pose.pkl', split=None,
                 test_mode=True, num_crops=3))
val_evaluator = dict(type='ClassificationMetric')
test_evaluator = val_evaluator

max_epochs = 50
warmup_epochs = 3
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=8e-6, weight_decay=0.05, betas=(0.9, 0.98), eps=1e-8),
    clip_grad=dict(max_norm=1.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=warmup_epochs,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs, eta_min=0.0, by_epoch=True,
         begin=warmup_epochs, end=max_epochs, convert_to_iter_based=True),
]
default_hooks = dict(checkpoint=dict(save_best='top1', rule='greater'))

# Model-zoo metadata (hhir zoo, docs/model_zoo.md): the paper's reported numbers.
metadata = dict(_delete_=True, method='PeVL', paper='PeVL: Pose-Enhanced Vision-Language Model for Fine-Grained Human Action Recognition, CVPR 2024', dataset='Diving48', protocol='V2 split, ViT-B/16', setting='paper', table='main comparison table (Diving48)', reported=dict(top1=91.9))
