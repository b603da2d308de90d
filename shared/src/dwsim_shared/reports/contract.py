"""The report's fast path for large tables: what the generation contract says a key holds.

A run's keys are a pure function of the plan and the seed (a unique column's value at each row
index, a composite key's permuted mixed-radix walk, a multi-column foreign key's parent picks
per generated chunk). `contract_facts` regenerates only those columns (numpy, no warehouse) and
keeps, per key, its bounds, its row count, whether the values are unique (checked here, with
numpy, on every value), and an order-independent digest: the sum over rows of two pseudo-random
functions of the row's key code. The warehouse computes the same sums in one aggregate over the
table (`digest_selects`); equal counts, bounds and digests say it holds exactly the contract's
multiset of keys, so uniqueness and foreign-key integrity proven on the contract hold in the
warehouse. Any doubt (a mismatch, a key the contract cannot describe) falls back to the exact
query, which also gives the numbers a failing check shows.

The digest is not cryptographic. Each function maps a key code (an integer below 2**62) through
an affine map modulo one prime near 2**31 and a product reduced modulo another, so two different
multisets of keys agree on both 31-bit sums only by coincidence: about 2**-62 for a change that
was not constructed against these formulas. A table of at most `DWSIM_REPORT_EXACT_ROWS` rows
(default 20,000; set it higher for a fully exact report) keeps the exact GROUP BY / NOT IN path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pyarrow as pa
from sqlglot import exp

from dwsim_shared.experiment import INTEGER_TYPES, Table, TableForeignKey
from dwsim_shared.generation.plan import GenerationPlan, TablePlan
from dwsim_shared.generation.randomness import column_rng
from dwsim_shared.generation.rules.foreign_key import pick_parents
from dwsim_shared.generation.shard import CHUNK_ROWS

# A key's code is the mixed-radix number of its components' offsets from their lower bounds.
SPAN_LIMIT = 2**62
# (reduce the code modulo, multiplier, offset, multiplier, offset, final prime): every product
# stays below 2**62, so no engine's BIGINT overflows and numpy's int64 agrees bit for bit.
MIXES = (
    (2147483629, 1103515245, 12345, 69069, 1013904223, 2147483587),
    (2147483549, 1664525, 907633385, 134775813, 1, 2147483647),
)
VALUES_CHUNK = 1 << 20


def mix(codes: np.ndarray, which: int) -> np.ndarray:
    """One of the two digest functions on non-negative int64 codes (as the warehouse computes)."""
    p, a, b, c, d, q = MIXES[which]
    x = codes % p if len(codes) and int(codes.max()) >= p else codes
    left = x * a
    left += b
    left %= p
    right = x * c
    right += d
    right %= p
    left *= right
    left %= q
    return left


# The load-time digest folds a row's columns into 64 bits (XOR, then a multiplication by an odd
# constant, wrapping: a bijection of each column's value given the others) and keeps the top 31
# bits, twice with other constants. Wrapping uint64 arithmetic costs numpy a fraction of the
# modular mixes (a load keeps it beside the engine's ingest: about 10 ms per million rows).
FOLDS = ((0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F), (0xD6E8FEB86659FD93, 0xFF51AFD7ED558CCD))


def value_digest(values: list[np.ndarray]) -> tuple[int, int]:
    """The digest of rows of raw integer values (one int64 array per column, in the order of
    the columns' lower-cased names): the sum over rows of two pseudo-random functions of the row.

    Unlike the warehouse's digest (over a key's code relative to the contract's bounds) it
    needs no bounds, so each shard's is computed on its own while it loads and the shards'
    sums add up. Each function maps one column's values one-to-one onto 64 bits before keeping
    31 of them, so two different rows give the same pair of values only by coincidence (about
    2**-62 for a change not built against these constants; not cryptographic)."""
    if not values or not len(values[0]):
        return 0, 0
    out = []
    for offset, multiplier in FOLDS:
        x = np.full(len(values[0]), offset, dtype=np.uint64)
        for v in values:
            x ^= np.ascontiguousarray(v, dtype=np.int64).view(np.uint64)
            x *= np.uint64(multiplier)
        x >>= np.uint64(33)
        out.append(int(x.sum(dtype=np.uint64)))
    return out[0], out[1]


def _by_name(columns: list[str], values: list[np.ndarray]) -> list[np.ndarray]:
    """`values` (one per column of `columns`) in the order of the columns' lower-cased names."""
    return [v for _, v in sorted(zip([c.lower() for c in columns], values, strict=True),
                                 key=lambda pair: pair[0])]  # fmt: skip


@dataclass
class KeyFacts:
    """A key (or a foreign key's values) as the contract makes them."""

    columns: list[str]  # in code order
    bounds: list[tuple[int, int]]
    rows: int  # non-NULL tuples
    unique: bool
    codes: np.ndarray = field(repr=False)
    # The values of each column of `columns`, row by row (the load-time digest reads them).
    values: list[np.ndarray] = field(repr=False, default_factory=list)

    @cached_property
    def digest(self) -> tuple[int, int]:
        """The digest the warehouse's scan computes (`digest_selects`), over the codes."""
        return _digest(self.codes)

    @cached_property
    def loaded_digest(self) -> tuple[int, int]:
        """The digest the loader records per shard (`shard_facts`), over the raw values."""
        return value_digest(_by_name(self.columns, self.values))

    @property
    def dense(self) -> bool:
        """One integer column holding every value from its lowest to its highest, once."""
        return (
            len(self.columns) == 1
            and self.unique
            and self.bounds[0][1] - self.bounds[0][0] + 1 == self.rows
        )


@dataclass
class TableFacts:
    keys: dict[tuple[str, ...], KeyFacts] = field(default_factory=dict)  # lower-cased names
    joint_fks: dict[tuple[str, ...], KeyFacts] = field(default_factory=dict)


def key_id(names: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted(n.lower() for n in names))


def _radix(bounds: list[tuple[int, int]]) -> list[int] | None:
    spans = [hi - lo + 1 for lo, hi in bounds]
    total = 1
    for s in spans:
        total *= s
    if total >= SPAN_LIMIT:
        return None
    out, scale = [], 1
    for s in reversed(spans):
        out.append(scale)
        scale *= s
    return list(reversed(out))


def _encode(columns: list[np.ndarray], bounds: list[tuple[int, int]]) -> np.ndarray | None:
    radix = _radix(bounds)
    if radix is None:
        return None
    code = np.zeros(len(columns[0]), dtype=np.int64)
    for values, (lo, _), r in zip(columns, bounds, radix, strict=True):
        code += (values - lo) * r
    return code


def _digest(code: np.ndarray) -> tuple[int, int]:
    return int(mix(code, 0).sum()), int(mix(code, 1).sum())


def _key_facts(columns: list[str], values: list[np.ndarray]) -> KeyFacts | None:
    """A key's facts from its values in row order; unique is checked here on every value."""
    if not len(values[0]):
        return None
    bounds = [(int(v.min()), int(v.max())) for v in values]
    code = _encode(values, bounds)
    if code is None:
        return None
    return KeyFacts(columns, bounds, len(code), _all_distinct(code, code_span(bounds)), code,
                    values)  # fmt: skip


# Codes spanning at most this many times the rows are told distinct by marking each in a bitmap
# (one pass) instead of sorting them.
MARK_SPAN_PER_ROW = 16


def _all_distinct(code: np.ndarray, span: int) -> bool:
    """Whether no code repeats, checked on every code."""
    if span <= MARK_SPAN_PER_ROW * len(code):
        seen = np.zeros(span, dtype=np.bool_)
        seen[code] = True
        return int(np.count_nonzero(seen)) == len(code)
    ordered = np.sort(code)
    return not bool((ordered[1:] == ordered[:-1]).any())


def _ints(array: pa.Array | pa.ChunkedArray) -> np.ndarray | None:
    if array.null_count or not pa.types.is_integer(array.type):
        return None
    return np.asarray(array.to_numpy(zero_copy_only=False), dtype=np.int64)


def _integer_columns(table: Table, names: list[str] | tuple[str, ...]) -> bool:
    columns = [table.column(n) for n in names]
    return all(c is not None and c.data_type in INTEGER_TYPES for c in columns)


def _chunks(table_plan: TablePlan) -> list[tuple[int, int]]:
    """(row_start, row_count) of each chunk the generator made (`write_rows_parquet`): the
    random draws of a chunk are seeded by its first row."""
    shards = [(s.row_start, s.row_count) for s in table_plan.shards] or [(0, table_plan.rows)]
    out = []
    for start, count in shards:
        for chunk in range(start, start + count, CHUNK_ROWS):
            out.append((chunk, min(CHUNK_ROWS, start + count - chunk)))
    return out


def _parent_tables(table_plan: TablePlan) -> set[str]:
    table = table_plan.table
    out = {c.foreign_key.references_table.lower() for c in table.columns if c.foreign_key}
    return out | {fk.references_table.lower() for fk in table.foreign_keys or []}


def contract_facts(plan: GenerationPlan, seed: int, wanted: Callable[[str], bool]) -> dict[str, TableFacts]:  # fmt: skip
    """The keys of the tables `wanted` and of their parents, and the multi-column foreign keys
    of the tables `wanted`, as the generation contract makes them."""
    fast = {n for n, t in plan.tables.items() if wanted(t.table.name)}
    needed = fast | {p for n in fast for p in _parent_tables(plan.tables[n])}
    out: dict[str, TableFacts] = {name: TableFacts() for name in plan.tables}
    for name in needed & set(plan.tables):
        table_plan = plan.tables[name]
        table = table_plan.table
        for key in table.unique_keys():
            names = [c.name for c in (table.column(n) for n in key) if c is not None]
            if not names or key_id(names) in out[name].keys or not _integer_columns(table, names):
                continue
            if any(table_plan.null_rate(n) > 0 for n in names):
                continue
            made = _key_values(plan, seed, table_plan, names)
            found = _key_facts(names, made) if made is not None else None
            if found is not None:
                out[name].keys[key_id(names)] = found
    for name in fast:
        table_plan = plan.tables[name]
        for fk in table_plan.joint_foreign_keys():
            target = out.get(fk.references_table.lower(), TableFacts()).keys.get(
                key_id(fk.references_columns)
            )
            if target is None or not _integer_columns(table_plan.table, fk.columns):
                continue
            found = _joint_fk_facts(plan, seed, table_plan, fk, target)
            if found is not None:
                out[name].joint_fks[key_id(fk.columns)] = found
    return out


def _key_values(plan: GenerationPlan, seed: int, table_plan: TablePlan,
                names: list[str]) -> list[np.ndarray] | None:  # fmt: skip
    """A key's values at every row index (they depend on the index only, not on chunks)."""
    table, rows = table_plan.table.name, table_plan.rows
    if len(names) == 1 and table_plan.column(names[0]).unique:
        getter: Callable[[np.ndarray], dict[str, pa.Array]] = lambda idx: {  # noqa: E731
            names[0]: plan.value_at(seed, table, names[0], idx)
        }
    else:
        key = next((k for k in table_plan.composite_keys if key_id(k.columns) == key_id(names)),
                   None)  # fmt: skip
        if key is None:
            return None
        getter = lambda idx: plan.composite_columns(seed, table, key, idx)  # noqa: E731
    if not rows:
        return None
    parts: list[list[np.ndarray]] = [[] for _ in names]
    for start in range(0, rows, VALUES_CHUNK):
        idx = np.arange(start, min(rows, start + VALUES_CHUNK), dtype=np.int64)
        made = getter(idx)
        for i, n in enumerate(names):
            values = _ints(made[n])
            if values is None:
                return None
            parts[i].append(values)
    return [np.concatenate(p) for p in parts]


def _joint_fk_facts(plan: GenerationPlan, seed: int, table_plan: TablePlan, fk: TableForeignKey,
                    parent: KeyFacts) -> KeyFacts | None:  # fmt: skip
    """A multi-column foreign key's values as the parent's key codes at the rows the generator
    picks (`shard._joint_columns`, chunk by chunk), NULL rows left out: every value is a
    parent key by construction, so a warehouse that matches them has no orphan."""
    table = table_plan.table
    by_target = {t.lower(): c for c, t in zip(fk.columns, fk.references_columns, strict=True)}
    ordered = [by_target.get(p.lower()) for p in parent.columns]
    parent_rows = plan.rows(fk.references_table)
    if any(c is None for c in ordered) or parent_rows != len(parent.codes) or not parent_rows:
        return None
    names = [table.column(n).name for n in fk.columns]  # type: ignore[union-attr]
    label = "(" + ",".join(names) + ")"
    rate = table_plan.foreign_key_null_rate(fk)
    permutation = plan.key_permutation(seed, table.name, label, "parents")
    rows = []
    for start, count in _chunks(table_plan):
        rng = column_rng(seed, table.name, label, start)
        picks = np.asarray(
            pick_parents(rng, count, parent_rows, fk.parent_selection, permutation), dtype=np.int64
        )
        if rate > 0:
            null_rng = column_rng(seed, table.name, label + "#nulls", start)
            picks = picks[~(null_rng.random(count) < rate)]
        rows.append(picks)
    picked = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    code = parent.codes[picked]
    values = [v[picked] for v in parent.values] if parent.values else []
    child_columns = [table.column(c).name for c in ordered]  # type: ignore[arg-type, union-attr]
    return KeyFacts(child_columns, parent.bounds, len(code), False, code, values)


# What the warehouse computes: the same code and mixes, on the rows whose components all lie
# within the contract's bounds (any other row leaves the count short, so the check falls back).


def code_expression(columns: list[str], bounds: list[tuple[int, int]], column: Callable[[str], exp.Expression]) -> exp.Expression:  # fmt: skip
    radix = _radix(bounds)
    assert radix is not None
    inside = exp.and_(
        *[
            exp.Between(this=column(n), low=exp.Literal.number(lo), high=exp.Literal.number(hi))
            for n, (lo, hi) in zip(columns, bounds, strict=True)
        ]
    )
    code: exp.Expression | None = None
    for n, (lo, _), r in zip(columns, bounds, radix, strict=True):
        value = exp.Cast(this=column(n), to=exp.DataType.build("BIGINT"))
        term: exp.Expression = exp.Sub(this=value, expression=exp.Literal.number(lo))
        if r != 1:
            term = exp.Mul(this=exp.Paren(this=term), expression=exp.Literal.number(r))
        code = term if code is None else exp.Add(this=code, expression=term)
    assert code is not None
    return exp.Case(ifs=[exp.If(this=inside, true=code)])


def mix_expression(code: exp.Expression, which: int, span: int = SPAN_LIMIT) -> exp.Expression:
    """`mix` in SQL on codes below `span`: like `mix`, the first reduction modulo p is left out
    when every code is already below p (it would change nothing, and costs a VM step a row)."""
    p, a, b, c, d, q = MIXES[which]
    n = exp.Literal.number

    def mod(value: exp.Expression, m: int) -> exp.Expression:
        return exp.Mod(this=exp.Paren(this=value), expression=n(m))

    x = mod(code.copy(), p) if span > p else exp.Paren(this=code.copy())
    left = mod(exp.Add(this=exp.Mul(this=x, expression=n(a)), expression=n(b)), p)
    right = mod(exp.Add(this=exp.Mul(this=x.copy(), expression=n(c)), expression=n(d)), p)
    return mod(exp.Mul(this=left, expression=right), q)


def code_span(bounds: list[tuple[int, int]]) -> int:
    """How many codes a key's bounds allow (every code lies below it)."""
    total = 1
    for lo, hi in bounds:
        total *= hi - lo + 1
    return total


def digest_selects(facts: KeyFacts, column: Callable[[str], exp.Expression], alias: str,
                   dialect: str | None = None) -> tuple[list[exp.Expression], exp.Expression]:  # fmt: skip
    """COUNT of in-bounds rows and the two digest sums over the column `alias`, and the code
    that column holds (computed once per row in a derived table: each mix reads it twice)."""
    code = code_expression(facts.columns, facts.bounds, column)
    k = column(alias)
    span = code_span(facts.bounds)

    def summed(which: int) -> exp.Expression:
        mixed = mix_expression(k, which, span)
        if dialect == "sqlite":  # SUM of integers is exact there (it raises on an overflow)
            return exp.Sum(this=mixed)
        # Each mix is below 2**31 - 1: summed as INTEGER, PostgreSQL adds in a BIGINT
        # accumulator instead of NUMERIC (about twice as fast on 700k rows); sums stay exact.
        return exp.Sum(this=exp.Cast(this=mixed, to=exp.DataType.build("INT")))

    return [exp.Count(this=k), summed(0), summed(1)], code


def matches(facts: KeyFacts, values: list[object]) -> bool:
    """The warehouse's count and digests (from `digest_selects`) equal the contract's."""
    try:
        count, first, second = (int(v) if v is not None else 0 for v in values)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return False
    return count == facts.rows and (first, second) == facts.digest
