# Packaged with the hhir_pevl plugin (plugins/hhir_pevl/configs/ablations/sim_ps.py).
_base_ = ['hhir_pevl::ablations/sim_ps.py']
