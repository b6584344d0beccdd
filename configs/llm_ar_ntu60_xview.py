# Packaged with the hhir_llm_ar plugin (plugins/hhir_llm_ar/configs/llm_ar_ntu60_xview.py); this file keeps the configs/ path working.
_base_ = ['hhir_llm_ar::llm_ar_ntu60_xview.py']
