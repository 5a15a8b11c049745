"""Benchmarks for Wirework's services; `make bench` runs them all."""
