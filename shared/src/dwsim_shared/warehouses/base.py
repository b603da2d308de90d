"""The interface every warehouse adapter implements, and the registry of adapters."""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from sqlglot import exp

from dwsim_shared.errors import InvalidInput
from dwsim_shared.experiment import Column, Experiment, Table
from dwsim_shared.settings import Settings


@dataclass
class QueryResult:
    columns: list[str]
    rows: list[list[Any]]
    truncated: bool = False
    engine_sql: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ShardRef:
    """Which shard a load is: the key of the warehouse's load ledger."""

    run_id: int
    table: str
    shard_index: int


class Warehouse(abc.ABC):
    """One engine. Tables are created exactly as the experiment declares them (no extra columns)."""

    name: ClassVar[str]
    sqlglot_dialect: ClassVar[str]
    # Canonical model type -> engine DDL type (VARCHAR gets its length added).
    ddl_types: ClassVar[dict[str, str]]
    # The dialect DDL is written in (SQLite keeps whatever type names it is given).
    ddl_dialect: ClassVar[str | None] = None
    LEDGER_TABLE: ClassVar[str] = "_dwsim_loads"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @abc.abstractmethod
    def check(self) -> None:
        """Raise `DependencyUnavailable` unless the engine can be reached."""

    @abc.abstractmethod
    def prepare(self, experiment: Experiment) -> None:
        """(Re)create the experiment's namespace and empty tables, and the load ledger."""

    @abc.abstractmethod
    def load_shard(self, experiment: Experiment, table: Table, parquet: Path, ref: ShardRef) -> int:
        """Load one Parquet shard exactly once; returns the rows the shard put in the table."""

    @abc.abstractmethod
    def count_rows(self, experiment: Experiment, table: Table) -> int: ...

    @abc.abstractmethod
    def drop(self, experiment_name: str) -> None:
        """Remove the experiment's namespace and everything in it."""

    @abc.abstractmethod
    def run_query(
        self, experiment_name: str, sql: str, *, row_cap: int, timeout_s: float
    ) -> QueryResult:
        """Run one read-only statement (already in this engine's dialect and names)."""

    @abc.abstractmethod
    def physical_table(self, experiment_name: str, table_name: str) -> exp.Table:
        """Where a logical table lives in this engine."""

    def column_type(self, col: Column) -> exp.DataType:
        spelled = self.ddl_types[col.data_type]
        if col.data_type == "VARCHAR" and col.varchar_length is not None:
            spelled = f"VARCHAR({col.varchar_length})"
        return exp.DataType.build(spelled, dialect=self.ddl_dialect or self.sqlglot_dialect)

    def create_table_sql(self, experiment_name: str, table: Table) -> str:
        columns = []
        for col in table.columns:
            constraints = (
                [] if col.nullable else [exp.ColumnConstraint(kind=exp.NotNullColumnConstraint())]
            )
            columns.append(
                exp.ColumnDef(
                    this=exp.to_identifier(col.name.lower(), quoted=True),
                    kind=self.column_type(col),
                    constraints=constraints,
                )
            )
        schema = exp.Schema(
            this=self.physical_table(experiment_name, table.name), expressions=columns
        )
        return exp.Create(this=schema, kind="TABLE").sql(
            dialect=self.ddl_dialect or self.sqlglot_dialect
        )


def _registry() -> dict[str, type[Warehouse]]:
    from dwsim_shared.warehouses.redshift import RedshiftMockWarehouse
    from dwsim_shared.warehouses.sqlite import SQLiteWarehouse

    return {cls.name: cls for cls in (SQLiteWarehouse, RedshiftMockWarehouse)}


def warehouse_names() -> list[str]:
    return sorted(_registry())


def make_warehouse(name: str, settings: Settings) -> Warehouse:
    """The adapter for a warehouse name; `InvalidInput` names the ones that exist."""
    registry = _registry()
    if name not in registry:
        raise InvalidInput(
            f"target_warehouse {name!r} is not available; available: {', '.join(sorted(registry))}",
            path="target_warehouse",
        )
    return registry[name](settings)
