# Packaged with the hhir_ov_hhir plugin (plugins/hhir_ov_hhir/configs/ablations/videollama_analogue_lora.py).
_base_ = ['hhir_ov_hhir::ablations/videollama_analogue_lora.py']
