# PeVL on FineGym Gym288 (paper-faithful; paper top-1 90.5 with ViT-B/16). As pevl_gym99.py
# with the 288-class element list. Without the data: configs/pevl_synthetic_mini.py.
_base_ = ['./pevl_gym99.py']

missing_hint = ('FineGym (Gym288) is not installed: see docs/pevl.md ("FineGym"); or run the offline '
                'configs/pevl_synthetic_mini.py.')
model = dict(class_names='data/finegym/annotations/gym288_categories.txt')
_paths = dict(missing_hint=missing_hint)
train_dataloader = dict(dataset=dict(_paths, ann_file='data/finegym/annotations/gym288_train_pose.pkl'))
val_dataloader = dict(dataset=dict(_paths, ann_file='data/finegym/annotations/gym288_val_pose.pkl'))
test_dataloader = dict(dataset=dict(_paths, ann_file='data/finegym/annotations/gym288_val_pose.pkl'))

# Model-zoo metadata (hhir zoo, docs/model_zoo.md): the paper's reported numbers.
metadata = dict(_delete_=True, method='PeVL', paper='PeVL: Pose-Enhanced Vision-Language Model for Fine-Grained Human Action Recognition, CVPR 2024', dataset='FineGym Gym288', protocol='ViT-B/16', setting='paper', table='main comparison table (FineGym Gym288)', reported=dict(top1=90.5))
