"""The generation plan: an experiment compiled once per run into rule objects per column.

`compile_plan(experiment, row_targets)` resolves each column's rule, whether it is unique,
the composite keys it walks (with their domains), the row counts and shard ranges. Validation,
DDL-import capping, generation, Parquet encoding and the validation report read the plan; the
run stores its `digest`, which changes exactly when something that decides the data changes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pyarrow as pa

from dwsim_shared.experiment import DEFAULT_NULL_RATE, Column, Experiment, Table, TableForeignKey
from dwsim_shared.generation.randomness import stable_hash
from dwsim_shared.generation.rules import Rule, select_rule
from dwsim_shared.generation.rules.base import ColumnContext, reference_time
from dwsim_shared.generation.rules.composite import (
    CompositeKey,
    component_domains,
    composite_values,
    key_domains,
)


@dataclass(frozen=True)
class ColumnPlan:
    column: Column
    rule: Rule
    unique: bool  # unique on its own (its flag, or a one-column primary key / unique constraint)
    composite: CompositeKey | None  # the jointly unique key that decides its values, if any

    @property
    def null_rate(self) -> float:
        return self.column.effective_null_rate


@dataclass(frozen=True)
class ShardRange:
    shard_index: int
    row_start: int
    row_count: int


@dataclass
class TablePlan:
    table: Table
    rows: int
    columns: list[ColumnPlan]
    composite_keys: list[CompositeKey]
    shards: list[ShardRange] = field(default_factory=list)

    def column(self, name: str) -> ColumnPlan:
        lowered = name.lower()
        return next(c for c in self.columns if c.column.name.lower() == lowered)

    def joint_foreign_keys(self) -> list[TableForeignKey]:
        """Multi-column foreign keys decided together (from one parent row, NULL together); one
        sharing a column with a composite key, or with an earlier such foreign key, is not."""
        taken = {n.lower() for k in self.composite_keys for n in k.columns}
        kept = []
        for fk in self.table.foreign_keys or []:
            names = {n.lower() for n in fk.columns}
            if not taken & names:  # the first decider of a column wins
                kept.append(fk)
                taken |= names
        return kept

    def foreign_key_null_rate(self, fk: TableForeignKey) -> float:
        columns = [self.table.column(n) for n in fk.columns]
        if not (fk.nullable or all(c is not None and c.nullable for c in columns)):
            return 0.0
        rates = [c.null_rate for c in columns if c is not None and c.null_rate is not None]
        return rates[0] if rates else DEFAULT_NULL_RATE

    def null_rate(self, name: str) -> float:
        """The share of NULLs generation puts in a column."""
        col = self.column(name)
        if col.composite is not None:
            return 0.0
        for fk in self.joint_foreign_keys():
            if col.column.name.lower() in (n.lower() for n in fk.columns):
                return self.foreign_key_null_rate(fk)
        return col.null_rate


@dataclass
class GenerationPlan:
    experiment: Experiment
    row_targets: dict[str, int]
    tables: dict[str, TablePlan]

    def table(self, name: str) -> TablePlan:
        return self.tables[name.lower()]

    def rows(self, table: str) -> int:
        return self.table(table).rows

    def context(self, seed: int, table: str, column: str) -> ColumnContext:
        plan = self.table(table)
        return ColumnContext(self.experiment, plan.table, plan.column(column).column, seed,
                             self.row_targets, self)  # fmt: skip

    def key_permutation(self, seed: int, *parts: str) -> int:
        return (seed ^ stable_hash(".".join(p.lower() for p in parts))) & (2**62 - 1)

    def composite_columns(
        self, seed: int, table: str, key: CompositeKey, indices: np.ndarray
    ) -> dict[str, pa.Array]:
        """Jointly unique values of a composite key at these row indices."""
        plan = self.table(table)

        def digit_value(name: str, digits: np.ndarray) -> pa.Array:
            ctx = self.context(seed, table, name)
            return plan.column(name).rule.value_at(ctx, digits, permuted=False)

        permutation = self.key_permutation(seed, plan.table.name, *key.columns)
        return composite_values(key, indices, permutation, digit_value)

    def value_at(self, seed: int, table: str, column: str, indices: np.ndarray) -> pa.Array:
        """The value a key (unique or composite-key) column has at these row indices."""
        col = self.table(table).column(column)
        if col.composite is not None and not col.unique:
            return self.composite_columns(seed, table, col.composite, indices)[col.column.name]
        return col.rule.value_at(self.context(seed, table, column), indices)

    @property
    def reference_time(self) -> dt.datetime:
        """The instant every rule that reads the clock sees as "now" (fixed in the experiment)."""
        return reference_time(self.experiment)

    @cached_property
    def reads_clock(self) -> bool:
        return any(
            c.rule.reads_clock(self.experiment) for t in self.tables.values() for c in t.columns
        )

    def describe(self) -> dict[str, Any]:
        """What decides the data: each column's rule and domains, the keys and the row counts,
        and the reference time when a rule reads the clock (only then, so a digest changes
        exactly when the data does)."""
        clock = {"reference_time": self.reference_time.isoformat()} if self.reads_clock else {}
        return {
            **clock,
            "locale": self.experiment.locale,
            "tables": [
                {
                    "name": t.table.name,
                    "rows": t.rows,
                    "columns": [
                        {"rule": c.rule.kind, "unique": c.unique, "spec": c.rule.spec()}
                        for c in t.columns
                    ],
                    "composite_keys": [
                        [list(k.columns), list(k.domains)] for k in t.composite_keys
                    ],
                    "foreign_keys": [
                        fk.model_dump(mode="json") for fk in t.table.foreign_keys or []
                    ],
                }
                for t in self.tables.values()
            ],
        }

    @cached_property
    def digest(self) -> str:
        canonical = json.dumps(self.describe(), sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(canonical.encode()).hexdigest()


def _composite_key(exp: Experiment, table: Table, key: list[str], rules: dict[str, Rule],
                   targets: dict[str, int]) -> CompositeKey:  # fmt: skip
    columns = [table.column(n) for n in key]
    names = tuple(c.name for c in columns if c is not None)
    chosen = [rules[n.lower()] for n in names]
    hard = [r.key_domain(exp, targets) for r in chosen]
    rows = targets.get(table.name, table.target_rows)
    return CompositeKey(names, tuple(key_domains(hard, component_domains(chosen, hard), rows)))


def compile_plan(
    experiment: Experiment, row_targets: dict[str, int] | None = None, shard_size: int | None = None
) -> GenerationPlan:
    """Resolve every column's rule once; shard ranges too when `shard_size` is given."""
    targets = {t.name: t.target_rows for t in experiment.tables}
    targets.update(row_targets or {})
    tables: dict[str, TablePlan] = {}
    for table in experiment.tables:
        rules = {c.name.lower(): select_rule(c) for c in table.columns}
        keys: list[CompositeKey] = []
        for key in table.joint_keys():
            if all(table.column(n) is not None for n in key):
                keys.append(_composite_key(experiment, table, key, rules, targets))
        columns = []
        for col in table.columns:
            composite = next((k for k in keys if col.name in k.columns), None)
            columns.append(
                ColumnPlan(col, rules[col.name.lower()], table.is_unique_column(col), composite)
            )
        rows = targets.get(table.name, table.target_rows)
        shards = []
        if shard_size:
            count = max(1, -(-rows // shard_size))
            shards = [ShardRange(i, i * shard_size, max(0, min(shard_size, rows - i * shard_size)))
                      for i in range(count)]  # fmt: skip
        tables.setdefault(table.name.lower(), TablePlan(table, rows, columns, keys, shards))
    return GenerationPlan(experiment, targets, tables)
