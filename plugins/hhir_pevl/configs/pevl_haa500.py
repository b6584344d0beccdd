# PeVL on HAA500 (paper top-1 84.3 with ViT-B/16, 84.7 with ViT-L/14). Same method and
# schedule as pevl_diving48.py; only the data differ.
# Data (not shipped): HAA500 clips in data/haa500/clips/<name>.mp4, the class list
# haa500_classes.txt (one name per line, label order) and 2-D poses from
# tools/data/extract_poses.py into data/haa500/annotations/haa500_{train,test}_pose.pkl.
# Without the data: configs/pevl_synthetic_mini.py.
_base_ = ['./pevl_diving48.py']

data_root = 'data/haa500'
ann_root = data_root + '/annotations'
missing_hint = ('HAA500 is not installed: see the header of configs/pevl_haa500.py; or run the '
                'offline configs/pevl_synthetic_mini.py.')
model = dict(class_names=ann_root + '/haa500_classes.txt')
_paths = dict(video_dir=data_root + '/clips', missing_hint=missing_hint)
train_dataloader = dict(dataset=dict(_paths, ann_file=ann_root + '/haa500_train_pose.pkl'))
val_dataloader = dict(dataset=dict(_paths, ann_file=ann_root + '/haa500_test_pose.pkl'))
test_dataloader = dict(dataset=dict(_paths, ann_file=ann_root + '/haa500_test_pose.pkl'))

# Model-zoo metadata (hhir zoo, docs/model_zoo.md).
metadata = dict(dataset='HAA500', protocol='official split, ViT-B/16', table='main comparison table (HAA500)', reported=dict(_delete_=True, top1=84.3))
