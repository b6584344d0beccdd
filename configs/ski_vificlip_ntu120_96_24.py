# Packaged with the hhir_ski plugin (plugins/hhir_ski/configs/ski_vificlip_ntu120_96_24.py); this file keeps the configs/ path working.
_base_ = ['hhir_ski::ski_vificlip_ntu120_96_24.py']
