# LLM-AR unseen-class protocol on NTU RGB+D 120 (paper: 3 random unseen classes, 5 runs,
# averaged: top-1 62.4 with LoRA vs 37.7 with full tuning). Both stages train on the 117 seen
# classes; training prompts end with "... please predict the corresponding action from
# [c1, c2, c3]." (the true class and two random seen classes); evaluation lists the 3 unseen
# classes and scores only those.
#
# The 5 runs' unseen classes are sorted(random.Random(run).sample(range(120), 3)), run 0..4,
# listed in `unseen_runs`. This config is run 0; run k: copy it with `unseen_run = k` (the
# derived class lists are computed when the file is read, so --cfg-options cannot change them),
# then average the five top-1 values.
_base_ = ['./llm_ar_ntu120.py']

unseen_runs = [[49, 97, 108], [17, 72, 108], [7, 108, 110], [30, 69, 75], [13, 30, 38]]
unseen_run = 0
unseen_classes = unseen_runs[unseen_run]
seen_classes = [c for c in range(120) if c not in unseen_classes]

model = dict(classes=seen_classes, eval_classes=unseen_classes, candidate_in_prompt=True,
             candidate_prompt='Given a sequence of action tokens <tokens>, please predict the '
                              'corresponding action from [{candidates}].',
             train_list_size=len(unseen_classes))
train_dataloader = dict(dataset=dict(classes=seen_classes))
val_dataloader = dict(dataset=dict(classes=unseen_classes))

# Model-zoo metadata (hhir zoo, docs/model_zoo.md).
metadata = dict(protocol='unseen classes: 3 random unseen classes x 5 runs, averaged (this file: run 0)',
                table='unseen-class experiment', reported=dict(_delete_=True, top1=62.4))
