# Shipped with hhir_core (hhir_core/configs/_base_/datasets/synthetic_mini.py).
_base_ = ['hhir_core::_base_/datasets/synthetic_mini.py']
