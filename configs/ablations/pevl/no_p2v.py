# Packaged with the hhir_pevl plugin (plugins/hhir_pevl/configs/ablations/no_p2v.py).
_base_ = ['hhir_pevl::ablations/no_p2v.py']
