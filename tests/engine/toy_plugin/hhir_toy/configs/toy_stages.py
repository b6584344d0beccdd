_base_ = ['./toy.py']
# Stage 2 freezes the first layer: its checkpoint must hold only the head.
stages = [
    dict(name='warmup', cfg=dict(train_cfg=dict(max_iters=20, val_interval=20))),
    dict(name='finetune', cfg=dict(model=dict(freeze_first=True),
                                   train_cfg=dict(max_iters=20, val_interval=20))),
]
