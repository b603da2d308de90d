"""Synthetic data generation: one vectorized column generator per rule, one shard at a time."""

from dwsim_shared.generation.shard import generate_shard, write_shard_parquet

__all__ = ["generate_shard", "write_shard_parquet"]
