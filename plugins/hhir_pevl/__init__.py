"""hhir_pevl plugin."""
