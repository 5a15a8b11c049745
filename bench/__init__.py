"""Benchmarks of Wirework against the libraries users would pick instead; `make bench`."""
