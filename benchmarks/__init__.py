"""Benchmarks of the zoo's models (figures to read, not tests): `python -m benchmarks.run`."""
