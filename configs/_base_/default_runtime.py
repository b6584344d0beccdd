# Shipped with hhir_core (hhir_core/configs/_base_/default_runtime.py).
_base_ = ['hhir_core::_base_/default_runtime.py']
