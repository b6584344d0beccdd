"""hhir_mmaction: bridge to mmaction2 skeleton backbones and baselines."""
