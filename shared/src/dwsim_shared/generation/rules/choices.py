"""`choices` (with optional `weights`): values drawn from a list; in a key, each value once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa

from dwsim_shared.experiment import Experiment, Table
from dwsim_shared.generation.rules.base import Check, ColumnContext, Problem, Rule


def distinct_choices(choices: list[Any]) -> list[Any]:
    """The choices without repeats, in their first order: what a key can walk without duplicates.

    >>> distinct_choices(["a", "a", "b"])
    ['a', 'b']
    """
    seen: set[str] = set()
    out = []
    for choice in choices:
        if repr(choice) not in seen:
            seen.add(repr(choice))
            out.append(choice)
    return out


class ChoicesRule(Rule):
    kind = "choices"
    fields = ("choices",)

    @property
    def distinct(self) -> list[Any]:
        assert self.column.choices is not None
        return distinct_choices(self.column.choices)

    def problems(self, exp: Experiment, table: Table, rows: int, unique: bool) -> Iterator[Problem]:
        col = self.column
        assert col.choices is not None
        if col.weights is not None:
            if len(col.weights) != len(col.choices):
                yield Problem(
                    "weights",
                    f"{len(col.weights)} weights for {len(col.choices)} choices; give one per choice",
                )
            elif sum(col.weights) <= 0:
                yield Problem("weights", "weights must not all be 0")
        if col.varchar_length is not None:
            for i, choice in enumerate(col.choices):
                if choice is not None and len(str(choice)) > col.varchar_length:
                    yield Problem(
                        f"choices[{i}]",
                        f"choice {str(choice)!r} is {len(str(choice))} characters, longer than "
                        f"{col.data_type}({col.varchar_length})",
                    )
        if unique and len(self.distinct) < rows:
            yield Problem(
                "choices",
                f"unique column has {len(self.distinct)} distinct choices for {rows} rows",
            )

    def capacity(self, exp: Experiment, rows: dict[str, int]) -> int | None:
        return len(self.distinct)

    def key_domain(self, exp: Experiment, rows: dict[str, int]) -> int | None:
        return len(self.distinct)

    def generate(
        self, ctx: ColumnContext, indices: np.ndarray, rng: np.random.Generator
    ) -> pa.Array:
        col = self.column
        assert col.choices is not None
        weights = np.asarray(col.weights, dtype=np.float64) if col.weights else None
        picks = rng.choice(
            len(col.choices),
            size=len(indices),
            p=None if weights is None else weights / weights.sum(),
        )
        return pa.array(col.choices).cast(ctx.arrow_type).take(pa.array(picks))

    def value_at(
        self, ctx: ColumnContext, indices: np.ndarray, *, permuted: bool = True
    ) -> pa.Array:
        return pa.array(self.distinct).cast(ctx.arrow_type).take(pa.array(indices))

    def checks(self, rows: int, key_size: int | None = None) -> list[Check]:
        return [Check("choices", {"values": [c for c in self.distinct if c is not None]})]
