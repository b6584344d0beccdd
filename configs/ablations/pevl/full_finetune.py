# Packaged with the hhir_pevl plugin (plugins/hhir_pevl/configs/ablations/full_finetune.py).
_base_ = ['hhir_pevl::ablations/full_finetune.py']
