"""Synthetic data for demos, tests and benchmarks (never real data): Tuva-shaped claims,
CCLF files, CMS assignment lists."""
