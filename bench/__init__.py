"""Benchmarks: `python bench/load.py` (or `make bench`). Never run by the test suite."""
