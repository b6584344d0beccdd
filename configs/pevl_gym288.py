# Packaged with the hhir_pevl plugin (plugins/hhir_pevl/configs/pevl_gym288.py); this file keeps the configs/ path working.
_base_ = ['hhir_pevl::pevl_gym288.py']
