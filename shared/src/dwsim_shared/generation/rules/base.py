"""What every rule kind answers: the fields that select it, its problems, domain and values.

A rule is chosen once per column (`rules.select_rule`) and compiled into the run's
`GenerationPlan`; validation, DDL-import capping, generation and the validation report
ask the rule instead of reading `Column`'s fields themselves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pyarrow as pa

from dwsim_shared.experiment import Column, Experiment, Table
from dwsim_shared.generation.arrow_types import arrow_type
from dwsim_shared.generation.clock import DEFAULT_REFERENCE_TIME, as_utc
from dwsim_shared.generation.randomness import stable_hash

if TYPE_CHECKING:
    from dwsim_shared.generation.plan import GenerationPlan

EPOCH = dt.date(1970, 1, 1)


def reference_time(exp: Experiment) -> dt.datetime:
    return as_utc(exp.reference_time or DEFAULT_REFERENCE_TIME)


MICROS_PER_DAY = 86_400_000_000


@dataclass(frozen=True)
class Problem:
    """A validation message; `path` is relative to where it is reported (column or table)."""

    path: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


@dataclass(frozen=True)
class ColumnContext:
    """What a rule may use besides the row indices and its random stream."""

    experiment: Experiment
    table: Table
    column: Column
    seed: int
    row_targets: dict[str, int]
    plan: GenerationPlan | None = None

    @property
    def arrow_type(self) -> pa.DataType:
        return arrow_type(self.column)

    @property
    def rows(self) -> int:
        return self.row_targets.get(self.table.name, self.table.target_rows)

    def permutation_key(self) -> int:
        name = f"{self.table.name}.{self.column.name}#perm".lower()
        return (self.seed ^ stable_hash(name)) & (2**62 - 1)

    @property
    def now(self) -> dt.datetime:
        """The experiment's reference time: what a rule reading the clock sees as "now"."""
        return reference_time(self.experiment)

    def pool_seed(self) -> int:
        name = f"{self.table.name}.{self.column.name}".lower()
        return (self.seed ^ stable_hash(name)) & (2**32 - 1)


@dataclass(frozen=True)
class Check:
    """One thing the validation report verifies in the warehouse for a column.

    `kind` is one of range, length, choices, distribution; `expected` is what the rule
    promises, in plain JSON.
    """

    kind: str
    expected: dict[str, Any]


class Rule:
    """One way of producing a column's values. Subclasses set `kind` and `fields`."""

    kind: ClassVar[str]
    # The column fields whose presence selects this rule (empty: chosen by data type).
    fields: ClassVar[tuple[str, ...]] = ()
    # Types the rule serves; None: any.
    types: ClassVar[frozenset[str] | None] = None

    def __init__(self, column: Column) -> None:
        self.column = column

    @classmethod
    def selects(cls, column: Column) -> bool:
        """Whether the column's fields ask for this rule."""
        return any(getattr(column, f) is not None for f in cls.fields)

    def problems(self, exp: Experiment, table: Table, rows: int, unique: bool) -> Iterator[Problem]:
        """What makes the rule unable to hold on `rows` rows (paths relative to the column)."""
        return iter(())

    def capacity(self, exp: Experiment, rows: dict[str, int]) -> int | None:
        """How many distinct values the rule can produce for a unique column; None: unlimited."""
        return None

    def key_domain(self, exp: Experiment, rows: dict[str, int]) -> int | None:
        """The bounded set of values the column walks in a composite key; None: as needed."""
        return None

    def soft_domain(self) -> int | None:
        """A default size for an unbounded key component (a date's default range)."""
        return None

    def generate(
        self, ctx: ColumnContext, indices: np.ndarray, rng: np.random.Generator
    ) -> pa.Array:
        raise NotImplementedError

    def value_at(
        self, ctx: ColumnContext, indices: np.ndarray, *, permuted: bool = True
    ) -> pa.Array:
        """The value of a unique (key) column at these row indices: a pure function of the index.

        `permuted=False` reads the index as the position in the domain (a composite-key digit).
        """
        raise NotImplementedError(f"a {self.kind} rule cannot make key values")

    def reads_clock(self, exp: Experiment) -> bool:
        """Whether the values depend on "now" (then the experiment's reference time decides them)."""
        return False

    def checks(self, rows: int, key_size: int | None = None) -> list[Check]:
        """What the validation report verifies for this rule on `rows` rows (beyond keys, nulls).

        `key_size` is set for a key column: how many index positions its values are read from
        (`value_at`), which is what bounds them then."""
        return []

    def spec(self) -> dict[str, Any]:
        """What decides the values, for the plan's digest."""
        return self.column.model_dump(mode="json", exclude={"inferred", "source_type"},
                                      exclude_none=True)  # fmt: skip


def days(value: dt.date) -> int:
    return (value - EPOCH).days


def integers_as(values: pa.Array, target: pa.DataType) -> pa.Array:
    """Cast int64 to any numeric type; decimals go through decimal128(38, 0), which checks fit."""
    if pa.types.is_decimal(target):
        return values.cast(pa.decimal128(38, 0)).cast(target)
    return values.cast(target)


def base36(
    indices: np.ndarray, width: int, alphabet: bytes = b"0123456789abcdefghijklmnopqrstuvwxyz"
) -> pa.Array:
    """Fixed-width base-36 strings of non-negative integers, vectorized."""
    table = np.frombuffer(alphabet, dtype=np.uint8)
    digits = np.empty((len(indices), width), dtype=np.uint8)
    rest = indices.astype(np.int64, copy=True)
    for position in range(width - 1, -1, -1):
        rest, digit = np.divmod(rest, 36)
        digits[:, position] = table[digit]
    if width == 0:
        return pa.array([""] * len(indices), type=pa.string())
    return pa.array(digits.view(f"S{width}").ravel()).cast(pa.string())


def width36(count: int) -> int:
    width = 1
    while 36**width < count:
        width += 1
    return width
