# Packaged with the hhir_ski plugin (plugins/hhir_ski/configs/ablations/ntu120_110_10_alpha0_01.py).
_base_ = ['hhir_ski::ablations/ntu120_110_10_alpha0_01.py']
