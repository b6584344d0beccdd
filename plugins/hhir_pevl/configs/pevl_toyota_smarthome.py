# PeVL on Toyota Smarthome, cross-subject (paper-faithful; paper mean-class accuracy 73.3 with
# ViT-B/16, the dataset's standard metric). Poses: the dataset's 13-joint 2-D layout (LCR-Net),
# converted to data/toyota_smarthome/annotations/smarthome_cs_pose.pkl (splits 'cs_train',
# 'cs_test'; see docs/pevl.md "Toyota Smarthome"), or estimated with tools/data/extract_poses.py
# (COCO-17; then set layout='coco', num_joints=17). Class list: smarthome_classes.txt (31 names).
# Without the data: configs/pevl_synthetic_mini.py.
_base_ = ['./pevl_diving48.py']

data_root = 'data/toyota_smarthome'
ann_root = data_root + '/annotations'
missing_hint = ('Toyota Smarthome is not installed: see docs/pevl.md ("Toyota Smarthome"); or run '
                'the offline configs/pevl_synthetic_mini.py.')
model = dict(class_names=ann_root + '/smarthome_classes.txt',
             pose_encoder=dict(num_joints=13))
_data = dict(layout='toyota', video_dir=data_root + '/mp4', missing_hint=missing_hint,
             ann_file=ann_root + '/smarthome_cs_pose.pkl')
train_dataloader = dict(dataset=dict(_data, split='cs_train'))
val_dataloader = dict(dataset=dict(_data, split='cs_test'))
test_dataloader = dict(dataset=dict(_data, split='cs_test'))
default_hooks = dict(checkpoint=dict(save_best='mean_class_acc', rule='greater'))

# Model-zoo metadata (hhir zoo, docs/model_zoo.md): the paper's reported numbers.
metadata = dict(_delete_=True, method='PeVL', paper='PeVL: Pose-Enhanced Vision-Language Model for Fine-Grained Human Action Recognition, CVPR 2024', dataset='Toyota Smarthome', protocol='cross-subject, ViT-B/16', setting='paper', table='main comparison table (Toyota Smarthome)', reported=dict(mean_class_acc=73.3))
