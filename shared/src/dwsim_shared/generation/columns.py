"""Column generators: one function per rule, picked by `generator_for()`.

Every generator gets the rows' absolute indices (`row_start .. row_start + n`)
and its own seeded random stream, and returns an Arrow array. Unique columns
are pure functions of the row index (`key_values`), so uniqueness holds across
shards without coordination and a child table computes a parent's key from a
parent row index without reading the parent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dwsim_shared.experiment import (
    INTEGER_LIMITS,
    INTEGER_TYPES,
    SEMI_STRUCTURED_TYPES,
    Column,
    Experiment,
    Table,
)
from dwsim_shared.generation.arrow_types import arrow_type
from dwsim_shared.generation.faker_pools import faker_pool, split_pool
from dwsim_shared.generation.patterns import pattern_strings
from dwsim_shared.generation.permutation import permute
from dwsim_shared.generation.randomness import stable_hash

EPOCH = dt.date(1970, 1, 1)
DEFAULT_DATE_START = dt.date(2020, 1, 1)
DEFAULT_DATE_END = dt.date(2024, 12, 31)
DEFAULT_INT_RANGE = (1, 1_000_000)
DEFAULT_FLOAT_RANGE = (0.0, 1000.0)
MICROS_PER_DAY = 86_400_000_000


@dataclass(frozen=True)
class ColumnContext:
    """What a generator may use besides the row indices and its random stream."""

    experiment: Experiment
    table: Table
    column: Column
    seed: int
    row_targets: dict[str, int]

    @property
    def arrow_type(self) -> pa.DataType:
        return arrow_type(self.column)


Generator = Callable[[ColumnContext, np.ndarray, np.random.Generator], pa.Array]


def _days(value: dt.date) -> int:
    return (value - EPOCH).days


def _date_bounds(col: Column) -> tuple[int, int]:
    return _days(col.date_start or DEFAULT_DATE_START), _days(col.date_end or DEFAULT_DATE_END)


def integers_as(values: pa.Array, target: pa.DataType) -> pa.Array:
    """Cast int64 to any numeric type; decimals go through decimal128(38, 0), which checks fit."""
    if pa.types.is_decimal(target):
        return values.cast(pa.decimal128(38, 0)).cast(target)
    return values.cast(target)


def _base36(indices: np.ndarray, width: int) -> pa.Array:
    """Fixed-width base-36 strings of non-negative integers, vectorized."""
    alphabet = np.frombuffer(b"0123456789abcdefghijklmnopqrstuvwxyz", dtype=np.uint8)
    digits = np.empty((len(indices), width), dtype=np.uint8)
    rest = indices.astype(np.int64, copy=True)
    for position in range(width - 1, -1, -1):
        rest, digit = np.divmod(rest, 36)
        digits[:, position] = alphabet[digit]
    return pa.array(digits.view(f"S{width}").ravel()).cast(pa.string())


def _width36(count: int) -> int:
    width = 1
    while 36**width < count:
        width += 1
    return width


# --- unique (index-addressable) columns -------------------------------------------------------


def key_values(ctx: ColumnContext, indices: np.ndarray, *, permuted: bool = True) -> pa.Array:
    """The value of a unique column at the given row indices: a pure function of the index.

    With a bounded range (min/max, or date_start/date_end) the index is permuted over the
    range, so values look random yet never repeat; otherwise values follow the index.
    """
    col = ctx.column
    kind = col.data_type
    if kind in INTEGER_TYPES or kind in ("FLOAT", "DECIMAL"):
        if col.sequence is not None:
            values = col.sequence.start + indices * col.sequence.step
        elif permuted and col.min_value is not None and col.max_value is not None:
            span = int(col.max_value) - int(col.min_value) + 1
            values = int(col.min_value) + permute(indices, span, _permutation_key(ctx))
        else:
            start = int(col.min_value) if col.min_value is not None else 1
            values = start + indices
        return integers_as(pa.array(values, type=pa.int64()), ctx.arrow_type)
    bounded_dates = permuted and col.date_start is not None and col.date_end is not None
    if kind == "DATE":
        start, end = _date_bounds(col)
        offsets = (
            permute(indices, end - start + 1, _permutation_key(ctx)) if bounded_dates else indices
        )
        return pa.array((start + offsets).astype(np.int32), type=pa.date32())
    if kind in ("TIMESTAMP", "TIMESTAMPTZ"):
        start, end = _date_bounds(col)
        seconds = (end - start + 1) * 86_400
        offsets = permute(indices, seconds, _permutation_key(ctx)) if bounded_dates else indices
        micros = start * MICROS_PER_DAY + offsets * 1_000_000
        return pa.array(micros, type=pa.timestamp("us")).cast(ctx.arrow_type)
    if kind == "TIME":
        return pa.array((indices % 86_400) * 1_000_000, type=pa.time64("us"))
    if kind in SEMI_STRUCTURED_TYPES:
        return _json_documents(ctx, indices, None)
    if kind == "BOOLEAN":
        return pa.array(indices % 2 == 1, type=pa.bool_())
    if col.choices is not None:
        return pa.array([str(c) for c in col.choices], type=pa.string()).take(pa.array(indices))
    if col.pattern is not None:
        return pattern_strings(col.pattern, indices, None)
    return _unique_strings(ctx, indices)


def _unique_strings(ctx: ColumnContext, indices: np.ndarray) -> pa.Array:
    col = ctx.column
    total = max(ctx.row_targets.get(ctx.table.name, ctx.table.target_rows), 1)
    width = _width36(total)
    suffix = _base36(indices, width)
    limit = col.varchar_length
    if col.faker_rule is None:
        prefix = f"{col.name.lower()}_"
        if limit is not None and len(prefix) + width > limit:
            return suffix
        return pc.binary_join_element_wise(prefix, suffix, "")
    pool = faker_pool(ctx.experiment.locale, col.faker_rule, _pool_seed(ctx))
    slots = pa.array(indices % len(pool))
    split = split_pool(ctx.experiment.locale, col.faker_rule, _pool_seed(ctx))
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


def _max_len(strings: pa.Array) -> int:
    lengths = pc.utf8_length(strings)
    return int(pc.max(lengths).as_py() or 0)


def _permutation_key(ctx: ColumnContext) -> int:
    return (ctx.seed ^ stable_hash(f"{ctx.table.name}.{ctx.column.name}#perm".lower())) & (
        2**62 - 1
    )


def _pool_seed(ctx: ColumnContext) -> int:
    return (ctx.seed ^ stable_hash(f"{ctx.table.name}.{ctx.column.name}".lower())) & (2**32 - 1)


# --- non-unique columns -------------------------------------------------------------------------


def foreign_key_values(
    ctx: ColumnContext, indices: np.ndarray, rng: np.random.Generator
) -> pa.Array:
    """Pick parent row indices (uniform or Zipf) and compute the parent's key there: no parent read."""
    from dwsim_shared.generation.keys import KeySpace, pick_parents, value_at

    fk = ctx.column.foreign_key
    assert fk is not None
    parent = ctx.experiment.table(fk.references_table)
    assert parent is not None
    space = KeySpace(ctx.experiment, ctx.seed, ctx.row_targets)
    parent_rows = space.rows(parent)
    if parent_rows == 0:
        return pa.nulls(len(indices), type=ctx.arrow_type)
    key = space.permutation_key(ctx.table.name, ctx.column.name, "parents")
    parent_index = pick_parents(rng, len(indices), parent_rows, fk.parent_selection, key)
    return value_at(space, parent, fk.references_column, parent_index).cast(ctx.arrow_type)


def sequence_values(ctx: ColumnContext, indices: np.ndarray, rng: np.random.Generator) -> pa.Array:
    seq = ctx.column.sequence
    assert seq is not None
    return integers_as(pa.array(seq.start + indices * seq.step, type=pa.int64()), ctx.arrow_type)


def choice_values(ctx: ColumnContext, indices: np.ndarray, rng: np.random.Generator) -> pa.Array:
    col = ctx.column
    assert col.choices is not None
    weights = np.asarray(col.weights, dtype=np.float64) if col.weights else None
    picks = rng.choice(
        len(col.choices), size=len(indices), p=None if weights is None else weights / weights.sum()
    )
    options = pa.array(col.choices).cast(ctx.arrow_type)
    return options.take(pa.array(picks))


def faker_values(ctx: ColumnContext, indices: np.ndarray, rng: np.random.Generator) -> pa.Array:
    assert ctx.column.faker_rule is not None
    pool = faker_pool(ctx.experiment.locale, ctx.column.faker_rule, _pool_seed(ctx))
    picks = pool.take(pa.array(rng.integers(0, len(pool), size=len(indices))))
    return _fit_length(ctx, picks)


def _fit_length(ctx: ColumnContext, strings: pa.Array) -> pa.Array:
    if ctx.column.varchar_length is None:
        return strings
    return pc.utf8_slice_codeunits(strings, 0, ctx.column.varchar_length)


def _numeric_sample(
    col: Column, low: float, high: float, n: int, rng: np.random.Generator
) -> np.ndarray:
    dist = col.distribution
    if dist is None or dist.type == "uniform":
        return rng.uniform(low, high, n)
    p = dist.parameters
    mid, span = (low + high) / 2, (high - low) or 1.0
    if dist.type == "normal":
        values = rng.normal(p.get("mean", mid), p.get("stddev", span / 6), n)
    elif dist.type == "exponential":
        values = low + rng.exponential(
            p.get("scale", 1 / p["rate"] if "rate" in p else span / 5), n
        )
    elif dist.type == "beta":
        values = low + span * rng.beta(p.get("alpha", 2.0), p.get("beta", 5.0), n)
    elif dist.type == "lognormal":
        values = rng.lognormal(p.get("mean", 0.0), p.get("sigma", 1.0), n)
    elif dist.type == "poisson":
        values = rng.poisson(p.get("lambda", p.get("lam", 5.0)), n).astype(np.float64)
    else:  # zipf
        values = low - 1 + rng.zipf(p.get("s", p.get("a", 2.0)), n).astype(np.float64)
    return np.clip(values, low, high)


def numeric_values(ctx: ColumnContext, indices: np.ndarray, rng: np.random.Generator) -> pa.Array:
    col = ctx.column
    n = len(indices)
    if col.data_type in INTEGER_TYPES:
        low = int(col.min_value) if col.min_value is not None else DEFAULT_INT_RANGE[0]
        high = (
            int(col.max_value)
            if col.max_value is not None
            else min(DEFAULT_INT_RANGE[1], INTEGER_LIMITS[col.data_type])
        )
        if col.distribution is None:
            values = rng.integers(low, high, size=n, endpoint=True, dtype=np.int64)
        else:
            values = np.rint(_numeric_sample(col, low, high, n, rng)).astype(np.int64)
        return integers_as(pa.array(values, type=pa.int64()), ctx.arrow_type)
    low_f = col.min_value if col.min_value is not None else DEFAULT_FLOAT_RANGE[0]
    high_f = col.max_value if col.max_value is not None else DEFAULT_FLOAT_RANGE[1]
    if col.data_type == "DECIMAL":
        precision, scale = col.decimal_precision_scale
        largest = 10 ** (precision - scale) - 10.0**-scale
        low_f, high_f = max(low_f, -largest), min(high_f, largest)
        values = np.round(_numeric_sample(col, low_f, high_f, n, rng), scale)
        return pa.array(values, type=pa.float64()).cast(ctx.arrow_type, safe=False)
    return pa.array(np.round(_numeric_sample(col, low_f, high_f, n, rng), 4), type=pa.float64())


def date_values(ctx: ColumnContext, indices: np.ndarray, rng: np.random.Generator) -> pa.Array:
    start, end = _date_bounds(ctx.column)
    days = rng.integers(start, end, size=len(indices), endpoint=True, dtype=np.int64)
    if ctx.column.data_type == "DATE":
        return pa.array(days.astype(np.int32), type=pa.date32())
    seconds = rng.integers(0, 86_400, size=len(indices), dtype=np.int64)
    micros = days * MICROS_PER_DAY + seconds * 1_000_000
    return pa.array(micros, type=pa.timestamp("us")).cast(ctx.arrow_type)


def time_values(ctx: ColumnContext, indices: np.ndarray, rng: np.random.Generator) -> pa.Array:
    seconds = rng.integers(0, 86_400, size=len(indices), dtype=np.int64)
    return pa.array(seconds * 1_000_000, type=pa.time64("us"))


def _json_documents(
    ctx: ColumnContext, indices: np.ndarray, rng: np.random.Generator | None
) -> pa.Array:
    """Small JSON documents: an array for ARRAY, an object otherwise; keyed by the row index."""
    ids = pc.cast(pa.array(indices), pa.string())
    if rng is None:
        scores = pc.cast(pa.array(indices % 1000, type=pa.int64()), pa.string())
    else:
        scores = pc.cast(pa.array(rng.integers(0, 1000, len(indices))), pa.string())
    if ctx.column.data_type == "ARRAY":
        return pc.binary_join_element_wise("[", ids, ", ", scores, "]", "")
    tags = pa.array(['"new"', '"sale"', '"gift"', '"vip"'])
    tag = tags.take(pa.array(indices % 4 if rng is None else rng.integers(0, 4, len(indices))))
    return pc.binary_join_element_wise(
        '{"id": ', ids, ', "score": ', scores, ', "tags": [', tag, "]}", ""
    )


def json_values(ctx: ColumnContext, indices: np.ndarray, rng: np.random.Generator) -> pa.Array:
    return _json_documents(ctx, indices, rng)


def pattern_values(ctx: ColumnContext, indices: np.ndarray, rng: np.random.Generator) -> pa.Array:
    assert ctx.column.pattern is not None
    return pattern_strings(ctx.column.pattern, indices, rng)


def boolean_values(ctx: ColumnContext, indices: np.ndarray, rng: np.random.Generator) -> pa.Array:
    return pa.array(rng.random(len(indices)) < 0.5, type=pa.bool_())


def string_values(ctx: ColumnContext, indices: np.ndarray, rng: np.random.Generator) -> pa.Array:
    pool = faker_pool(ctx.experiment.locale, "word", _pool_seed(ctx))
    return _fit_length(ctx, pool.take(pa.array(rng.integers(0, len(pool), size=len(indices)))))


def unique_values(ctx: ColumnContext, indices: np.ndarray, rng: np.random.Generator) -> pa.Array:
    from dwsim_shared.generation.keys import KeySpace, value_at

    return value_at(
        KeySpace(ctx.experiment, ctx.seed, ctx.row_targets), ctx.table, ctx.column.name, indices
    )


BY_TYPE: dict[str, Generator] = {
    "SMALLINT": numeric_values,
    "INT": numeric_values,
    "BIGINT": numeric_values,
    "DECIMAL": numeric_values,
    "FLOAT": numeric_values,
    "DATE": date_values,
    "TIMESTAMP": date_values,
    "TIMESTAMPTZ": date_values,
    "TIME": time_values,
    "BOOLEAN": boolean_values,
    "VARCHAR": string_values,
    "CHAR": string_values,
    **{name: json_values for name in SEMI_STRUCTURED_TYPES},
}


def generator_for(table: Table, col: Column) -> Generator:
    """The rule that decides a column's values, most specific first."""
    if col.foreign_key is not None:
        return foreign_key_values
    if table.is_unique_column(col):
        return unique_values
    if col.sequence is not None:
        return sequence_values
    if col.choices is not None:
        return choice_values
    if col.pattern is not None:
        return pattern_values
    if col.faker_rule is not None:
        return faker_values
    return BY_TYPE[col.data_type]
