# LLM-AR on NTU RGB+D 60 X-View (paper top-1 98.4); everything else as llm_ar_ntu120.py.
# NTU-60's 60 classes are NTU-120's first 60 label ids, so the class names are the same.
_base_ = ['./llm_ar_ntu120.py']

data_root = 'data/ntu60'
ann_file = data_root + '/ntu60_3danno.pkl'   # pyskl/mmaction2 NTU60 3-D pickle
classes = list(range(60))

model = dict(classes=classes)
train_dataloader = dict(dataset=dict(ann_file=ann_file, split='xview_train', classes=classes))
val_dataloader = dict(dataset=dict(ann_file=ann_file, split='xview_val', classes=classes))

# Model-zoo metadata (hhir zoo, docs/model_zoo.md).
metadata = dict(dataset='NTU RGB+D 60', protocol='X-View', table='Table 1', reported=dict(_delete_=True, top1=98.4))
