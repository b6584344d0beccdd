# OV-HHIR comparison baseline, VideoLLaMA-style ANALOGUE built from hhir components. This is NOT
# VideoLLaMA: none of its code or weights are used. The paper compares OV-HHIR with VideoLLaMA
# and VideoLLaMA-2, which see the whole video through one visual branch. This config keeps
# everything of configs/ov_hhir_hhirchat.py except the branches:
#   - one branch over the whole, unsegmented clip (model.branches=('video',); the HHIRChat
#     record's `video` path, written by tools/data/build_hhirchat.py), no person or background
#     branches, so the model uses no person masks;
#   - that branch: frozen ViT-B/16 per frame (the paper's background encoder; VideoLLaMA's own
#     image encoder is EVA-CLIP + a BLIP-2 image Q-Former, not available here), frame position
#     embedding, the same Video Q-Former (32 queries) and linear projection;
#   - the same frozen LLaMA-2-13B-chat, the same data, optimiser and classifier.
# Its video tokens go before the HHIRChat question, whose <p1> <p2> <bg> become the words
# "person 1", "person 2", "the scene".
#
#   python tools/train.py configs/ablations/ov_hhir/videollama_analogue.py
#
# No paper number: the paper's VideoLLaMA rows are the original models, not this analogue.
_base_ = ['../ov_hhir_hhirchat.py']

video_frame_size = (224, 224)   # ViT-B/16's input size (the frames are resized to it anyway)

model = dict(
    branches=('video',),
    branch=dict(frame_encoder=dict(_delete_=True, kind='vit', pretrained={{ _base_.scene_encoder }})),
    branch_overrides=dict(_delete_=True),
)
_data = dict(branches=('video',), frame_size=video_frame_size)
train_dataloader = dict(dataset=_data)
val_dataloader = dict(dataset=_data)
test_dataloader = val_dataloader

# Model-zoo metadata (hhir zoo, docs/model_zoo.md).
metadata = dict(protocol='generated vs reference descriptions (cosine, mean and std); baseline: one whole-video branch, frozen LLM (a VideoLLaMA-style analogue built from hhir components)', table='', reported=dict(_delete_=True), reported_note='no paper number: the paper compares the original VideoLLaMA, not this analogue')
