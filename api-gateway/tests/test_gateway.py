"""Gateway behaviour against real PostgreSQL/Redis (or the embedded defaults), without workers."""

from __future__ import annotations

import time

import psycopg2
import psycopg2.extras
import pytest

from dwsim_shared.testing.servers import free_port

from .conftest import GatewayFactory, small_experiment


@pytest.fixture
def pg_gateway(gateway: GatewayFactory, postgres_state_db: str, redis_server_url: str):  # type: ignore[no-untyped-def]
    return gateway(state_url=postgres_state_db, broker_url=f"{redis_server_url}/12")


def test_experiment_round_trips_in_the_shape_post_accepts(gateway: GatewayFactory) -> None:
    client = gateway()
    document = small_experiment("roundtrip")
    created = client.post("/api/experiments", json=document)
    assert created.status_code == 201
    shown = client.get("/api/experiments/roundtrip").json()
    assert shown == created.json()
    assert shown["target_warehouse"] == "sqlite"  # the configured default was filled in
    assert shown["tables"][0]["columns"][0] == {
        "name": "id", "data_type": "INT", "required": True, "is_unique": True,
    }  # fmt: skip
    listed = client.get("/api/experiments").json()["experiments"]
    assert [(e["name"], e["tables"], e["last_run"]) for e in listed] == [("roundtrip", 1, None)]


def test_second_generate_while_one_is_active_is_409(pg_gateway) -> None:  # type: ignore[no-untyped-def]
    assert pg_gateway.post("/api/experiments", json=small_experiment("busy")).status_code == 201
    first = pg_gateway.post("/api/experiments/busy/generate", json={"seed": 1})
    assert first.status_code == 202, first.text
    assert first.json()["status"] == "QUEUED"  # no worker here: it stays active
    second = pg_gateway.post("/api/experiments/busy/generate", json={})
    assert second.status_code == 409
    assert "active run" in second.json()["message"]
    runs = pg_gateway.get("/api/experiments/busy/runs").json()["runs"]
    assert [r["status"] for r in runs] == ["QUEUED"]
    assert pg_gateway.delete("/api/experiments/busy").status_code == 409


def test_one_active_run_is_enforced_by_the_database(pg_gateway, postgres_state_db: str) -> None:  # type: ignore[no-untyped-def]
    assert pg_gateway.post("/api/experiments", json=small_experiment("dbrule")).status_code == 201
    assert pg_gateway.post("/api/experiments/dbrule/generate", json={}).status_code == 202
    with psycopg2.connect(postgres_state_db) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT experiment_id, seed, shard_size, warehouse, schema_json, row_targets FROM runs"
        )
        row = cur.fetchone()
        with pytest.raises(psycopg2.errors.UniqueViolation):
            cur.execute(
                "INSERT INTO runs (experiment_id, kind, status, seed, shard_size, warehouse, "
                "schema_json, row_targets, finalizing, created_at) "
                "VALUES (%s, 'generate', 'RUNNING', %s, %s, %s, %s, %s, false, now())",
                (
                    row[0],
                    row[1],
                    row[2],
                    row[3],
                    psycopg2.extras.Json(row[4]),
                    psycopg2.extras.Json(row[5]),
                ),
            )


def test_broker_down_is_503_fast_and_leaves_no_run(
    gateway: GatewayFactory, postgres_state_db: str
) -> None:
    client = gateway(state_url=postgres_state_db, broker_url=f"redis://127.0.0.1:{free_port()}/0")
    assert client.post("/api/experiments", json=small_experiment("nobroker")).status_code == 201
    started = time.monotonic()
    answer = client.post("/api/experiments/nobroker/generate", json={})
    assert time.monotonic() - started < 15
    assert answer.status_code == 503
    assert answer.json()["details"]["component"] == "broker"
    assert client.get("/api/experiments/nobroker/runs").json()["runs"] == []
    health = client.get("/health")
    assert health.status_code == 503
    assert health.json()["components"]["broker"]["status"] == "unavailable"
    assert health.json()["components"]["state"]["status"] == "ok"


def test_state_database_down_is_503_naming_it(gateway: GatewayFactory) -> None:
    client = gateway(state_url=f"postgresql://postgres@127.0.0.1:{free_port()}/nothing")
    started = time.monotonic()
    answer = client.get("/api/experiments")
    assert time.monotonic() - started < 15
    assert answer.status_code == 503
    assert answer.json()["details"]["component"] == "state database"
    created = client.post("/api/experiments", json=small_experiment("x"))
    assert created.status_code == 503


def test_redshift_warehouse_not_configured_is_503_on_generate(gateway: GatewayFactory) -> None:
    client = gateway()
    document = {**small_experiment("rs"), "target_warehouse": "redshift"}
    assert client.post("/api/experiments", json=document).status_code == 201
    answer = client.post("/api/experiments/rs/generate", json={})
    assert answer.status_code == 503
    assert "DWSIM_REDSHIFT_URL" in answer.json()["message"]
    assert client.get("/api/experiments/rs/runs").json()["runs"] == []


def test_unknown_warehouse_and_bad_generate_body_are_422(gateway: GatewayFactory) -> None:
    client = gateway()
    answer = client.post(
        "/api/experiments", json={**small_experiment("sf"), "target_warehouse": "oracle"}
    )
    assert answer.status_code == 422
    assert answer.json()["details"]["problems"][0]["path"] == "target_warehouse"
    assert client.post("/api/experiments", json=small_experiment("ok")).status_code == 201
    bad = client.post("/api/experiments/ok/generate", json={"rows": {"t": -1}})
    assert bad.status_code == 422
    assert bad.json()["details"]["problems"][0]["path"] == "rows.t"
    extra = client.post("/api/experiments/ok/generate", json={"sead": 1})
    assert extra.status_code == 422
    assert extra.json()["details"]["problems"][0]["path"] == "sead"


def test_api_token_guards_everything_but_health(gateway: GatewayFactory) -> None:
    client = gateway(api_token="s3cret")
    assert client.get("/api/experiments").status_code == 401
    assert (
        client.get("/api/experiments", headers={"Authorization": "Bearer wrong"}).status_code == 401
    )
    ok = client.get("/api/experiments", headers={"Authorization": "Bearer s3cret"})
    assert ok.status_code == 200
    assert client.get("/health").status_code in (200, 503)  # reachable without a token


def test_web_ui_and_openapi_are_served(gateway: GatewayFactory) -> None:
    client = gateway()
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert "/api/experiments/{name}/generate" in paths
    assert "/api/experiments/{name}/runs/{run_id}" in paths


def test_put_replaces_the_document_and_bad_edits_change_nothing(gateway: GatewayFactory) -> None:
    client = gateway()
    assert client.post("/api/experiments", json=small_experiment("edit")).status_code == 201
    edited = small_experiment("edit")
    edited["tables"][0]["target_rows"] = 77  # type: ignore[index]
    answer = client.put("/api/experiments/edit", json=edited)
    assert answer.status_code == 200, answer.text
    assert client.get("/api/experiments/edit").json()["tables"][0]["target_rows"] == 77

    broken = small_experiment("edit")
    broken["tables"][0]["columns"][0]["max_value"] = 3  # type: ignore[index]
    refused = client.put("/api/experiments/edit", json=broken)
    assert refused.status_code == 422
    assert refused.json()["details"]["problems"][0]["path"] == "tables[0].columns[0].max_value"
    renamed = client.put("/api/experiments/edit", json=small_experiment("other"))
    assert renamed.status_code == 422 and renamed.json()["details"]["problems"][0]["path"] == "name"
    assert (
        client.put("/api/experiments/missing", json=small_experiment("missing")).status_code == 404
    )
    assert client.get("/api/experiments/edit").json()["tables"][0]["target_rows"] == 77


def test_put_during_an_active_run_is_409(pg_gateway) -> None:  # type: ignore[no-untyped-def]
    assert pg_gateway.post("/api/experiments", json=small_experiment("locked")).status_code == 201
    assert pg_gateway.post("/api/experiments/locked/generate", json={}).status_code == 202
    answer = pg_gateway.put("/api/experiments/locked", json=small_experiment("locked"))
    assert answer.status_code == 409


def test_validate_checks_without_saving(gateway: GatewayFactory) -> None:
    client = gateway()
    ok = client.post("/api/experiments/validate", json=small_experiment("checked"))
    assert ok.status_code == 200 and ok.json()["valid"] is True
    assert ok.json()["experiment"]["target_warehouse"] == "sqlite"
    bad = small_experiment("checked")
    bad["tables"][0]["columns"][0]["data_type"] = "GEOMETRY"  # type: ignore[index]
    refused = client.post("/api/experiments/validate", json=bad)
    assert refused.status_code == 422
    assert refused.json()["details"]["problems"][0]["path"] == "tables[0].columns[0].data_type"
    assert client.get("/api/experiments").json()["experiments"] == []


REDSHIFT_DDL = """
CREATE SCHEMA sales;
CREATE TABLE sales.customers (
    id BIGINT IDENTITY(1,1) PRIMARY KEY,
    email VARCHAR(100) NOT NULL UNIQUE,
    signup_date DATE
) DISTSTYLE KEY DISTKEY (id);
CREATE TABLE sales.orders (
    id BIGINT NOT NULL,
    customer_id BIGINT NOT NULL REFERENCES sales.customers (id),
    amount DECIMAL(12,2),
    PRIMARY KEY (id)
) SORTKEY (id);
GRANT SELECT ON sales.orders TO analyst;
"""


def test_import_sql_creates_an_experiment_with_warnings(gateway: GatewayFactory) -> None:
    client = gateway()
    answer = client.post("/api/experiments/import-sql", json={
        "name": "sales", "sql": REDSHIFT_DDL, "dialect": "redshift", "rows": {"orders": 500},
    })  # fmt: skip
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert any("GRANT" in w for w in body["warnings"]) and any(
        "CREATE SCHEMA" in w for w in body["warnings"]
    )
    customers, orders = body["experiment"]["tables"]
    assert customers["warehouse_options"]["distkey"] == "id"
    assert orders["target_rows"] == 500
    assert orders["columns"][1]["foreign_key"] == {
        "references_table": "customers", "references_column": "id", "nullable": False,
    }  # fmt: skip
    assert client.get("/api/experiments/sales").json() == body["experiment"]
    again = client.post(
        "/api/experiments/import-sql",
        json={"name": "sales", "sql": REDSHIFT_DDL, "dialect": "redshift"},
    )
    assert again.status_code == 409


def test_import_sql_syntax_error_is_400_with_position_and_saves_nothing(
    gateway: GatewayFactory,
) -> None:
    client = gateway()
    broken = "CREATE TABLE t (\n  id INT,\n  name VARCHAR(10) NOT NULL DEFAULT\n);"
    answer = client.post(
        "/api/experiments/import-sql", json={"name": "broken", "sql": broken, "dialect": "redshift"}
    )
    assert answer.status_code == 400
    details = answer.json()["details"]
    assert details["line"] == 4 and "column" in details and details["near"]
    unknown = client.post(
        "/api/experiments/import-sql", json={"name": "x", "sql": REDSHIFT_DDL, "dialect": "oracle"}
    )
    assert unknown.status_code == 422 and "redshift" in unknown.json()["message"]
    assert client.get("/api/experiments").json()["experiments"] == []


def test_validate_accepts_ddl_without_saving(gateway: GatewayFactory) -> None:
    client = gateway()
    answer = client.post(
        "/api/experiments/validate", json={"sql": REDSHIFT_DDL, "dialect": "redshift"}
    )
    assert answer.status_code == 200, answer.text
    assert [t["name"] for t in answer.json()["experiment"]["tables"]] == ["customers", "orders"]
    assert client.get("/api/experiments").json()["experiments"] == []


def test_row_overrides_are_checked_like_the_document(gateway: GatewayFactory) -> None:
    client = gateway()
    document = {
        "name": "over",
        "tables": [
            {"name": "p", "target_rows": 10, "columns": [{"name": "id", "data_type": "INT", "is_unique": True,
                                                          "min_value": 1, "max_value": 50}]},
            {"name": "c", "target_rows": 10, "columns": [{"name": "p_id", "data_type": "INT", "foreign_key": {
                "references_table": "p", "references_column": "id"}}]},
        ],
    }  # fmt: skip
    assert client.post("/api/experiments", json=document).status_code == 201
    too_many = client.post("/api/experiments/over/generate", json={"rows": {"p": 51}})
    assert too_many.status_code == 422
    assert "holds 50 values, fewer than target_rows 51" in too_many.json()["message"]
    no_parents = client.post("/api/experiments/over/generate", json={"rows": {"p": 0}})
    assert no_parents.status_code == 422
    assert "p has 0 rows" in no_parents.json()["message"]
    assert client.get("/api/experiments/over/runs").json()["runs"] == []


def test_cancel_aborts_an_active_run_and_frees_the_experiment(pg_gateway) -> None:  # type: ignore[no-untyped-def]
    assert pg_gateway.post("/api/experiments", json=small_experiment("stop")).status_code == 201
    run_id = pg_gateway.post("/api/experiments/stop/generate", json={}).json()["run_id"]
    cancelled = pg_gateway.post(f"/api/experiments/stop/runs/{run_id}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "ABORTED" and cancelled.json()["finished_at"]
    again = pg_gateway.post(f"/api/experiments/stop/runs/{run_id}/cancel")
    assert again.status_code == 409 and "ABORTED" in again.json()["message"]
    assert pg_gateway.post(f"/api/experiments/stop/runs/{run_id + 100}/cancel").status_code == 404
    assert pg_gateway.post("/api/experiments/stop/generate", json={}).status_code == 202


def test_object_store_down_is_503_on_generate(gateway: GatewayFactory) -> None:
    client = gateway(object_store="s3://nowhere", s3_endpoint_url=f"http://127.0.0.1:{free_port()}")
    assert client.post("/api/experiments", json=small_experiment("noobj")).status_code == 201
    answer = client.post("/api/experiments/noobj/generate", json={})
    assert answer.status_code == 503
    assert answer.json()["details"]["component"] == "object store"
    assert client.get("/api/experiments/noobj/runs").json()["runs"] == []
