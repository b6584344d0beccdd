"""hhir_ov_hhir plugin."""
