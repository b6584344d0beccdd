# Packaged with the hhir_ov_hhir plugin (plugins/hhir_ov_hhir/configs/ov_hhir_hhirchat_open_vocab.py); this file keeps the configs/ path working.
_base_ = ['hhir_ov_hhir::ov_hhir_hhirchat_open_vocab.py']
