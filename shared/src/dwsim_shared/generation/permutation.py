"""Keyed permutations and skewed picks over index ranges, vectorized with numpy.

`permute(indices, domain, key)` is a bijection of `[0, domain)`: a balanced Feistel
network over the smallest even bit width that covers the domain, with cycle walking
for the values that land outside it. Unique values computed from a permuted row
index look random but never repeat, in any shard, without coordination.
"""

from __future__ import annotations

import numpy as np

from dwsim_shared.generation.randomness import stable_hash

ROUNDS = 4
_MIX = np.uint64(0x9E3779B97F4A7C15)


def _round_keys(key: int) -> list[np.uint64]:
    return [
        np.uint64(stable_hash(f"{key}:{r}") | (stable_hash(f"{r}:{key}") << 32))
        for r in range(ROUNDS)
    ]


def _feistel(values: np.ndarray, half_bits: int, keys: list[np.uint64]) -> np.ndarray:
    mask = np.uint64((1 << half_bits) - 1)
    shift = np.uint64(half_bits)
    left = values >> shift
    left &= mask
    right = values & mask
    # The rounds work in place in three buffers (numpy would allocate five per round): the
    # same values, less memory traffic on a million-row shard.
    mixed = np.empty_like(right)
    spill = np.empty_like(right)
    for k in keys:
        np.bitwise_xor(right, k, out=mixed)
        mixed *= _MIX
        np.right_shift(mixed, np.uint64(29), out=spill)
        mixed ^= spill
        mixed &= mask
        mixed ^= left
        left, right, mixed = right, mixed, left
    left <<= shift
    left |= right
    return left


def permute(indices: np.ndarray, domain: int, key: int) -> np.ndarray:
    """A keyed bijection of [0, domain) applied to `indices` (each must be < domain).

    >>> sorted(permute(np.arange(10), 10, key=7).tolist()) == list(range(10))
    True
    """
    if domain <= 1:
        return np.zeros(len(indices), dtype=np.int64)
    if domain > 2**62:
        raise ValueError(f"permutation domain {domain} is larger than 2**62")
    bits = max(2, int(domain - 1).bit_length())
    half_bits = (bits + 1) // 2
    keys = _round_keys(key)
    limit = np.uint64(domain)
    values = _feistel(indices.astype(np.uint64), half_bits, keys)
    # Cycle walking: a value outside the domain goes through the network again until it lands
    # inside (the space is < 4 x domain, so each round leaves at most 3/4 of the last one's).
    # Only the values still outside are walked and compared (their positions kept aside), so
    # the long tail of rounds costs next to nothing instead of a pass over every value.
    at = np.flatnonzero(values >= limit)
    walking = values[at]
    while len(at):
        walking = _feistel(walking, half_bits, keys)
        inside = walking < limit
        values[at[inside]] = walking[inside]
        outside = ~inside
        at, walking = at[outside], walking[outside]
    return values.astype(np.int64)


def zipf_ranks(uniform: np.ndarray, count: int, s: float) -> np.ndarray:
    """Ranks in [0, count) with P(rank k) ~ 1 / (k + 1) ** s, by inverting a bounded power law.

    Works for any count (a billion parents costs nothing) and any s > 0.
    """
    n = float(count)
    if abs(s - 1.0) < 1e-9:
        x = np.power(n + 1.0, uniform)
    else:
        top = np.power(n + 1.0, 1.0 - s) - 1.0
        x = np.power(1.0 + uniform * top, 1.0 / (1.0 - s))
    ranks = np.floor(x).astype(np.int64) - 1
    return np.clip(ranks, 0, count - 1)
