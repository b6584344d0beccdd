# SKI paper ablation on NTU RGB+D 120 zero-shot 110/10: feature-level KD instead of SCD: MSE between the L2-normalised video and skeleton
# embeddings (both 512-d CLIP text space), no logit distillation; weight 10 as alpha for NTU120.
# Inherits the paper config (all four stages) and changes only that; on a finished paper run,
# stages 1-3 are shared: copy its video_clip/, skeleton_pretrain/ and skeleton_clip/ folders
# into this run's work dir and only the 'scd' stage trains.
_base_ = ['../ski_vificlip_ntu120_110_10.py']

model = dict(distiller=dict(loss='none', feature_kd='direct', feature_weight=10.0))

# Model-zoo metadata (hhir zoo, docs/model_zoo.md).
metadata = dict(protocol='zero-shot 110/10 (unseen classes), ablation', table='SCD vs. feature-level KD ablation', reported=dict(_delete_=True), reported_note='the paper ablates this setting; its number is not transcribed in this zoo (compare with ski_vificlip_ntu120_110_10 trained alike)')
