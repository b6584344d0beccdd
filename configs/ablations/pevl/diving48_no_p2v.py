# Packaged with the hhir_pevl plugin (plugins/hhir_pevl/configs/ablations/diving48_no_p2v.py).
_base_ = ['hhir_pevl::ablations/diving48_no_p2v.py']
