# LLM-AR with this plugin's GRUSkeletonTokenizer in the tokenizer slot, on a small
# synthetic NTU-style set, SmolLM2-135M, CPU. Everything but `model.tokenizer` is the
# LLM-AR method as the hhir_llm_ar plugin implements it (two stages: the tokenizer
# learns to reconstruct skeletons, then LoRA tunes the frozen LLM on its tokens).
#
#   python tools/train.py hhir_example_plugin::llm_ar_gru_mini.py
#
# Why it does not `_base_`-inherit LLM-AR's mini config: an installed plugin can only
# rely on what is installed, and LLM-AR's configs live in the hhir source tree, not in
# a package. Every value below mirrors that config except the tokenizer.
requires = ['hhir-example-plugin>=0.1', 'hhir_llm_ar']
default_scope = 'hhir'

# ---------------------------------------------------------------- the swapped component
tokenizer = dict(type='GRUSkeletonTokenizer', in_channels=2 * 25 * 3,
                 llm_dim=576,                  # SmolLM2-135M word-embedding width
                 hidden=64, num_layers=1, stride=4, recon_weight=1.0, mmd_weight=0.1)

# ---------------------------------------------------------------- data (synthetic, no video)
classes = [0, 7, 8, 9, 22, 23, 26, 30, 39, 42, 43, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59]
synthetic = dict(out_dir='data/synthetic_skeleton_mini', num_samples=400, seed=0, render=False)
clip_len = 32               # -> 8 tokens per sample
train_pipeline = [
    dict(type='NormalizeSkeleton3D'),
    dict(type='PadPersons', num_person=2),
    dict(type='UniformSampleFrames', clip_len=clip_len),
    dict(type='RandomRotation', max_angle=10.0, prob=0.5),
    dict(type='PackSkeletonInputs'),
]
val_pipeline = [
    dict(type='NormalizeSkeleton3D'),
    dict(type='PadPersons', num_person=2),
    dict(type='UniformSampleFrames', clip_len=clip_len, test_mode=True),
    dict(type='PackSkeletonInputs'),
]
train_dataloader = dict(
    batch_size=8, num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='NTUSkeletonDataset', ann_file='ntu3d.pkl', synthetic=synthetic,
                 split='xsub_train', classes=classes, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=16, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='NTUSkeletonDataset', ann_file='ntu3d.pkl', synthetic=synthetic,
                 split='xsub_val', classes=classes, pipeline=val_pipeline, test_mode=True))
val_evaluator = dict(type='ClassificationMetric')
val_cfg = dict(type='ValLoop')

# ---------------------------------------------------------------- model
model = dict(
    type='LLMARRecognizer',
    train_stage='llm',
    classes=classes,
    tokenizer=tokenizer,
    llm=dict(model='smollm2', lora=dict(r=8, alpha=16, dropout=0.05,
                                        target_modules=['q_proj', 'v_proj'])),
    prompt='Given a sequence of action tokens <tokens>, please predict the corresponding action.',
    predict_mode='score',
    token_mode='embeds',       # the GRU tokenizer has no codebook: 'vocab' does not apply
    mmd_samples=512,
)

# ---------------------------------------------------------------- schedule
# Both stages read train_cfg.max_iters, so `--cfg-options train_cfg.max_iters=1` shortens both.
train_cfg = dict(type='IterBasedTrainLoop', max_iters=300, val_interval=300)
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.0))
param_scheduler = []
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=20, ignore_last=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=300, by_epoch=False, max_keep_ckpts=1,
                    save_last=True),
    sampler_seed=dict(type='DistSamplerSeedHook'),
)
custom_hooks = [
    dict(type='ProvenanceHook'),
    dict(type='TrainableCheckpointHook'),
    dict(type='MetricsDumpHook'),
    dict(type='LLMARStageHook'),
    dict(type='LoRAExportHook'),
]
env_cfg = dict(cudnn_benchmark=False, dist_cfg=dict(backend='gloo'))
log_processor = dict(type='LogProcessor', window_size=20, by_epoch=False)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0)

stages = [
    dict(name='tokenizer', cfg=dict(
        model=dict(train_stage='tokenizer'),
        optim_wrapper=dict(optimizer=dict(lr=2e-3)),
        val_evaluator=dict(type='VQTokenizerMetric'),   # reconstruction error (no codes here)
    )),
    dict(name='llm', cfg=dict(model=dict(train_stage='llm'))),
]
