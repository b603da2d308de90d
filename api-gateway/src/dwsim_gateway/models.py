"""Typed answers of the gateway, so its OpenAPI shows every field.

Answers built by other modules as dicts are validated against these; `extra="allow"` keeps a
field a newer route adds even before its model names it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Answer(BaseModel):
    model_config = ConfigDict(extra="allow")


class ErrorBody(BaseModel):
    """Every error: a stable code, a message naming what and where, and details."""

    error: str = Field(description="stable code: not_found, conflict, invalid_input, ...")
    message: str = Field(description="what went wrong, naming the table / column / component")
    details: dict[str, Any] | None = Field(
        default=None,
        description="e.g. problems [{path, message}], line/column/near, component, tables",
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "error": "not_found",
                    "message": "experiment 'shop' has no table 'custmers' (did you mean "
                    "'customers'?); tables: customers, orders",
                    "details": {"table": "custmers", "tables": ["customers", "orders"]},
                }
            ]
        }
    )


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _error("Bad SQL or DDL: syntax error with line/column/near, or a refused construct"),
    404: _error("Unknown experiment, run, table or saved query"),
    409: _error("Conflict: duplicate name, an active run, or no data yet"),
    422: _error("Invalid input: every problem with its JSON path in details.problems"),
    503: _error("A dependency is down: details.component names it"),
}


# --- experiments and runs ---------------------------------------------------------------


class LastRun(Answer):
    run_id: int
    status: str


class ExperimentSummary(Answer):
    name: str
    source_dialect: str
    target_warehouse: str
    tables: int
    created_at: str
    updated_at: str
    last_run: LastRun | None


class ExperimentList(Answer):
    experiments: list[ExperimentSummary]


class ImportAnswer(Answer):
    experiment: dict[str, Any] = Field(description="the stored experiment document")
    warnings: list[str]


class ValidateAnswer(Answer):
    valid: bool
    experiment: dict[str, Any]
    warnings: list[str]


class TableProgress(Answer):
    target_rows: int
    generated_rows: int
    loaded_rows: int
    shards: int
    shards_loaded: int
    shards_failed: int


class Totals(Answer):
    target_rows: int
    generated_rows: int
    loaded_rows: int


class RunView(Answer):
    run_id: int = Field(description="the run's number within its experiment (1 is its first run)")
    internal_id: int = Field(description="the run's key across experiments (object keys use it)")
    experiment: str
    kind: str
    status: (
        Literal["QUEUED", "RUNNING", "COMPLETED", "COMPLETED_WITH_WARNINGS", "FAILED", "ABORTED"]
        | str
    )
    seed: str = Field(description="decimal digits: seeds exceed what a JSON number keeps exactly")
    shard_size: int
    warehouse: str
    created_at: str
    started_at: str | None
    finished_at: str | None
    error: str | None
    published_at: str | None = Field(
        default=None,
        description="when the run's data went live in the warehouse (queryable from then on; "
        "a RUNNING run with it set is computing its validation report)",
    )
    report: dict[str, Any] | None = Field(
        default=None,
        description='{"state": "pending"} while a published run computes its validation report, '
        '{"state": "done", ...} once stored with the final status, null before publishing',
    )
    tables: dict[str, TableProgress]
    totals: Totals
    objects: str = Field(description="where the experiment's Parquet objects lie")


class RunList(Answer):
    runs: list[RunView]


class RunLinks(Answer):
    run: str


class GenerateAnswer(Answer):
    run_id: int
    experiment: str
    status: str
    seed: str
    links: RunLinks


class ShardView(Answer):
    table: str
    shard_index: int
    row_start: int
    row_count: int
    status: str
    attempts: int
    worker: str | None
    rows_written: int
    rows_loaded: int
    last_error: str | None
    object_key: str | None
    object_url: str | None
    updated_at: str


class ShardList(Answer):
    run_id: int
    experiment: str
    status: str
    shards: list[ShardView]
    objects: list[str] = Field(description="Parquet objects the run wrote, as URLs")


# --- tables, preview, profile -----------------------------------------------------------


class Rule(Answer):
    kind: str = Field(description="key, sequence, foreign_key, faker, range, distribution, ...")
    label: str = Field(description="short text for a badge, e.g. 'faker email'")
    inferred: bool = Field(description="guessed by the DDL import, not written by the user")


class ForeignKeyRef(Answer):
    table: str
    column: str


class ColumnInfo(Answer):
    name: str
    data_type: str = Field(description="logical type of the schema language")
    source_type: str | None = Field(description="the type as the DDL spelled it")
    nullable: bool
    key: Literal["primary", "unique", "composite"] | None
    foreign_key: ForeignKeyRef | None
    null_rate: float
    rules: list[Rule]


class TableForeignKeyInfo(Answer):
    columns: list[str]
    references_table: str
    references_columns: list[str]


class TableInfo(Answer):
    name: str
    target_rows: int
    row_count: int | None = Field(description="rows in the warehouse now (None before a run)")
    primary_key: list[str] | None
    composite_keys: list[list[str]] = Field(description="multi-column keys generated jointly")
    foreign_keys: list[TableForeignKeyInfo]
    columns: list[ColumnInfo]
    notes: list[str]


class ProducingRun(Answer):
    run_id: int
    status: str
    warehouse: str
    finished_at: str | None


class TablesAnswer(Answer):
    experiment: str
    source: Literal["live", "document"]
    source_dialect: str
    warehouse: str
    run: ProducingRun | None = Field(description="the run whose data the warehouse holds")
    tables: list[TableInfo]
    notes: list[str]


class PreviewAnswer(Answer):
    experiment: str
    table: str
    columns: list[str]
    rows: list[list[Any]]
    row_count: int
    limit: int
    engine_sql: str


class TopValue(Answer):
    value: Any
    count: int


class ColumnProfile(Answer):
    name: str
    data_type: str
    null_fraction: float | None
    null_count: int | None
    distinct_count: int | None
    min: Any
    max: Any
    top_values: list[TopValue]


class ProfileAnswer(Answer):
    experiment: str
    table: str
    warehouse: str
    row_count: int
    distinct_is_approximate: bool
    columns: list[ColumnProfile]
    engine_sql: str


# --- queries ------------------------------------------------------------------------------


class ColumnType(Answer):
    name: str
    type: str = Field(description="in the source dialect's words: numeric(12,2), NUMBER(12,2)...")


class QueryAnswer(Answer):
    columns: list[str] = Field(description="result names as the source warehouse names them")
    column_types: list[ColumnType] = Field(default_factory=list)
    rows: list[list[Any]] = Field(
        description="booleans as booleans; DECIMAL values as exact decimal strings"
    )
    row_count: int
    truncated: bool
    engine_sql: str


class SavedQuery(Answer):
    name: str
    sql: str
    created_at: str
    updated_at: str


class SavedQueryList(Answer):
    queries: list[SavedQuery]


class HistoryEntry(Answer):
    id: int
    sql: str
    saved_query: str | None
    format: str
    status: Literal["ok", "error"] | str
    error: str | None
    row_count: int | None
    duration_ms: int
    created_at: str


class HistoryAnswer(Answer):
    experiment: str
    entries: list[HistoryEntry] = Field(description="newest first, at most 200")


class WarehouseInfo(Answer):
    name: str
    label: str = Field(description="what the engine is, in a user's words")
    configured: bool
    needs: str | None = Field(description="the setting to provide when not configured")


class WarehouseList(Answer):
    default: str
    warehouses: list[WarehouseInfo]
