"""Frozen video encoders behind one contract: ``forward(x) -> tokens [B, N, D]`` and ``embed_dim``."""
