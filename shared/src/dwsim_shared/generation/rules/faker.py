"""`faker_rule`: values sampled from a seeded pool of `Faker(locale).<rule>()` values."""

from __future__ import annotations

import difflib
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dwsim_shared.experiment import Experiment, Table
from dwsim_shared.generation.faker_pools import (
    faker_has_rule,
    faker_pool,
    faker_rule_names,
    reads_clock,
)
from dwsim_shared.generation.rules.base import Check, ColumnContext, Problem, Rule
from dwsim_shared.generation.rules.unique import string_capacity, unique_strings


def fit_length(ctx: ColumnContext, strings: pa.Array) -> pa.Array:
    if ctx.column.varchar_length is None:
        return strings
    return pc.utf8_slice_codeunits(strings, 0, ctx.column.varchar_length)


def length_checks(rule: Rule) -> list[Check]:
    length = rule.column.varchar_length
    return [] if length is None else [Check("length", {"max": length})]


class FakerRule(Rule):
    kind = "faker"
    fields = ("faker_rule",)

    @property
    def method(self) -> str:
        assert self.column.faker_rule is not None
        return self.column.faker_rule

    def problems(self, exp: Experiment, table: Table, rows: int, unique: bool) -> Iterator[Problem]:
        capacity = self.capacity(exp, {})
        if unique and capacity is not None and capacity < rows:
            kind, length = self.column.data_type, self.column.varchar_length
            yield Problem(
                "varchar_length",
                f"{kind}({length}) holds at most {capacity} distinct values, fewer than target_rows {rows}",
            )
        if faker_has_rule(exp.locale, self.method):
            return
        close = difflib.get_close_matches(
            self.method, faker_rule_names(exp.locale), n=3, cutoff=0.6
        )
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        yield Problem(
            "faker_rule",
            f"{self.method!r} is not a Faker provider method for locale {exp.locale!r}{hint}",
        )

    def capacity(self, exp: Experiment, rows: dict[str, int]) -> int | None:
        return string_capacity(self.column.varchar_length)

    def generate(
        self, ctx: ColumnContext, indices: np.ndarray, rng: np.random.Generator
    ) -> pa.Array:
        pool = faker_pool(ctx.experiment.locale, self.method, ctx.pool_seed(), ctx.now)
        picks = pool.take(pa.array(rng.integers(0, len(pool), size=len(indices))))
        return fit_length(ctx, picks)

    def value_at(
        self, ctx: ColumnContext, indices: np.ndarray, *, permuted: bool = True
    ) -> pa.Array:
        return unique_strings(ctx, indices)

    def reads_clock(self, exp: Experiment) -> bool:
        return faker_has_rule(exp.locale, self.method) and reads_clock(exp.locale, self.method)

    def checks(self, rows: int, key_size: int | None = None) -> list[Check]:
        return length_checks(self)
