# Packaged with the hhir_mmaction plugin (plugins/hhir_mmaction/configs/stgcn_ntu120.py); this file keeps the configs/ path working.
_base_ = ['hhir_mmaction::stgcn_ntu120.py']
