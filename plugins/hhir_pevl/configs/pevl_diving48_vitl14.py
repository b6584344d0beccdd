# PeVL on Diving48 with CLIP ViT-L/14 (paper top-1 92.5; the ViT-B/16 config is
# pevl_diving48.py, 91.9). Only the CLIP model changes: its 24 layers, width 1024, patch 14;
# P2V still follows the last two layers.
_base_ = ['./pevl_diving48.py']

clip_model = 'openai/clip-vit-large-patch14'
model = dict(video_encoder=dict(model=clip_model, p2v_heads=16), text_encoder=dict(model=clip_model))

# Model-zoo metadata (hhir zoo, docs/model_zoo.md).
metadata = dict(protocol='V2 split, ViT-L/14', table='main comparison table (Diving48, ViT-L/14 row)', reported=dict(_delete_=True, top1=92.5))
