# Packaged with the hhir_ski plugin (plugins/hhir_ski/configs/ski_lvlm_ntu120.py); this file keeps the configs/ path working.
_base_ = ['hhir_ski::ski_lvlm_ntu120.py']
