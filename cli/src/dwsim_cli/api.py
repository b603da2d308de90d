"""One builder per REST endpoint of docs/api.md; each returns an `ApiRequest`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from dwsim_cli.client import ApiRequest


def _segment(value: str | int) -> str:
    return quote(str(value), safe="")


def _experiment_path(name: str) -> str:
    return f"/api/experiments/{_segment(name)}"


def create_experiment(document: Any) -> ApiRequest:
    """POST /api/experiments with the experiment document."""
    return ApiRequest("POST", "/api/experiments", document)


def import_sql(
    name: str,
    sql: str,
    dialect: str,
    *,
    target_rows: int | None = None,
    rows: Mapping[str, int] | None = None,
    target_warehouse: str | None = None,
    locale: str | None = None,
    seed: int | None = None,
) -> ApiRequest:
    """POST /api/experiments/import-sql; options left out are omitted from the body."""
    body: dict[str, Any] = {"name": name, "sql": sql, "dialect": dialect}
    if target_rows is not None:
        body["target_rows"] = target_rows
    if rows:
        body["rows"] = dict(rows)
    if target_warehouse is not None:
        body["target_warehouse"] = target_warehouse
    if locale is not None:
        body["locale"] = locale
    if seed is not None:
        body["seed"] = seed
    return ApiRequest("POST", "/api/experiments/import-sql", body)


def validate_experiment(document: Any) -> ApiRequest:
    """POST /api/experiments/validate with an experiment document; nothing is saved."""
    return ApiRequest("POST", "/api/experiments/validate", document)


def validate_sql(sql: str, dialect: str, name: str | None = None) -> ApiRequest:
    """POST /api/experiments/validate with an import-sql body (`name` optional)."""
    body: dict[str, Any] = {"sql": sql, "dialect": dialect}
    if name is not None:
        body["name"] = name
    return ApiRequest("POST", "/api/experiments/validate", body)


def list_experiments() -> ApiRequest:
    """GET /api/experiments."""
    return ApiRequest("GET", "/api/experiments")


def get_experiment(name: str) -> ApiRequest:
    """GET /api/experiments/{name}."""
    return ApiRequest("GET", _experiment_path(name))


def replace_experiment(name: str, document: Any) -> ApiRequest:
    """PUT /api/experiments/{name} with the whole new document (same `name`)."""
    return ApiRequest("PUT", _experiment_path(name), document)


def delete_experiment(name: str) -> ApiRequest:
    """DELETE /api/experiments/{name}."""
    return ApiRequest("DELETE", _experiment_path(name))


def generate(
    name: str,
    rows: Mapping[str, int] | None = None,
    seed: int | None = None,
    shard_size: int | None = None,
) -> ApiRequest:
    """POST /api/experiments/{name}/generate; options left out are omitted from the body."""
    body: dict[str, Any] = {}
    if rows:
        body["rows"] = dict(rows)
    if seed is not None:
        body["seed"] = seed
    if shard_size is not None:
        body["shard_size"] = shard_size
    return ApiRequest("POST", f"{_experiment_path(name)}/generate", body)


def list_runs(name: str) -> ApiRequest:
    """GET /api/experiments/{name}/runs."""
    return ApiRequest("GET", f"{_experiment_path(name)}/runs")


def get_run(name: str, run_id: int) -> ApiRequest:
    """GET /api/experiments/{name}/runs/{run_id}."""
    return ApiRequest("GET", f"{_experiment_path(name)}/runs/{_segment(run_id)}")


def cancel_run(name: str, run_id: int) -> ApiRequest:
    """POST /api/experiments/{name}/runs/{run_id}/cancel."""
    return ApiRequest("POST", f"{_experiment_path(name)}/runs/{_segment(run_id)}/cancel")


def query(name: str, sql: str, limit: int | None = None) -> ApiRequest:
    """POST /api/experiments/{name}/query."""
    body: dict[str, Any] = {"sql": sql}
    if limit is not None:
        body["limit"] = limit
    return ApiRequest("POST", f"{_experiment_path(name)}/query", body)


def export_csv(name: str, sql: str, limit: int | None = None) -> ApiRequest:
    """POST /api/experiments/{name}/query with format csv: the whole result, streamed."""
    body: dict[str, Any] = {"sql": sql, "format": "csv"}
    if limit is not None:
        body["limit"] = limit
    return ApiRequest("POST", f"{_experiment_path(name)}/query", body, stream=True)


def connection(name: str, *, rotate: bool = False) -> ApiRequest:
    """GET /api/experiments/{name}/connection (POST .../connection/rotate for a new password)."""
    if rotate:
        return ApiRequest("POST", f"{_experiment_path(name)}/connection/rotate")
    return ApiRequest("GET", f"{_experiment_path(name)}/connection")
