"""A run's shard plan: every table's exact row count cut into shards, and the row targets a
run's overrides make of the experiment's own."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from dwsim_shared.errors import InvalidInput
from dwsim_shared.experiment import Experiment


@dataclass(frozen=True)
class ShardPlan:
    table: str
    shard_index: int
    row_start: int
    row_count: int


def iter_shard_plan(row_targets: dict[str, int], shard_size: int) -> Iterator[ShardPlan]:
    """Split every table's exact row count into shards of `shard_size` rows (the last may be smaller).

    A table of 0 rows still gets one empty shard, so it is created and counted like any other.

    >>> [(s.table, s.row_start, s.row_count) for s in iter_shard_plan({"t": 5}, 2)]
    [('t', 0, 2), ('t', 2, 2), ('t', 4, 1)]
    """
    for table, rows in row_targets.items():
        count = max(1, -(-rows // shard_size))
        for index in range(count):
            start = index * shard_size
            yield ShardPlan(table, index, start, max(0, min(shard_size, rows - start)))


def plan_shards(row_targets: dict[str, int], shard_size: int) -> list[ShardPlan]:
    return list(iter_shard_plan(row_targets, shard_size))


def row_targets_for(experiment: Experiment, overrides: dict[str, int] | None) -> dict[str, int]:
    """Each table's target_rows, replaced by the run's overrides (names matched case-insensitively)."""
    targets = {t.name: t.target_rows for t in experiment.tables}
    for name, rows in (overrides or {}).items():
        table = experiment.table(name)
        if table is None:
            known = ", ".join(targets)
            raise InvalidInput(
                f"rows: unknown table {name!r} (tables: {known})", path=f"rows.{name}"
            )
        targets[table.name] = rows
    return targets


def with_row_targets(experiment: Experiment, targets: dict[str, int]) -> Experiment:
    """The experiment as a run with these row counts will generate it (for re-validation:
    a unique range or a required parent that fits `target_rows` may not fit the override)."""
    tables = [
        t.model_copy(update={"target_rows": targets.get(t.name, t.target_rows)})
        for t in experiment.tables
    ]
    return experiment.model_copy(update={"tables": tables})
