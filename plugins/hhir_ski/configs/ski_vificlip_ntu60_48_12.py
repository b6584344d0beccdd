# SKI-ViFiCLIP, NTU RGB+D 60 zero-shot 48 seen / 12 unseen (paper top-1 on unseen: 52.0;
# ViFiCLIP 48.2; SkeletonCLIP 35.1). alpha = 0.01 for NTU60 (paper).
_base_ = ['./ski_vificlip_ntu60_55_5.py']

zero_shot = 'ntu60_48_12'
seen_classes = 'seen:ntu60_48_12'
unseen_classes = 'unseen:ntu60_48_12'

model = dict(train_classes=seen_classes, test_classes=unseen_classes)
train_dataloader = dict(dataset=dict(classes=seen_classes))
val_dataloader = dict(dataset=dict(classes=unseen_classes))
test_dataloader = val_dataloader

# Model-zoo metadata (hhir zoo, docs/model_zoo.md): the paper's reported numbers.
metadata = dict(_delete_=True, method='SKI', setting='paper', table='zero-shot comparison table (SKI-ViFiCLIP row)', paper='SKI Models: Skeleton Induced Vision-Language Embeddings for Understanding Activities of Daily Living, AAAI 2025', dataset='NTU RGB+D 60', protocol='zero-shot 48/12 (unseen classes)', reported=dict(top1=52.0))
