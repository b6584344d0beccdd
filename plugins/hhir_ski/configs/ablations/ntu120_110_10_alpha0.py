# SKI paper ablation on NTU RGB+D 120 zero-shot 110/10: alpha = 0: no distillation; the video student trains with CE(F_LV) beside the online
# teacher, i.e. ViFi-CLIP trained two more epochs.
# Inherits the paper config (all four stages) and changes only that; on a finished paper run,
# stages 1-3 are shared: copy its video_clip/, skeleton_pretrain/ and skeleton_clip/ folders
# into this run's work dir and only the 'scd' stage trains.
_base_ = ['../ski_vificlip_ntu120_110_10.py']

alpha = 0.0
model = dict(distiller=dict(alpha=alpha))

# Model-zoo metadata (hhir zoo, docs/model_zoo.md).
metadata = dict(protocol='zero-shot 110/10 (unseen classes), ablation', table='distillation weight alpha ablation', reported=dict(_delete_=True), reported_note='the paper ablates this setting; its number is not transcribed in this zoo (compare with ski_vificlip_ntu120_110_10 trained alike)')
