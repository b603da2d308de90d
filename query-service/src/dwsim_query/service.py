"""The query service layer: an experiment's live context (the live-run lookup, once), its SQL
checked and rewritten for its warehouse, run and read within the service's bounds. The REST
routes and the wire endpoint all call it, so every statement takes the same path whatever door
it came in by."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dwsim_query.bounds import within_bytes
from dwsim_query.compat.experiment_schema import schema_of
from dwsim_query.encoding import csv_value, jsonable
from dwsim_query.pipeline import PreparedSQL, WorkspaceNames, prepare_query
from dwsim_query.results import ResultColumn, encode_rows
from dwsim_query.session_functions import snowflake_session
from dwsim_query.value_limits import ValueLimits
from dwsim_query.writes import PreparedWrite, prepare_write
from dwsim_shared.errors import Conflict, DWSimError, InvalidInput, error_text
from dwsim_shared.experiment import Experiment
from dwsim_shared.runs.queries import live_run
from dwsim_shared.runtime import Runtime
from dwsim_shared.settings import Settings
from dwsim_shared.state.lookup import experiment_by_name
from dwsim_shared.warehouses import Warehouse
from dwsim_shared.warehouses.namespaces import WORKSPACE_SCHEMA, workspace_namespace
from dwsim_shared.warehouses.plans import plan_text


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

    def workspace(self) -> WorkspaceNames | None:
        """The experiment's workspace, on a warehouse that has one (the Redshift mock, the
        Snowflake emulator)."""
        warehouse = self.warehouse
        lookup = getattr(warehouse, "workspace_objects", None)
        if lookup is None:
            return None
        name = self.experiment.name
        snowflake = warehouse.name == "snowflake"  # its lookup names Snowflake's types
        return WorkspaceNames(
            WORKSPACE_SCHEMA, workspace_namespace(name), lambda: lookup(name),
            type_dialect="snowflake" if snowflake else "postgres",
            source_dialect="snowflake" if snowflake else "redshift",
        )  # fmt: skip

    def engine_sql(
        self,
        sql: str,
        qualifiers: frozenset[str] = frozenset(),
        dialect: str | None = None,
        workspace: WorkspaceNames | None = None,
    ) -> str:
        """`sql` (one read, in the experiment's dialect) as its warehouse will run it.

        `qualifiers`: schema names that stand for the experiment's own tables (the wire
        endpoint's `public`), accepted in front of a table name; `dialect`: the SQL's dialect
        when it is not the experiment's (a Redshift client's)."""
        return self.prepare(sql, qualifiers, dialect, workspace).sql

    def prepare(
        self,
        sql: str,
        qualifiers: frozenset[str] = frozenset(),
        dialect: str | None = None,
        workspace: WorkspaceNames | None = None,
        session: Mapping[str, str] | None = None,
    ) -> PreparedSQL:
        """As `engine_sql`, with the result columns' source names and types. The workspace's
        objects are readable too (`workspace.name`, or a bare name no generated table has)."""
        experiment, warehouse = self.experiment, self.warehouse

        return prepare_query(
            sql,
            dialect or experiment.source_dialect,
            warehouse.sqlglot_dialect,
            self.resolve,
            [t.name for t in experiment.tables],
            schema_of(experiment),
            qualifiers=qualifiers,
            workspace=workspace or self.workspace(),
            catalogs=frozenset({experiment.name}),
            value_limits=ValueLimits.of(warehouse.settings),
            session=session or snowflake_session(experiment.name),
        )

    def resolve(self, name: str) -> Any:
        """The engine's table of a generated table's name (None: no such table)."""
        table = self.experiment.table(name)
        if table is None:
            return None
        return self.warehouse.physical_table(self.experiment.name, table.name)

    def prepare_write(
        self, sql: str, workspace: WorkspaceNames, qualifiers: frozenset[str]
    ) -> PreparedWrite:
        """One write of the workspace, as its warehouse will run it (Redshift SQL on the
        Redshift mock, Snowflake SQL on the emulator)."""
        experiment = self.experiment
        dialects = (
            {"source": "snowflake", "engine": "snowflake"}
            if self.warehouse.name == "snowflake"
            else {}
        )
        return prepare_write(
            sql,
            known=[t.name for t in experiment.tables],
            resolve=self.resolve,
            schema=schema_of(experiment),
            workspace=workspace,
            qualifiers=qualifiers,
            catalogs=frozenset({experiment.name}),
            **dialects,
        )


def experiment_context(rt: Runtime, name: str) -> ExperimentContext:
    """The experiment `name` as its warehouse holds it now, or `NotFound`."""
    with rt.session() as session:
        row = experiment_by_name(session, name)
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


def live_context(rt: Runtime, name: str) -> ExperimentContext:
    """The experiment as its warehouse holds it, or `Conflict` when nothing was loaded yet."""
    context = experiment_context(rt, name)
    require_data(context)
    return context


@dataclass(frozen=True)
class PreparedQuery:
    experiment: str
    warehouse: Warehouse
    engine_sql: str
    columns: list[ResultColumn]

    def names(self, engine_names: list[str]) -> list[str]:
        """The source's names for the result, where the engine's are positional stand-ins."""
        if len(self.columns) != len(engine_names):
            return engine_names
        return [c.name for c in self.columns]

    def encode(self, rows: Iterable[Sequence[Any]]) -> list[list[Any]]:
        return encode_rows(rows, self.columns)


def prepare(rt: Runtime, experiment: str, sql: str) -> PreparedQuery:
    """Check the SQL against the experiment and rewrite it for its warehouse (no execution)."""
    context = experiment_context(rt, experiment)
    prepared = context.prepare(sql)
    require_data(context)  # the SQL was checked first, so a mistake is reported before this
    return PreparedQuery(context.name, context.warehouse, prepared.sql, prepared.columns)


def engine_failure(warehouse: Warehouse, error: Exception) -> DWSimError:
    """An error from running a statement or reading its answer, as the caller should see it:
    the project's own errors as they are; a value the driver cannot turn into Python (a year
    past 9999, an invalid text encoding, an overflow) as 422; anything else as 502, the
    engine's failure, naming it (never a library class name)."""
    if isinstance(error, DWSimError):
        return error
    label = f"{warehouse.name} warehouse"
    if isinstance(error, ValueError | ArithmeticError | UnicodeError):
        return UnreadableResult(
            f"the {label} answered a value this service cannot represent: " + error_text(error)
        )
    return EngineFailure(f"the {label} failed on this query: " + error_text(error))


class UnreadableResult(InvalidInput):
    code = "unreadable_result"


class EngineFailure(DWSimError):
    status = 502
    code = "engine_failure"


def _page(
    settings: Settings, query: PreparedQuery, offset: int, cap: int
) -> tuple[list[str], list[Any], bool]:
    """Rows `offset .. offset + cap` of the answer, read in batches and the first `offset`
    dropped as they come (the service pages; the client never holds the skipped rows)."""
    batches = query.warehouse.stream_query(
        query.experiment,
        query.engine_sql,
        timeout_s=settings.query_timeout_s,
        memory_ceiling_mb=settings.query_memory_ceiling_mb,
    )
    try:
        columns = [str(name) for name in next(batches)]
        skip, rows = offset, list[Sequence[Any]]()
        for batch in batches:
            rows.extend(batch[skip:])
            skip = max(0, skip - len(batch))
            if len(rows) > cap:
                break
    finally:
        batches.close()
    return columns, rows[:cap], len(rows) > cap


def run_query(
    rt: Runtime, experiment: str, sql: str, limit: int | None = None, offset: int = 0
) -> dict[str, Any]:
    """One read-only statement's answer: at most `limit` (and the row cap) rows from `offset`,
    within the byte cap, with the source's column names and types."""
    return answer(rt.settings, prepare(rt, experiment, sql), limit, offset)


def answer(
    settings: Settings, query: PreparedQuery, limit: int | None = None, offset: int = 0
) -> dict[str, Any]:
    """The JSON answer of a prepared statement (what `POST /query` returns)."""
    cap = min(limit or settings.query_row_cap, settings.query_row_cap)
    try:
        if offset:
            columns, page, more = _page(settings, query, offset, cap)
        else:
            result = query.warehouse.run_query(
                query.experiment,
                query.engine_sql,
                row_cap=cap,
                timeout_s=settings.query_timeout_s,
                byte_cap=settings.query_byte_cap,
                memory_ceiling_mb=settings.query_memory_ceiling_mb,
            )
            columns, page, more = result.columns, result.rows, result.truncated
        rows, cut = within_bytes(
            [[jsonable(v) for v in r] for r in query.encode(page)],
            settings.query_byte_cap,
        )
    except DWSimError:
        raise
    except Exception as error:
        raise engine_failure(query.warehouse, error) from error
    names = query.names(columns)
    return {
        "columns": names,
        "column_types": [
            {"name": name, "type": c.type} for name, c in zip(names, query.columns, strict=False)
        ],
        "rows": rows,
        "row_count": len(rows),
        "offset": offset,
        "truncated": more or cut,
        "engine_sql": query.engine_sql,
    }


def explain_query(rt: Runtime, experiment: str, sql: str) -> dict[str, Any]:
    """The engine's plan of one statement, checked and rewritten as a query is (nothing runs)."""
    query = prepare(rt, experiment, sql)
    try:
        plan = query.warehouse.explain(
            query.experiment, query.engine_sql, timeout_s=rt.settings.query_timeout_s
        )
    except DWSimError:
        raise
    except Exception as error:
        raise engine_failure(query.warehouse, error) from error
    return {
        "engine": query.warehouse.name,
        "engine_sql": query.engine_sql,
        "plan": plan,
        "text": plan_text(plan),
    }


def csv_stream(rt: Runtime, experiment: str, sql: str, limit: int | None = None) -> Iterator[str]:
    """The result as CSV text, header first; the statement runs before this returns, so a bad
    query is still an error status rather than a broken stream."""
    return csv_lines(rt.settings, prepare(rt, experiment, sql), limit)


def csv_lines(settings: Settings, query: PreparedQuery, limit: int | None = None) -> Iterator[str]:
    """The CSV answer of a prepared statement (what `POST /query` streams for `format=csv`)."""
    batches = query.warehouse.stream_query(
        query.experiment,
        query.engine_sql,
        timeout_s=settings.export_timeout_s,
        memory_ceiling_mb=settings.query_memory_ceiling_mb,
    )
    try:
        columns = query.names([str(name) for name in next(batches)])
    except Exception as error:
        raise engine_failure(query.warehouse, error) from error

    def lines() -> Iterator[str]:
        remaining = limit
        sink = io.StringIO()
        writer = csv.writer(sink, lineterminator="\n")
        writer.writerow(columns)
        for batch in batches:
            rows = batch if remaining is None else batch[:remaining]
            writer.writerows([csv_value(v) for v in row] for row in query.encode(rows))
            yield sink.getvalue()
            sink.seek(0)
            sink.truncate()
            if remaining is not None:
                remaining -= len(rows)
                if remaining <= 0:
                    break
        yield sink.getvalue()
        batches.close()

    return lines()
