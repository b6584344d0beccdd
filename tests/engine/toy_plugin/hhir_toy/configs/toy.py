_base_ = []
default_scope = 'hhir'
model = dict(type='ToyClassifier', dim=8, num_classes=4)
train_dataloader = dict(batch_size=16, num_workers=0,
                        sampler=dict(type='DefaultSampler', shuffle=True),
                        collate_fn=dict(type='default_collate'),
                        dataset=dict(type='ToyClusterDataset', num_samples=256))
val_dataloader = dict(batch_size=32, num_workers=0,
                      sampler=dict(type='DefaultSampler', shuffle=False),
                      collate_fn=dict(type='default_collate'),
                      dataset=dict(type='ToyClusterDataset', num_samples=128, split='val'))
val_evaluator = dict(type='ToyAccuracy')
train_cfg = dict(type='IterBasedTrainLoop', max_iters=60, val_interval=60)
val_cfg = dict(type='ValLoop')
optim_wrapper = dict(optimizer=dict(type='AdamW', lr=1e-2))
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=10, by_epoch=False,
                                     max_keep_ckpts=2, save_last=True),
                     logger=dict(type='LoggerHook', interval=10))
log_processor = dict(by_epoch=False)
custom_hooks = [dict(type='ProvenanceHook'), dict(type='TrainableCheckpointHook'),
                dict(type='MetricsDumpHook')]
randomness = dict(seed=0)
