# Packaged with the hhir_pevl plugin (plugins/hhir_pevl/configs/ablations/frozen_no_adapters.py).
_base_ = ['hhir_pevl::ablations/frozen_no_adapters.py']
