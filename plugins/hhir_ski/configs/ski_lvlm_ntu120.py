# SKI-LVLM at the paper's sizes: frozen plain CLIP ViT-L/14 video features (F_v = 1024;
# 100 frames -> 100 temporal + 256 spatial = 356 video tokens), 256 per-time skeleton tokens
# from the SkeletonCLIP encoder of an SKI run, both projected into a frozen LLM and trained
# with the autoregressive loss on instruction data (3 epochs, batch 32, lr 2e-5). At inference
# the prompt carries the video tokens only.
#
#   python tools/train.py configs/ski_lvlm_ntu120.py \
#       --cfg-options model.encoders_from=WORK_DIR/skeleton_clip/epoch_100.pth
# (WORK_DIR: an SKI run whose SkeletonCLIP has the skeleton encoder below; only that encoder is
# loaded, the video features come from the plain, not fine-tuned, CLIP: video_weights='pretrained').
# The encoder here reads 256 frames with temporal_stride 1 (one token per frame); the SKI
# paper configs read 64 frames with stride 4, so their checkpoint does not fit it (the load
# stops with a shape error): train the SkeletonCLIP with this encoder shape first.
# needs NTU120 with one description per sample (with_description=True, see docs/ski.md);
# configs/ski_lvlm_mini.py runs the same model offline on synthetic data.
_base_ = ['hhir_core::_base_/default_runtime.py']

clip_id = 'openai/clip-vit-large-patch14'   # plain CLIP ViT-L/14, 224 px: 16 x 16 = 256 patches
llm_id = 'lmsys/vicuna-7b-v1.1'             # the LLaVA-family LLM; a hub id or a local directory
num_frames = 100                            # 100 temporal video tokens
skeleton_len = 256                          # 256 skeleton tokens (temporal_stride 1)
data_root = 'data/ntu120'
instruction = 'Describe the action in the video.'

model = dict(
    type='SKILVLM',
    video_encoder=dict(type='CLIPFrameEncoder', model=clip_id, freeze=True,
                       tokens='spatiotemporal'),
    video_weights='pretrained',
    skeleton_encoder=dict(type='GraphAttentionSkeletonEncoder', in_channels=3, embed_dim=216,
                          depth=6, heads=8, temporal_stride=1, max_frames=skeleton_len),
    llm=dict(type='CausalLMHead', model=llm_id, lora=None, freeze=True),
    # the paper's template: instruction, then the video tokens, then the skeleton tokens
    prompt='USER: ' + instruction + ' <video> <skeleton> ASSISTANT:',
    inference_prompt='USER: ' + instruction + ' <video> ASSISTANT:',
    max_new_tokens=64,
)
train_dataloader = dict(
    batch_size=32, num_workers=4, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='VideoSkeletonDataset', ann_file=data_root + '/ntu120_3danno.pkl',
                 video_dir=data_root + '/nturgb+d_rgb', split='xsub_train',
                 num_frames=num_frames, frame_size=224, with_description=True,
                 pipeline=[dict(type='NormalizeSkeleton3D'),
                           dict(type='UniformSampleFrames', clip_len=skeleton_len),
                           dict(type='PadPersons', num_person=2),
                           dict(type='PackSkeletonInputs')]))
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=3, val_interval=3)
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=2e-5, weight_decay=0.0))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=3, by_epoch=True,
                        convert_to_iter_based=True, eta_min=0.0)]

# Model-zoo metadata (hhir zoo, docs/model_zoo.md).
metadata = dict(_delete_=True, method='SKI', setting='paper', paper='SKI Models: Skeleton Induced Vision-Language Embeddings for Understanding Activities of Daily Living, AAAI 2025', dataset='NTU RGB+D 120 (with descriptions)', protocol='SKI-LVLM instruction tuning', table='', reported=dict(), reported_note='the paper evaluates SKI-LVLM by language-based scores; no number is transcribed in this zoo')
