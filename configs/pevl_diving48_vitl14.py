# Packaged with the hhir_pevl plugin (plugins/hhir_pevl/configs/pevl_diving48_vitl14.py); this file keeps the configs/ path working.
_base_ = ['hhir_pevl::pevl_diving48_vitl14.py']
