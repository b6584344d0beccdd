# SKI-ViFiCLIP, NTU RGB+D 60 zero-shot 55 seen / 5 unseen (paper top-1 on unseen: 82.2;
# ViFiCLIP 79.9). alpha = 0.01 for NTU60 (paper); otherwise as the NTU120 110/10 config.
_base_ = ['./ski_vificlip_ntu120_110_10.py']

zero_shot = 'ntu60_55_5'
seen_classes = 'seen:ntu60_55_5'
unseen_classes = 'unseen:ntu60_55_5'
class_source = 'ntu60'
alpha = 0.01

data_root = 'data/ntu60'
ann_file = data_root + '/ntu60_3danno.pkl'
video_dir = data_root + '/nturgb+d_rgb'

model = dict(train_classes=seen_classes, test_classes=unseen_classes, class_source=class_source,
             distiller=dict(alpha=alpha))
train_dataloader = dict(dataset=dict(classes=seen_classes, ann_file=ann_file, video_dir=video_dir))
val_dataloader = dict(dataset=dict(classes=unseen_classes, ann_file=ann_file, video_dir=video_dir))
test_dataloader = val_dataloader

# Model-zoo metadata (hhir zoo, docs/model_zoo.md): the paper's reported numbers.
metadata = dict(_delete_=True, method='SKI', setting='paper', table='zero-shot comparison table (SKI-ViFiCLIP row)', paper='SKI Models: Skeleton Induced Vision-Language Embeddings for Understanding Activities of Daily Living, AAAI 2025', dataset='NTU RGB+D 60', protocol='zero-shot 55/5 (unseen classes)', reported=dict(top1=82.2))
