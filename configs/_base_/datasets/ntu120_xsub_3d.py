# Shipped with hhir_core (hhir_core/configs/_base_/datasets/ntu120_xsub_3d.py).
_base_ = ['hhir_core::_base_/datasets/ntu120_xsub_3d.py']
