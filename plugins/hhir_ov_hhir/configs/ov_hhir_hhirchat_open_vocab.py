# OV-HHIR, open-vocabulary test: configs/ov_hhir_hhirchat.py with interaction classes held
# out of training. The paper evaluates new interactions (classes never seen in training) with the
# classifier choosing among the 103 training classes plus the new ones, and reports macro-F1 on
# those new interactions. Here that metric is `ov_hhir/ov_macro_f1` (samples of held-out classes,
# every class a candidate); `seen_macro_f1` covers the other samples.
#
#   python tools/train.py configs/ov_hhir_hhirchat_open_vocab.py
#
# Which classes are new: the paper's list of new interaction classes is not recorded here.
# So this config holds out 10 of the 103 HHIRChat labels, chosen by a fixed seeded rule:
#   sorted(random.Random(0).sample(range(103), 10)) == [5, 33, 38, 49, 51, 53, 62, 65, 97, 100]
# (label ids as in classes.json written by tools/data/build_hhirchat.py). Training sees the other
# 93 classes. At test time the candidates are all 103 names, so the held-out classes are among
# them. This differs from the paper's protocol (103 seen + new classes) in which classes are new
# and in how many classes the model trains on. To test on genuinely new interaction videos,
# append their names to class_names (labels 103, 104, ...), add them to held_out and put their
# clips only in the val/test JSON.
_base_ = ['./ov_hhir_hhirchat.py']

held_out = [5, 33, 38, 49, 51, 53, 62, 65, 97, 100]   # sorted(random.Random(0).sample(range(103), 10))
# Fill with the 103 names of classes.json, in label order. It must cover every held_out label:
# the recognizer refuses a held-out label that is not an index into class_names.
class_names = []

model = dict(class_names=class_names, held_out=held_out)
# the base's training set was written with held_out=[]; drop the held-out labels here
# (classes=None, so the JSON's labels are the class_names indices)
train_dataloader = dict(dataset=dict(exclude_classes=held_out))

# Model-zoo metadata (hhir zoo, docs/model_zoo.md).
metadata = dict(protocol='open vocabulary: macro-F1 on interactions never seen in training, classified among the training + new classes (here: 10 of the 103 labels held out by a seeded rule; the paper uses new interaction classes)', table='open-vocabulary test (macro-F1 on new interactions)', reported=dict(_delete_=True, ov_macro_f1=0.315))
