"""Composite keys: the row index is permuted over the product of the columns' domains and read
as mixed-radix digits, one per column, so the key is jointly unique with no extra column and
every component varies across the table (the walk is a keyed permutation, not row order)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from dwsim_shared.generation.permutation import permute
from dwsim_shared.generation.rules.base import Rule

MAX_DOMAIN = 2**62


@dataclass(frozen=True)
class CompositeKey:
    """A jointly unique key: its columns and the number of values each walks."""

    columns: tuple[str, ...]
    domains: tuple[int, ...]

    @property
    def size(self) -> int:
        return math.prod(self.domains)


def key_domains(hard: list[int | None], soft: list[int | None], rows: int) -> list[int]:
    """Each component's domain: its own bounded one; an unbounded one with a default range (a
    date) covers that range; the others get just enough for the rows. The product stays within
    what a permutation can address."""
    sizes = list(hard)
    defaults = [(i, d) for i, d in enumerate(soft) if d is not None and hard[i] is None]
    bounded = math.prod(s for s in hard if s is not None) * math.prod(d for _, d in defaults)
    if defaults and bounded <= MAX_DOMAIN:
        for i, d in defaults:
            sizes[i] = d
        if all(s is not None for s in sizes) and bounded < rows:
            first, d = defaults[0]
            sizes[first] = d * -(-rows // bounded)  # the date covers more days, never repeats
        bounded = math.prod(s for s in sizes if s is not None)
    else:
        bounded = math.prod(s for s in hard if s is not None)
    needed = max(1, -(-max(1, rows) // max(1, bounded)))
    out: list[int] = []
    product = bounded
    for size in sizes:
        if size is None:
            size = needed if product * needed <= MAX_DOMAIN else 1
            product *= size
        out.append(size)
    return out


def capacity_problem(
    name: str, key: list[str], sizes: list[int | None], rows: int
) -> Iterator[str]:
    """A composite key whose columns all have bounded domains too small for the rows."""
    if any(s is None for s in sizes):
        return
    capacity = math.prod(s for s in sizes if s is not None)
    if capacity < rows:
        yield (
            f"key ({', '.join(key)}) of {name} holds {capacity} combinations, fewer than target_rows {rows}"
        )


def composite_digits(
    key: CompositeKey, indices: np.ndarray, permutation_key: int
) -> dict[str, np.ndarray]:
    """The digit (position in its domain) of every key column at these row indices."""
    spread = permute(indices, key.size, permutation_key)
    digits: dict[str, np.ndarray] = {}
    for name, size in zip(reversed(key.columns), reversed(key.domains), strict=True):
        digits[name] = spread % size
        spread = spread // size
    return digits


def composite_values(
    key: CompositeKey,
    indices: np.ndarray,
    permutation_key: int,
    digit_value: Callable[[str, np.ndarray], pa.Array],
) -> dict[str, pa.Array]:
    """Jointly unique values: each column's rule turns its digit into a value."""
    digits = composite_digits(key, indices, permutation_key)
    return {name: digit_value(name, digits[name]) for name in reversed(key.columns)}


def component_domains(rules: list[Rule], hard: list[int | None]) -> list[int | None]:
    return [None if h is not None else r.soft_domain() for r, h in zip(rules, hard, strict=True)]
