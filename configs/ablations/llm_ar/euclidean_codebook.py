# Packaged with the hhir_llm_ar plugin (plugins/hhir_llm_ar/configs/ablations/euclidean_codebook.py).
_base_ = ['hhir_llm_ar::ablations/euclidean_codebook.py']
