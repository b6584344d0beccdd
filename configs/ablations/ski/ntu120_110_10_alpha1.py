# Packaged with the hhir_ski plugin (plugins/hhir_ski/configs/ablations/ntu120_110_10_alpha1.py).
_base_ = ['hhir_ski::ablations/ntu120_110_10_alpha1.py']
