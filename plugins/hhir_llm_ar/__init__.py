"""hhir_llm_ar plugin."""
