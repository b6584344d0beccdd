# NTU RGB+D 120, cross-subject, 3-D joints: the data half of mmaction2's
# stgcn_8xb16-joint-u100-80e_ntu120-xsub-keypoint-3d, on hhir's NTUSkeletonDataset
# (packed, memory-mapped copy of the pickle made on first use; see docs/data.md).
# Get the file: convert the raw .skeleton files with tools/data/ntu_skeleton_to_pkl.py,
# or use mmaction2's ntu120_3d.pkl (same format). Without it, run the *_mini configs.
dataset_type = 'NTUSkeletonDataset'
data_root = '{{ fileDirname }}/../../../../data/ntu120'  # <checkout>/data/ntu120; --data DIR replaces it
ann_file = data_root + '/ntu120_3danno.pkl'

# NormalizeSkeleton3D(center_joint=1, scale=False) == mmaction2's PreNormalize3D
train_pipeline = [
    dict(type='NormalizeSkeleton3D', center_joint=1, scale=False),
    dict(type='SkeletonFeatures', layout='nturgb+d', feats=['j']),
    dict(type='UniformSampleFrames', clip_len=100),
    dict(type='PadPersons', num_person=2),
    dict(type='PackSkeletonInputs'),
]
val_pipeline = [
    dict(type='NormalizeSkeleton3D', center_joint=1, scale=False),
    dict(type='SkeletonFeatures', layout='nturgb+d', feats=['j']),
    dict(type='UniformSampleFrames', clip_len=100, num_clips=1, test_mode=True),
    dict(type='PadPersons', num_person=2),
    dict(type='PackSkeletonInputs'),
]
test_pipeline = [
    dict(type='NormalizeSkeleton3D', center_joint=1, scale=False),
    dict(type='SkeletonFeatures', layout='nturgb+d', feats=['j']),
    dict(type='UniformSampleFrames', clip_len=100, num_clips=10, test_mode=True),
    dict(type='PadPersons', num_person=2),
    dict(type='PackSkeletonInputs'),
]

train_dataloader = dict(
    batch_size=16,  # per GPU; the paper-faithful setting is 8 GPUs x 16
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type=dataset_type, ann_file=ann_file, split='xsub_train',
                 pipeline=train_pipeline, on_bad_sample='skip'))
val_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type=dataset_type, ann_file=ann_file, split='xsub_val',
                 pipeline=val_pipeline, test_mode=True, on_bad_sample='skip'))
test_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type=dataset_type, ann_file=ann_file, split='xsub_val',
                 pipeline=test_pipeline, test_mode=True, on_bad_sample='skip'))

val_evaluator = [dict(type='ClassificationMetric', topk=(1, 5))]
test_evaluator = val_evaluator
