# Packaged with the hhir_ski plugin (plugins/hhir_ski/configs/ablations/ntu120_110_10_feature_kd_direct.py).
_base_ = ['hhir_ski::ablations/ntu120_110_10_feature_kd_direct.py']
