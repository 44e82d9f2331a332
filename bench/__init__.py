"""Benchmarks and offline evaluations (not part of the installed package)."""
