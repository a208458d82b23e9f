"""Benchmarks of the Lambda handlers on embedded AWS (moto, in process): run `python -m bench.run`."""
