# The mini SKI run without distillation (alpha = 0, no feature KD): the video branch trains exactly as a
# ViFi-CLIP-style model (CE over seen-class prompts), the baseline SKI is compared with.
# With alpha = 0 the skeleton teacher cannot influence the video branch (they share only the
# frozen text encoder), so the SkeletonCLIP stage is skipped to save CPU time; the SCD stage
# keeps everything else (data, schedule, seed) identical to ski_vificlip_ntu120_110_10_mini.py.
_base_ = ['./ski_vificlip_ntu120_110_10_mini.py']

alpha = 0.0
model = dict(distiller=dict(alpha=alpha, loss='mse', feature_kd=None))   # no logit, no feature KD
stages = [dict(name='scd', cfg=dict(test_dataloader=None, test_evaluator=None, test_cfg=None))]
