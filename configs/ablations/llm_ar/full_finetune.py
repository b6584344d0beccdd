# Packaged with the hhir_llm_ar plugin (plugins/hhir_llm_ar/configs/ablations/full_finetune.py).
_base_ = ['hhir_llm_ar::ablations/full_finetune.py']
