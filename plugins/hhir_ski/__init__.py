"""hhir_ski plugin."""
