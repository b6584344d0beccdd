# PeVL on FineGym Gym99 (paper-faithful; paper top-1 96.5 with ViT-B/16). Same method and
# schedule as configs/pevl_diving48.py; only the data differ.
# Data (not shipped): FineGym element-level clips (https://sdolivia.github.io/FineGym/) cut into
# data/finegym/clips/<id>.mp4, the class list gym99_categories.txt (one name per line, label
# order), and 2-D poses from tools/data/extract_poses.py into
# data/finegym/annotations/gym99_{train,val}_pose.pkl (labels from gym99_{train,val}_element_v1.1.txt
# converted to JSON {clip_id: label}). Without the data: configs/pevl_synthetic_mini.py.
_base_ = ['./pevl_diving48.py']

data_root = 'data/finegym'
ann_root = data_root + '/annotations'
missing_hint = ('FineGym (Gym99) is not installed: see docs/pevl.md ("FineGym"); or run the offline '
                'configs/pevl_synthetic_mini.py.')
model = dict(class_names=ann_root + '/gym99_categories.txt')
_paths = dict(video_dir=data_root + '/clips', missing_hint=missing_hint)
train_dataloader = dict(dataset=dict(_paths, ann_file=ann_root + '/gym99_train_pose.pkl'))
val_dataloader = dict(dataset=dict(_paths, ann_file=ann_root + '/gym99_val_pose.pkl'))
test_dataloader = dict(dataset=dict(_paths, ann_file=ann_root + '/gym99_val_pose.pkl'))

# Model-zoo metadata (hhir zoo, docs/model_zoo.md): the paper's reported numbers.
metadata = dict(_delete_=True, method='PeVL', paper='PeVL: Pose-Enhanced Vision-Language Model for Fine-Grained Human Action Recognition, CVPR 2024', dataset='FineGym Gym99', protocol='ViT-B/16', setting='paper', table='main comparison table (FineGym Gym99)', reported=dict(top1=96.5))
