"""The validation report's checks of one table, as (at most) two SQL queries in the warehouse.

The exact checks are aggregates (or scalar subqueries) in a single SELECT over the whole table:
row count, duplicates of every primary/unique key (composite ones by GROUP BY), orphans of
every foreign key (a probe of the parent's key set in the same scan), ranges, lengths, choices
and the NULLs of required columns; one row breaking any of them fails it. The statistical
checks (null fractions of nullable columns, the moments of each distribution) answer a question
about a law, which a sample answers as well as the whole table: when the table holds more than
`SAMPLE_ROWS` rows they are computed on a sample of that size (a second, bounded query) and
each says so in the report (`"sampled": {"rows": N, "how": ...}`), its tolerance following N.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlglot import exp

from dwsim_shared.experiment import INTEGER_TYPES, Table
from dwsim_shared.generation.plan import ColumnPlan, GenerationPlan, TablePlan
from dwsim_shared.reports.contract import KeyFacts, TableFacts, digest_selects, key_id, matches
from dwsim_shared.reports.loaded import LoadedSet, LoadedTable

Evaluate = Callable[[list[Any]], tuple[Any, bool]]
# A fast check may not know: None sends it to its exact fallback query.
MaybeEvaluate = Callable[[list[Any]], "tuple[Any, bool] | None"]
# Tables up to this many rows are checked by the exact scan alone (cheap at that size); larger
# ones, when the run's seed is known, prove keys and foreign keys against the generation
# contract (reports/contract.py) and read the per-value checks from the sample.
EXACT_ROWS = 20_000
# In that fast mode the per-value checks read this many rows (no tolerance follows the size: a
# rule the data breaks systematically shows in any such sample; a single broken row does not).
VALUE_SAMPLE_ROWS = 20_000
DIGEST_HOW = (
    "the warehouse's {what} equal the generation contract's {rows} {kind} as an order-independent "
    "digest (two 31-bit sums of pseudo-random functions, count and bounds); a mismatch runs the "
    "exact query"
)
LOADED_HOW = (
    "the loader's facts of every loaded shard (counted, bounds and an order-independent digest "
    "of the {what} each shard's Parquet object put in the table) add up to the generation "
    "contract's {rows} {kind}, and the warehouse's COUNT(*) equals the rows the load ledger "
    "recorded; a mismatch runs the exact query"
)
# Moments need this many rows before they mean anything.
DISTRIBUTION_MIN_ROWS = 200
# The statistical checks read this many rows of a larger table. Their tolerances shrink as
# 1/sqrt(N): at 100k rows a null fraction is checked to about +-0.7 points and a mean to 0.02
# standard deviations, far closer than any broken law would come.
SAMPLE_ROWS = 100_000
SAMPLE_HOW = (
    "the first {rows} rows the warehouse returns (in load order): each row is drawn on its own "
    "from the column's law, so any {rows} rows are a sample of it"
)


PER_VALUE = ("range", "length", "choices", "null_fraction")


@dataclass
class PlannedCheck:
    """A check, the aggregates it reads from the table's query, and how to judge them."""

    table: str
    column: str | None
    check: str
    what: str
    expected: Any
    selects: list[exp.Expression]
    evaluate: MaybeEvaluate
    # A statistical check: evaluated on a sample when the table is larger than the sample.
    sampled: bool = False
    # The exact query's aggregates and judge, for a fast check that could not decide.
    fallback: tuple[list[exp.Expression], Evaluate] | None = None
    # How a fast check proved it (a callable when it is known only once the contract is).
    method: str | Callable[[], str] | None = None
    # Per-row values its aggregates read, computed once in a derived table: alias -> expression.
    derived: dict[str, exp.Expression] | None = None
    # A per-value check (range, length, choices, required NULLs) read from the value sample.
    per_value: bool = False


def _col(name: str, table: str | None = None) -> exp.Column:
    return exp.column(name.lower(), table=table, quoted=True)


def _count(value: exp.Expression | None = None, distinct: bool = False) -> exp.Expression:
    if value is None:
        return exp.Count(this=exp.Star())
    return exp.Count(this=exp.Distinct(expressions=[value]) if distinct else value)


def _number(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, (int, float, Decimal)):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _day(value: Any) -> str | None:
    """A date or timestamp as its ISO day, whatever the driver returned."""
    if value is None:
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    return str(value)[:10]


def null_tolerance(rate: float, rows: int) -> float:
    """How far an observed null fraction may stray: 5 binomial standard errors, plus a hair."""
    if rate <= 0 or rows == 0:
        return 0.0
    return 5 * math.sqrt(rate * (1 - rate) / rows) + 0.002


class TableChecks:
    """Collects a table's checks; `query()` renders the one SELECT that feeds them all."""

    def __init__(
        self, plan: GenerationPlan, table_plan: TablePlan, physical: Callable[[str], exp.Table],
        facts: dict[str, TableFacts] | None = None, verified: set[tuple[str, ...]] | None = None,
        exact_rows: int = EXACT_ROWS, dialect: str | None = None,
        loaded: dict[str, LoadedTable] | None = None,
        contract: Callable[[], dict[str, TableFacts]] | None = None,
    ) -> None:  # fmt: skip
        self.plan, self.table_plan, self.physical = plan, table_plan, physical
        self.dialect = dialect  # the engine's, when known: digests take its cheapest form
        self.table: Table = table_plan.table
        self.checks: list[PlannedCheck] = []
        # The contract's key facts of every table (None: no seed, exact checks only), and the
        # keys whose warehouse digest matched them (parents are checked before children).
        self.facts = facts or {}
        self.own = self.facts.get(self.table.name.lower(), TableFacts())
        self.verified = verified if verified is not None else set()
        self.fast = (facts is not None or contract is not None) and table_plan.rows > exact_rows
        self.codes = 0
        self._any_null_select: exp.Expression | None = None
        # What the run's loaders recorded of this table (None: the report reads the warehouse).
        found = (loaded or {}).get(self.table.name.lower())
        self.loaded = found if found is not None and found.sets is not None else None
        # Proven from the loads' facts: the contract's facts are needed only to judge (they
        # are computed meanwhile, while the warehouse answers), never to build a query.
        self.contract = contract if self.loaded is not None else None

    def _loaded(self, kind: str, names: list[str] | tuple[str, ...]) -> LoadedSet | None:
        if self.loaded is None or self.loaded.sets is None:
            return None
        return self.loaded.sets.get(f"{kind}:" + ",".join(key_id(names)))

    def _ledger_rows(self, v: list[Any]) -> bool:
        """The warehouse's COUNT(*) is the rows the ledger says the shards loaded."""
        assert self.loaded is not None
        return v[0] is not None and int(v[0]) == self.loaded.rows

    def _digest(self, facts: KeyFacts) -> tuple[list[exp.Expression], dict[str, exp.Expression]]:
        alias = f"dwsim_code_{self.codes}"
        self.codes += 1
        selects, code = digest_selects(facts, _col, alias, self.dialect)
        return selects, {alias: code}

    def add(self, column: str | None, check: str, what: str, expected: Any,
            selects: list[exp.Expression], evaluate: MaybeEvaluate, sampled: bool = False,
            fallback: tuple[list[exp.Expression], Evaluate] | None = None,
            method: str | Callable[[], str] | None = None,
            derived: dict[str, exp.Expression] | None = None,
            ) -> None:  # fmt: skip
        # In the fast mode the per-value checks (ranges, lengths, choices, required NULLs) are
        # read from a sample: on a large table they would cost more than loading it.
        per_value = self.fast and not sampled and check in PER_VALUE
        self.checks.append(PlannedCheck(self.table.name, column, check, what, expected, selects,
                                        evaluate, sampled or per_value, fallback, method, derived,
                                        per_value))  # fmt: skip

    def build(self) -> TableChecks:
        rows = self.table_plan.rows
        self.add(None, "row_count", f"{self.table.name} holds its target rows", rows,
                 [_count()], lambda v: (int(v[0]), int(v[0]) == rows))  # fmt: skip
        for key in _distinct_keys(self.table):
            self._unique(key)
        for columns, parent, targets in _foreign_keys(self.table):
            self._resolves(columns, parent, targets)
        for col in self.table_plan.columns:
            self._nulls(col)
            for rule_check in col.rule.checks(rows, self._key_size(col, rows)):
                self._rule_check(col, rule_check.kind, rule_check.expected, rows)
        return self

    def _any_null(self) -> exp.Expression:
        """Rows with a NULL in any column that must never be NULL (built once per table: every
        required column's check reads the same aggregate, and comparing rebuilt copies of it
        cost more than the rest of the table's checks)."""
        if self._any_null_select is not None:
            return self._any_null_select
        required = [c.column.name for c in self.table_plan.columns
                    if self.table_plan.null_rate(c.column.name) <= 0]  # fmt: skip
        anywhere = exp.or_(*[exp.Is(this=_col(n), expression=exp.Null()) for n in required])
        self._any_null_select = exp.Sum(
            this=exp.Case(ifs=[exp.If(this=anywhere, true=exp.Literal.number(1))],
                          default=exp.Literal.number(0))
        )  # fmt: skip
        return self._any_null_select

    @staticmethod
    def _key_size(col: ColumnPlan, rows: int) -> int | None:
        """How many index positions a key column's values come from (None: not a key)."""
        if col.unique:
            return rows
        if col.composite is not None:
            return col.composite.domains[col.composite.columns.index(col.column.name)]
        return None

    def _unique(self, key: list[str]) -> None:
        names = ", ".join(key)
        if len(key) == 1:
            column = _col(key[0])
            select: exp.Expression = exp.Sub(
                this=_count(column), expression=_count(column, distinct=True)
            )
        else:
            grouped = (
                exp.select(*[_col(n) for n in key], copy=False)
                .from_(self.physical(self.table.name), copy=False)
                .group_by(*[_col(n) for n in key], copy=False)
                .having(exp.GT(this=_count(), expression=exp.Literal.number(1)), copy=False)
            )
            select = exp.Subquery(
                this=exp.select(_count(), copy=False).from_(
                    grouped.subquery("dup", copy=False), copy=False
                )
            )

        def exact(v: list[Any]) -> tuple[Any, bool]:
            return {"duplicates": int(v[0] or 0)}, int(v[0] or 0) == 0

        column_name = names if len(key) == 1 else None
        what = f"({names}) is unique: no value repeats"
        if self.contract is not None:
            self._unique_from_loads(key, column_name, what, select, exact)
            return
        facts = self.own.keys.get(key_id(key))
        if facts is None:
            self.add(column_name, "unique", what, {"duplicates": 0}, [select], exact)
            return
        marker = (self.table.name.lower(), *key_id(key))
        digest, derived = self._digest(facts)
        if not self.fast:  # exact, and the digest too: a child's fast check may rely on it

            def both(v: list[Any]) -> tuple[Any, bool]:
                observed, ok = exact(v)
                if ok and facts.unique and matches(facts, v[1:]):
                    self.verified.add(marker)
                return observed, ok

            self.add(column_name, "unique", what, {"duplicates": 0}, [select, *digest], both,
                     derived=derived)  # fmt: skip
            return

        def fast(v: list[Any]) -> tuple[Any, bool] | None:
            if not (facts.unique and matches(facts, v)):
                return None
            self.verified.add(marker)
            return {"duplicates": 0}, True

        method = DIGEST_HOW.format(what="keys", rows=f"{facts.rows:,}", kind="unique keys")
        self.add(column_name, "unique", what, {"duplicates": 0}, digest, fast,
                 fallback=([select], exact), method=method, derived=derived)  # fmt: skip

    def _contract_of(self, table: str) -> TableFacts:
        assert self.contract is not None
        return self.contract().get(table.lower(), TableFacts())

    def _unique_from_loads(self, key: list[str], column_name: str | None, what: str,
                           select: exp.Expression, exact: Evaluate) -> None:  # fmt: skip
        """A key proven from the loaded shards' facts (equal to the contract's) and the
        warehouse's COUNT(*) (equal to the ledger's rows); a small table runs its exact query
        and the facts only mark the key proven for its children's checks."""
        ledger = self._loaded("key", key)
        if ledger is None:
            self.add(column_name, "unique", what, {"duplicates": 0}, [select], exact)
            return
        marker = (self.table.name.lower(), *key_id(key))

        def facts() -> KeyFacts | None:
            return self._contract_of(self.table.name).keys.get(key_id(key))

        def loads_match(count: Any) -> bool:
            found = facts()
            ok = (found is not None and found.unique and self._ledger_rows([count])
                  and loaded_matches(found, ledger))  # fmt: skip
            if ok:
                self.verified.add(marker)
            return ok

        if not self.fast:

            def both(v: list[Any]) -> tuple[Any, bool]:
                observed, ok = exact(v)
                if ok:
                    loads_match(v[1])
                return observed, ok

            self.add(column_name, "unique", what, {"duplicates": 0}, [select, _count()], both)
            return

        def proven(v: list[Any]) -> tuple[Any, bool] | None:
            return ({"duplicates": 0}, True) if loads_match(v[0]) else None

        def method() -> str:
            rows = facts().rows  # type: ignore[union-attr]
            return LOADED_HOW.format(what="keys", rows=f"{rows:,}", kind="unique keys")

        self.add(column_name, "unique", what, {"duplicates": 0}, [_count()], proven,
                 fallback=([select], exact), method=method)  # fmt: skip

    def _resolves_from_loads(
        self, columns: list[str], parent: str, targets: list[str]
    ) -> tuple[list[exp.Expression], MaybeEvaluate, Callable[[], str], None] | None:
        """A foreign key proven from the loaded shards' facts: the parent's key proven (by its
        own check, parents first), and the child's values inside it (one column: the loads'
        MIN/MAX within the parent's consecutive integers; several: the loads' digest equal to
        the contract's, whose values are each a parent key)."""
        ledger = self._loaded("fk", columns)
        if ledger is None:
            return None
        marker = (parent.lower(), *key_id(targets))
        if len(columns) == 1:
            child_column = self.table.column(columns[0])
            if child_column is None or child_column.data_type not in INTEGER_TYPES:
                return None

            def parent_key() -> KeyFacts | None:
                return self._contract_of(parent).keys.get(key_id(targets))

            def within(v: list[Any]) -> tuple[Any, bool] | None:
                found = parent_key()
                if found is None or not found.dense or marker not in self.verified:
                    return None
                lo, hi = found.bounds[0]
                inside = ledger.low is None or (
                    ledger.high is not None and ledger.low[0] >= lo and ledger.high[0] <= hi
                )
                return ({"orphans": 0}, True) if inside and self._ledger_rows(v) else None

            def method() -> str:
                found = parent_key()
                assert found is not None
                lo, hi = found.bounds[0]
                return (f"{parent}'s key matched the generation contract's {found.rows:,} "
                        f"consecutive integers {lo}..{hi}, and every {columns[0]} the loaded "
                        "shards hold lies within them (the loader's MIN/MAX of each shard; the "
                        "warehouse's COUNT(*) equals the rows the load ledger recorded); "
                        "otherwise the exact probe runs")  # fmt: skip

            return [_count()], within, method, None

        def child() -> KeyFacts | None:
            return self._contract_of(self.table.name).joint_fks.get(key_id(columns))

        def same(v: list[Any]) -> tuple[Any, bool] | None:
            found = child()
            ok = (found is not None and marker in self.verified and self._ledger_rows(v)
                  and loaded_matches(found, ledger))  # fmt: skip
            return ({"orphans": 0}, True) if ok else None

        def joint_method() -> str:
            rows = child().rows  # type: ignore[union-attr]
            return LOADED_HOW.format(what="values", rows=f"{rows:,}",
                                     kind=f"values, each a key of {parent}")  # fmt: skip

        return [_count()], same, joint_method, None

    def _resolves(self, columns: list[str], parent: str, targets: list[str]) -> None:
        """Orphans counted inside the table's one scan: each row's key is probed in the set of
        the parent's keys (built once per query by every engine), not by a join of its own."""
        present = exp.and_(
            *[exp.Not(this=exp.Is(this=_col(c), expression=exp.Null())) for c in columns]
        )
        # NULL parent keys are left out of the set: one would make every NOT IN unknown.
        keys = (
            exp.select(*[_col(t) for t in targets], copy=False)
            .from_(self.physical(parent), copy=False)
            .where(
                exp.and_(
                    *[exp.Not(this=exp.Is(this=_col(t), expression=exp.Null())) for t in targets]
                ),
                copy=False,
            )
        )
        probe: exp.Expression = (
            _col(columns[0])
            if len(columns) == 1
            else exp.Tuple(expressions=[_col(c) for c in columns])
        )
        orphan = exp.and_(present, exp.Not(this=exp.In(this=probe, query=exp.Subquery(this=keys))))
        orphans = exp.Sum(
            this=exp.Case(
                ifs=[exp.If(this=orphan, true=exp.Literal.number(1))], default=exp.Literal.number(0)
            )
        )
        names, target_names = ", ".join(columns), ", ".join(targets)
        if len(columns) == 1:
            what = f"every {names} value exists in {parent}.{target_names}"
        else:
            what = f"every ({names}) exists in {parent} ({target_names})"

        def exact(v: list[Any]) -> tuple[Any, bool]:
            return {"orphans": int(v[0] or 0)}, int(v[0] or 0) == 0

        column_name = names if len(columns) == 1 else None
        fast: tuple[list[exp.Expression], MaybeEvaluate, Any, Any] | None = None
        if self.fast and self.contract is not None:
            fast = self._resolves_from_loads(columns, parent, targets)
        elif self.fast:
            fast = self._fast_resolves(columns, parent, targets)
        if fast is None:
            self.add(column_name, "foreign_key", what, {"orphans": 0}, [orphans], exact)
            return
        selects, judge, method, derived = fast
        self.add(column_name, "foreign_key", what, {"orphans": 0}, selects, judge,
                 fallback=([orphans], exact), method=method, derived=derived)  # fmt: skip

    def _fast_resolves(
        self, columns: list[str], parent: str, targets: list[str]
    ) -> tuple[list[exp.Expression], MaybeEvaluate, str, dict[str, exp.Expression] | None] | None:
        """A foreign key proven without probing the parent: the parent's key matched the
        contract in the warehouse, and the child's values are inside it (a dense integer key:
        MIN/MAX of the child within its bounds; a multi-column key: the child's values match
        the contract's, which lie in the parent's contract keys, checked on every value)."""
        parent_facts = self.facts.get(parent.lower(), TableFacts()).keys.get(key_id(targets))
        if parent_facts is None:
            return None
        marker = (parent.lower(), *key_id(targets))
        child_column = self.table.column(columns[0])
        integer = child_column is not None and child_column.data_type in INTEGER_TYPES
        if len(columns) == 1 and parent_facts.dense and integer:
            lo, hi = parent_facts.bounds[0]
            column = _col(columns[0])

            def inside(v: list[Any]) -> tuple[Any, bool] | None:
                low, high = v
                ok = low is None or (int(low) >= lo and int(high) <= hi)
                return ({"orphans": 0}, True) if ok and marker in self.verified else None

            method = (f"{parent}'s key matched the generation contract's {parent_facts.rows:,} "
                      f"consecutive integers {lo}..{hi} (digest), and every {columns[0]} lies "
                      "within them (MIN/MAX); otherwise the exact probe runs")  # fmt: skip
            return [exp.Min(this=column), exp.Max(this=column)], inside, method, None
        child: KeyFacts | None = self.own.joint_fks.get(key_id(columns))
        if child is None:
            return None

        def same(v: list[Any]) -> tuple[Any, bool] | None:
            ok = marker in self.verified and matches(child, v)
            return ({"orphans": 0}, True) if ok else None

        method = DIGEST_HOW.format(what="values", rows=f"{child.rows:,}",
                                   kind=f"values, each a key of {parent}")  # fmt: skip
        selects, derived = self._digest(child)
        return selects, same, method, derived

    def _nulls(self, col: ColumnPlan) -> None:
        """A column that must not be NULL is checked on every row (one NULL fails it); the
        NULL fraction of a nullable one is a law, checked on the sample with its tolerance."""
        name, rate = col.column.name, self.table_plan.null_rate(col.column.name)
        column = _col(name)
        if rate <= 0:

            def none(v: list[Any]) -> tuple[Any, bool]:
                total, present = int(v[0] or 0), int(v[1] or 0)
                observed = (total - present) / total if total else 0.0
                return round(observed, 5), total == present

            counts = [_count(), _count(column)]
            if not self.fast:
                self.add(name, "null_fraction", f"{name} is never NULL",
                         {"rate": 0.0, "tolerance": 0.0}, counts, none)  # fmt: skip
                return

            # Fast: one count of rows with a NULL in any required column serves them all (an
            # engine that knows a column NOT NULL drops its test); a NULL seen runs the exact
            # count of each column over the whole table.
            def nothing(v: list[Any]) -> tuple[Any, bool] | None:
                return (0.0, True) if int(v[0] or 0) == 0 else None

            self.add(name, "null_fraction", f"{name} is never NULL",
                     {"rate": 0.0, "tolerance": 0.0}, [self._any_null()], nothing,
                     fallback=(counts, none))  # fmt: skip
            return

        def evaluate(v: list[Any]) -> tuple[Any, bool]:
            total, present = int(v[0] or 0), int(v[1] or 0)
            observed = (total - present) / total if total else 0.0
            return round(observed, 5), abs(observed - rate) <= null_tolerance(rate, total)

        # The tolerance shown is the one of the table's full size; judged, it follows the rows read.
        self.add(name, "null_fraction", f"{name} is NULL in about {rate:.1%} of rows",
                 {"rate": rate, "tolerance": round(null_tolerance(rate, self.table_plan.rows), 5)},
                 [_count(), _count(column)], evaluate, sampled=True)  # fmt: skip

    def _rule_check(self, col: ColumnPlan, kind: str, expected: dict[str, Any], rows: int) -> None:
        name, column = col.column.name, _col(col.column.name)
        if kind == "range":
            low, high = expected["min"], expected["max"]
            slack = (
                10.0 ** -(col.column.decimal_precision_scale[1])
                if col.column.data_type == "DECIMAL"
                else 1e-9
            )

            def in_range(v: list[Any]) -> tuple[Any, bool]:
                lo, hi = _number(v[0]), _number(v[1])
                ok = lo is None or (lo >= low - slack and hi is not None and hi <= high + slack)
                return {"min": lo, "max": hi}, ok

            self.add(name, "range", f"{name} lies in {low:g}..{high:g}", expected,
                     [exp.Min(this=column), exp.Max(this=column)], in_range)  # fmt: skip
        elif kind == "date_range":

            def in_days(v: list[Any]) -> tuple[Any, bool]:
                lo, hi = _day(v[0]), _day(v[1])
                ok = lo is None or (
                    lo >= expected["min"] and hi is not None and hi <= expected["max"]
                )
                return {"min": lo, "max": hi}, ok

            self.add(name, "range", f"{name} lies in {expected['min']}..{expected['max']}", expected,
                     [exp.Min(this=column), exp.Max(this=column)], in_days)  # fmt: skip
        elif kind == "length":
            length = exp.Length(this=column)
            low_len = expected.get("min")

            def fits(v: list[Any]) -> tuple[Any, bool]:
                lo, hi = _number(v[0]), _number(v[1])
                ok = hi is None or (
                    hi <= expected["max"] and (low_len is None or (lo or 0) >= low_len)
                )
                return {"min": lo, "max": hi}, ok

            what = (
                f"{name} is {low_len}..{expected['max']} characters"
                if low_len
                else f"{name} fits {expected['max']} characters"
            )
            self.add(
                name, "length", what, expected, [exp.Min(this=length), exp.Max(this=length)], fits
            )
        elif kind == "choices" and expected["values"] and col.column.data_type != "BOOLEAN":
            outside = exp.Not(
                this=exp.In(this=column, expressions=[exp.convert(c) for c in expected["values"]])
            )
            stray = exp.Sum(this=exp.Case(ifs=[exp.If(this=outside, true=exp.Literal.number(1))],
                                          default=exp.Literal.number(0)))  # fmt: skip
            self.add(name, "choices", f"{name} takes only its {len(expected['values'])} choices",
                     {"outside": 0}, [stray], lambda v: ({"outside": int(v[0] or 0)}, int(v[0] or 0) == 0))  # fmt: skip
        elif kind == "distribution" and rows >= DISTRIBUTION_MIN_ROWS:
            self._moments(col, expected)

    def _moments(self, col: ColumnPlan, expected: dict[str, Any]) -> None:
        name = col.column.name
        value = exp.Cast(this=_col(name), to=exp.DataType.build("DOUBLE"))
        mean, std, spread = expected["mean"], expected["stddev"], expected["variance_spread"]

        def close(v: list[Any]) -> tuple[Any, bool]:
            # Six standard errors of the sample mean and variance (central limit theorem), plus
            # a little for rounding to the column's scale: a wrong law misses by far more.
            n, avg, avg_sq = int(v[0] or 0), _number(v[1]), _number(v[2])
            if not n or avg is None or avg_sq is None:
                return {"rows": n}, False
            variance = max(avg_sq - avg * avg, 0.0)
            mean_ok = abs(avg - mean) <= 6 * std / math.sqrt(n) + 0.01 * std + 1e-9
            variance_ok = (
                abs(variance - std * std) <= 6 * spread / math.sqrt(n) + 0.02 * std * std + 1e-9
            )
            observed = {"mean": round(avg, 6), "stddev": round(math.sqrt(variance), 6), "rows": n}
            return observed, mean_ok and variance_ok

        self.add(name, "distribution", f"{name} follows its {expected['law']} law (mean and spread)",
                 {"mean": round(mean, 6), "stddev": round(std, 6)},
                 [_count(_col(name)), exp.Avg(this=value), exp.Avg(this=exp.Mul(this=value, expression=value.copy()))],
                 close, sampled=True)  # fmt: skip

    def queries(self, dialect: str, sample_rows: int = SAMPLE_ROWS,
                value_rows: int = VALUE_SAMPLE_ROWS) -> list[Query]:  # fmt: skip
        """The exact scan, and (for a table larger than the sample) the sample's query, and in
        the fast mode the value sample's; each with the checks it feeds. An aggregate several
        checks need is computed once."""
        rows = self.table_plan.rows
        statistical = [c for c in self.checks if c.sampled and not c.per_value]
        values = [c for c in self.checks if c.per_value]
        stat_n = sample_rows if statistical and rows > sample_rows else None
        value_n: int | None = min(value_rows, sample_rows)
        if not values or rows <= (value_n or 0):
            value_n = None
        exact = [c for c in self.checks if not c.sampled
                 or (c.per_value and value_n is None) or (not c.per_value and stat_n is None)]  # fmt: skip
        out = [Query.of(exact, self._scanned(exact, dialect), dialect, None, 0)]
        if stat_n is not None:
            # The law's sample reads only the columns its checks read: SQLite copies every
            # column a LIMIT subquery names, row by row (0.07 s instead of 0.12 s for
            # lineitem's 100,000 rows).
            sample = self._sample(stat_n, self._read(statistical))
            out.append(Query.of(statistical, sample, dialect, stat_n, len(out)))
        if value_n is not None:
            out.append(Query.of(values, self._sample(value_n), dialect, value_n, len(out)))
        return out

    def _read(self, checks: list[PlannedCheck]) -> list[str]:
        """The table's columns the aggregates of `checks` read."""
        own = {c.name.lower(): c.name for c in self.table.columns}
        return sorted({own[col.name.lower()] for c in checks for s in c.selects
                       for col in s.find_all(exp.Column) if col.name.lower() in own})  # fmt: skip

    def _sample(self, size: int, read: list[str] | None = None) -> exp.Expression:
        columns = read or sorted({c.name for c in self.table.columns}, key=str.lower)
        return (
            exp.select(*[_col(n) for n in columns], copy=False)
            .from_(self.physical(self.table.name), copy=False)
            .limit(size, copy=False)
            .subquery("sample", copy=False)
        )

    def _scanned(self, checks: list[PlannedCheck], dialect: str) -> exp.Expression:
        """The table, or (when digests read per-row codes) a derived table of the columns the
        aggregates read and the codes. On SQLite it is fenced (`LIMIT -1`) so each code is
        computed once per row, not inlined into every aggregate that reads it; PostgreSQL
        inlines it but then splits the scan among parallel workers, which a fence (`OFFSET 0`)
        forbids (measured faster without it)."""
        table = self.physical(self.table.name)
        derived = {k: v for c in checks for k, v in (c.derived or {}).items()}
        if not derived:
            return table
        own = {c.name.lower(): c.name for c in self.table.columns}
        used = sorted({col.name for c in checks for s in c.selects for col in s.find_all(exp.Column)
                       if col.name.lower() in own})  # fmt: skip
        inner = exp.select(*[_col(n) for n in used],
                           *[exp.alias_(v, k, quoted=True, copy=False) for k, v in derived.items()],
                           copy=False).from_(table, copy=False)  # fmt: skip
        if dialect == "sqlite":
            inner = inner.limit(exp.Literal.number(-1), copy=False)
        return inner.subquery("scanned", copy=False)


@dataclass
class Query:
    """One query of a table's report, the checks it feeds, and the sample size (None: exact)."""

    sql: str
    checks: list[PlannedCheck]
    sample_rows: int | None
    expression: exp.Select | None = None
    width: int = 0  # the values its one row holds

    @classmethod
    def of(cls, checks: list[PlannedCheck], source: exp.Expression, dialect: str,
           sample_rows: int | None, part: int) -> Query:  # fmt: skip
        """The SELECT of `checks`' aggregates (each once) over `source`; its columns are named
        after `part` so that a table's queries can share one statement (`one_statement`)."""
        selects = _distinct_selects(checks)
        aliased = [exp.alias_(s, f"q{part}c{i}", copy=False) for i, s in enumerate(selects)]
        select = exp.select(*aliased, copy=False).from_(source, copy=False)
        return cls(select.sql(dialect=dialect), checks, sample_rows, select, len(selects))

    def evaluate(self, values: list[Any]) -> list[tuple[PlannedCheck, Any, bool] | PlannedCheck]:
        """Each check's observation and verdict, from the query's one row; a fast check that
        could not decide is returned on its own (its exact fallback query decides)."""
        positions = {s: i for i, s in enumerate(_distinct_selects(self.checks))}
        out: list[tuple[PlannedCheck, Any, bool] | PlannedCheck] = []
        for check in self.checks:
            result = check.evaluate([values[positions[s]] for s in check.selects])
            out.append(check if result is None else (check, *result))
        return out


def loaded_matches(facts: KeyFacts, loaded: LoadedSet) -> bool:
    """The loaded shards' facts of a column set add up to the contract's: as many rows, every
    value within the contract's bounds (a key's bounds are its own MIN/MAX: equal), and the same
    digest of the raw values."""
    if loaded.rows != facts.rows or loaded.digest is None or loaded.low is None:
        return False
    if loaded.high is None or len(loaded.low) != len(facts.columns):
        return False
    by_name = sorted(zip([c.lower() for c in facts.columns], facts.bounds, strict=True))
    bounds = [b for _, b in by_name]
    seen = list(zip(loaded.low, loaded.high, strict=True))
    if facts.unique:
        inside = seen == bounds
    else:
        inside = all(lo <= low and high <= hi for (low, high), (lo, hi) in zip(seen, bounds, strict=True))  # fmt: skip
    return inside and loaded.digest == facts.loaded_digest


def one_statement(queries: list[Query], dialect: str) -> str:
    """A table's queries as one statement (each a derived table of one row, cross-joined):
    one round trip instead of several, which on the Snowflake emulator (about 0.1 s of HTTP
    and SQL translation a statement) is most of a small query's cost. Its row holds each
    query's values in turn (`Query.width` each)."""
    if len(queries) == 1:
        return queries[0].sql
    parts = [q.expression for q in queries if q.expression is not None]
    assert len(parts) == len(queries)
    combined = exp.select(exp.Star(), copy=False).from_(
        parts[0].subquery("q0", copy=False), copy=False
    )
    for i, part in enumerate(parts[1:], start=1):
        combined = combined.join(part.subquery(f"q{i}", copy=False), join_type="cross", copy=False)
    return combined.sql(dialect=dialect)


def fallback_sql(check: PlannedCheck, source: exp.Expression, dialect: str) -> str:
    """The exact query of a fast check that could not decide."""
    assert check.fallback is not None
    selects = check.fallback[0]
    aliased = [exp.alias_(s.copy(), f"c{i}") for i, s in enumerate(selects)]
    return exp.select(*aliased).from_(source).sql(dialect=dialect)


def _distinct_selects(checks: list[PlannedCheck]) -> list[exp.Expression]:
    """The aggregates of `checks`, each once (COUNT(*) is asked by every null check)."""
    seen: dict[exp.Expression, None] = {}
    for check in checks:
        for select in check.selects:
            seen.setdefault(select, None)
    return list(seen)


def _distinct_keys(table: Table) -> list[list[str]]:
    seen: set[tuple[str, ...]] = set()
    out = []
    for key in table.unique_keys():
        names = [table.column(n).name for n in key if table.column(n) is not None]  # type: ignore[union-attr]
        marker = tuple(sorted(n.lower() for n in names))
        if names and marker not in seen:
            seen.add(marker)
            out.append(names)
    return out


def _foreign_keys(table: Table) -> list[tuple[list[str], str, list[str]]]:
    out = [([c.name], c.foreign_key.references_table, [c.foreign_key.references_column])
           for c in table.columns if c.foreign_key is not None]  # fmt: skip
    out += [
        (fk.columns, fk.references_table, fk.references_columns) for fk in table.foreign_keys or []
    ]
    return out
