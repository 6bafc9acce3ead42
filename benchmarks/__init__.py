"""Benchmarks: ``python -m benchmarks.<suite> [--quick]`` prints a table and writes benchmarks/results/<suite>.json."""
