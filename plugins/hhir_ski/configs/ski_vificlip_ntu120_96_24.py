# SKI-ViFiCLIP, NTU RGB+D 120 zero-shot 96 seen / 24 unseen (paper top-1 on unseen: 59.3;
# ViFiCLIP 56.6). Same method and hyper-parameters as the 110/10 config; only the split changes.
_base_ = ['./ski_vificlip_ntu120_110_10.py']

zero_shot = 'ntu120_96_24'
seen_classes = 'seen:ntu120_96_24'
unseen_classes = 'unseen:ntu120_96_24'

model = dict(train_classes=seen_classes, test_classes=unseen_classes)
train_dataloader = dict(dataset=dict(classes=seen_classes))
val_dataloader = dict(dataset=dict(classes=unseen_classes))
test_dataloader = val_dataloader

# Model-zoo metadata (hhir zoo, docs/model_zoo.md): the paper's reported numbers.
metadata = dict(_delete_=True, method='SKI', setting='paper', table='zero-shot comparison table (SKI-ViFiCLIP row)', paper='SKI Models: Skeleton Induced Vision-Language Embeddings for Understanding Activities of Daily Living, AAAI 2025', dataset='NTU RGB+D 120', protocol='zero-shot 96/24 (unseen classes)', reported=dict(top1=59.3))
