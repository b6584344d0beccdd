# LLM-AR unseen-class protocol on the mini synthetic benchmark (the paper-scale protocol:
# llm_ar_ntu120_unseen.py, 3 random unseen classes x 5 runs).
# Both stages train on the 19 seen classes; training prompts end with
# "... please predict the corresponding action from [c1, c2, c3]." listing the true class and
# two random seen classes; evaluation lists the 3 unseen classes and scores only those.
# Unseen classes: sorted(random.Random(0).sample(<the 22 synthetic classes>, 3)) =
# sitting down, kicking other person, pushing other person. Other runs: change both lists
# (e.g. --cfg-options with random.Random(1..4)).
_base_ = ['./llm_ar_ntu120_mini.py']

unseen_classes = [7, 50, 51]
seen_classes = [0, 8, 9, 22, 23, 26, 30, 39, 42, 43, 49, 52, 53, 54, 55, 56, 57, 58, 59]

model = dict(classes=seen_classes, eval_classes=unseen_classes, candidate_in_prompt=True,
             train_list_size=len(unseen_classes))
train_dataloader = dict(dataset=dict(classes=seen_classes))
val_dataloader = dict(dataset=dict(classes=unseen_classes))

# Model-zoo metadata (hhir zoo, docs/model_zoo.md).
metadata = dict(protocol='unseen classes: 3 held-out synthetic classes (run 0 of 5)', paper_config='llm_ar_ntu120_unseen')
