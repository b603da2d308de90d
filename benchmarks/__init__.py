"""Benchmarks run by `make bench`: the project against its baseline, in the same run.

Each benchmark prints one `BENCH {json}` line per figure (see README.md).
"""
