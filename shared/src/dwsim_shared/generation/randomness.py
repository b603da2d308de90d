"""Seeds: every random stream is a pure function of (run seed, table, column, first row)."""

from __future__ import annotations

import zlib

import numpy as np


def stable_hash(text: str) -> int:
    """A hash that, unlike `hash()`, is the same in every process."""
    return zlib.crc32(text.encode("utf-8"))


def column_rng(seed: int, table: str, column: str, row_start: int) -> np.random.Generator:
    entropy = [
        seed & (2**63 - 1),
        stable_hash(table.lower()),
        stable_hash(column.lower()),
        row_start,
    ]
    return np.random.default_rng(np.random.SeedSequence(entropy))
