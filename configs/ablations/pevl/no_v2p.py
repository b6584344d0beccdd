# Packaged with the hhir_pevl plugin (plugins/hhir_pevl/configs/ablations/no_v2p.py).
_base_ = ['hhir_pevl::ablations/no_v2p.py']
