# Packaged with the hhir_pevl plugin (plugins/hhir_pevl/configs/pevl_haa500.py); this file keeps the configs/ path working.
_base_ = ['hhir_pevl::pevl_haa500.py']
