"""Benchmark of the coverage engine; run ``python -m bench --help``. Not part of the tests."""
