# Packaged with the hhir_pevl plugin (plugins/hhir_pevl/configs/ablations/no_ucmr.py).
_base_ = ['hhir_pevl::ablations/no_ucmr.py']
