# Packaged with the hhir_pevl plugin (plugins/hhir_pevl/configs/ablations/vanilla_contrastive.py).
_base_ = ['hhir_pevl::ablations/vanilla_contrastive.py']
