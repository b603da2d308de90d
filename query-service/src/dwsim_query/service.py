"""The query service layer: an experiment's live context and its SQL checked and rewritten for
its warehouse. The REST route and the wire endpoint both call it, so every statement takes the
same path whatever door it came in by."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from dwsim_query.compat.experiment_schema import schema_of
from dwsim_query.pipeline import PreparedSQL, prepare_query
from dwsim_query.value_limits import ValueLimits
from dwsim_shared.errors import Conflict, NotFound
from dwsim_shared.experiment import Experiment
from dwsim_shared.runs.queries import live_run
from dwsim_shared.runtime import Runtime
from dwsim_shared.state.models import ExperimentRow
from dwsim_shared.warehouses import Warehouse


@dataclass(frozen=True)
class ExperimentContext:
    """What a statement of one experiment is checked against: the schema of the data that is
    live in its warehouse (the last published run's), or the document when nothing is."""

    experiment_id: int
    experiment: Experiment
    warehouse: Warehouse
    has_data: bool

    @property
    def name(self) -> str:
        return self.experiment.name

    def engine_sql(
        self, sql: str, qualifiers: frozenset[str] = frozenset(), dialect: str | None = None
    ) -> str:
        """`sql` (one read, in the experiment's dialect) as its warehouse will run it.

        `qualifiers`: schema names that stand for the experiment's own tables (the wire
        endpoint's `public`), accepted in front of a table name; `dialect`: the SQL's dialect
        when it is not the experiment's (a Redshift client's)."""
        return self.prepare(sql, qualifiers, dialect).sql

    def prepare(
        self, sql: str, qualifiers: frozenset[str] = frozenset(), dialect: str | None = None
    ) -> PreparedSQL:
        """As `engine_sql`, with the result columns' source names and types."""
        experiment, warehouse = self.experiment, self.warehouse

        def resolve(name: str) -> Any:
            table = experiment.table(name)
            return None if table is None else warehouse.physical_table(experiment.name, table.name)

        return prepare_query(
            sql,
            dialect or experiment.source_dialect,
            warehouse.sqlglot_dialect,
            resolve,
            [t.name for t in experiment.tables],
            schema_of(experiment),
            qualifiers=qualifiers,
            value_limits=ValueLimits.of(warehouse.settings),
        )


def experiment_context(rt: Runtime, name: str) -> ExperimentContext:
    """The experiment `name` as its warehouse holds it now, or `NotFound`."""
    with rt.session() as session:
        row = session.scalars(select(ExperimentRow).where(ExperimentRow.name == name)).first()
        if row is None:
            raise NotFound(f"experiment {name!r} does not exist")
        # The warehouse's live data is what the last published run loaded, in that run's schema,
        # even if the document changed since (or a newer run is still staging).
        run = live_run(session, row.id)
        experiment = Experiment.model_validate(run.schema_json if run else row.schema_json)
        warehouse_name = run.warehouse if run else row.target_warehouse
        return ExperimentContext(row.id, experiment, rt.warehouse(warehouse_name), run is not None)


def require_data(context: ExperimentContext) -> None:
    if not context.has_data:
        raise Conflict(
            f"experiment {context.name!r} has no data yet: generate a run first",
            experiment=context.name,
        )
