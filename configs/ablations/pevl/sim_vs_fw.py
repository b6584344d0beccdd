# Packaged with the hhir_pevl plugin (plugins/hhir_pevl/configs/ablations/sim_vs_fw.py).
_base_ = ['hhir_pevl::ablations/sim_vs_fw.py']
