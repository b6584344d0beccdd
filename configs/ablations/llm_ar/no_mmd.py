# Packaged with the hhir_llm_ar plugin (plugins/hhir_llm_ar/configs/ablations/no_mmd.py).
_base_ = ['hhir_llm_ar::ablations/no_mmd.py']
