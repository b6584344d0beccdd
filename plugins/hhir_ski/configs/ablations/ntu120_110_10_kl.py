# SKI paper ablation on NTU RGB+D 120 zero-shot 110/10: distillation loss KL divergence between the softened logits (tau 1) instead of MSE.
# Inherits the paper config (all four stages) and changes only that; on a finished paper run,
# stages 1-3 are shared: copy its video_clip/, skeleton_pretrain/ and skeleton_clip/ folders
# into this run's work dir and only the 'scd' stage trains.
_base_ = ['../ski_vificlip_ntu120_110_10.py']

model = dict(distiller=dict(loss='kl', tau=1.0))

# Model-zoo metadata (hhir zoo, docs/model_zoo.md).
metadata = dict(protocol='zero-shot 110/10 (unseen classes), ablation', table='distillation loss (MSE / KL / contrastive) ablation', reported=dict(_delete_=True), reported_note='the paper ablates this setting; its number is not transcribed in this zoo (compare with ski_vificlip_ntu120_110_10 trained alike)')
