"""Unique values as pure functions of the row index: a keyed permutation over a bounded range,
or a pool value (Faker or the column's name) followed by the base-36 digits of the index.

These are the building blocks the rule kinds use for `value_at`; they never repeat within
a table, in any shard, without coordination.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dwsim_shared.generation.faker_pools import faker_pool, split_pool
from dwsim_shared.generation.permutation import permute
from dwsim_shared.generation.rules.base import ColumnContext, base36, width36

# Above 36**11 (about 1.3e17) a Feistel domain would overflow its 62 bits.
MAX_CODE_WIDTH = 11
_MIX = np.uint64(0x9E3779B97F4A7C15)
CODE_ALPHABET = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def permuted_range(ctx: ColumnContext, indices: np.ndarray, low: int, high: int) -> np.ndarray:
    """Distinct values of `low..high`, one per index, in a keyed random order."""
    return low + permute(indices, high - low + 1, ctx.permutation_key())


def fixed_width_codes(ctx: ColumnContext, indices: np.ndarray, width: int) -> pa.Array:
    """Codes of exactly `width` upper-case letters and digits (a CHAR(n) key), unique per index.

    The index is permuted over the code space so codes do not run in order.
    """
    digits = min(width, MAX_CODE_WIDTH)
    spread = permute(indices, 36**digits, ctx.permutation_key())
    codes = base36(spread, digits, CODE_ALPHABET)
    parts, rest, salt = [], width - digits, spread.astype(np.uint64)
    while rest > 0:  # longer codes: leading characters mixed from the same index, not padding
        chunk = min(rest, MAX_CODE_WIDTH)
        salt = salt * _MIX + np.uint64(1)
        mixed = ((salt >> np.uint64(3)) % np.uint64(36**chunk)).astype(np.int64)
        parts.append(base36(mixed, chunk, CODE_ALPHABET))
        rest -= chunk
    return pc.binary_join_element_wise(*parts, codes, "") if parts else codes


def unique_strings(ctx: ColumnContext, indices: np.ndarray) -> pa.Array:
    """`<pool value>-<base-36 index>` within the column's length (e-mails: before the domain)."""
    col = ctx.column
    if col.data_type == "CHAR" and col.varchar_length is not None and col.faker_rule is None:
        return fixed_width_codes(ctx, indices, col.varchar_length)
    total = max(ctx.rows, 1)
    width = width36(total)
    suffix = base36(indices, width)
    limit = col.varchar_length
    if col.faker_rule is None:
        prefix = f"{col.name.lower()}_"
        if limit is not None and len(prefix) + width > limit:
            return suffix
        return pc.binary_join_element_wise(prefix, suffix, "")
    pool = faker_pool(ctx.experiment.locale, col.faker_rule, ctx.pool_seed(), ctx.now)
    slots = pa.array(indices % len(pool))
    split = split_pool(ctx.experiment.locale, col.faker_rule, ctx.pool_seed(), ctx.now)
    if split is not None:  # e-mail-like: the index goes before the domain
        local_parts, domains, longest_local, longest_domain = split
        budget = None if limit is None else limit - width - 1 - longest_domain
        if budget is not None and budget < 1:
            return suffix
        if budget is not None and budget < longest_local:
            local_parts = pc.utf8_slice_codeunits(local_parts, 0, budget)  # once, on the pool
        local = local_parts.take(slots)
        return pc.binary_join_element_wise(local, ".", suffix, domains.take(slots), "")
    picks = pool.take(slots)
    budget = None if limit is None else limit - width - 1
    if budget is not None and budget < 1:
        return suffix
    if budget is not None:
        picks = pc.utf8_slice_codeunits(picks, 0, budget)
    return pc.binary_join_element_wise(picks, "-", suffix, "")


def string_capacity(length: int | None) -> int | None:
    """Distinct strings a unique VARCHAR/CHAR(length) can hold: its base-36 suffixes."""
    return None if length is None else int(36**length)
