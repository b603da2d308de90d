"""Limits on input: body size, names, run size, DDL size and shape; each answered with a 4xx
that names the limit, and nothing changed."""

from __future__ import annotations

import pytest

from .conftest import GatewayFactory, small_experiment


def test_body_over_the_limit_is_413_before_parsing(gateway: GatewayFactory) -> None:
    client = gateway(max_body_bytes=64 * 1024)
    big = b'{"name": "x", "pad": "' + b"a" * (70 * 1024) + b'"}'
    answer = client.post(
        "/api/experiments", content=big, headers={"content-type": "application/json"}
    )
    assert answer.status_code == 413
    assert (
        "65536" in answer.json()["message"] and "DWSIM_MAX_BODY_BYTES" in answer.json()["message"]
    )

    def chunks():  # no Content-Length: counted as it arrives
        for _ in range(100):
            yield b"a" * 1024

    answer = client.post("/api/experiments", content=chunks())
    assert answer.status_code == 413
    # A body under the limit sent in chunks is still read whole.
    document = b'{"name": "chunked", "tables": [{"name": "t", "target_rows": 1, "columns": [{"name": "id", "data_type": "INT"}]}]}'
    answer = client.post(
        "/api/experiments", content=iter([document[:20], document[20:]]),
        headers={"content-type": "application/json"},
    )  # fmt: skip
    assert answer.status_code == 201, answer.text
    assert [e["name"] for e in client.get("/api/experiments").json()["experiments"]] == ["chunked"]


def test_default_body_limit_is_ten_megabytes(gateway: GatewayFactory) -> None:
    client = gateway()
    answer = client.post(
        "/api/experiments/validate",
        content=b"{" + b" " * (20 * 1024 * 1024) + b"}",
        headers={"content-type": "application/json"},
    )
    assert answer.status_code == 413
    assert "10485760" in answer.json()["message"]


@pytest.mark.parametrize(
    "path",
    ["/api/experiments/%00", "/api/experiments/a%0Ab", "/api/experiments/a%01",
     "/api/experiments/" + "a" * 64, "/api/experiments/UPPER", "/api/experiments/..%2Fetc",
     "/api/experiments/x/runs/%00", "/api/experiments/x/runs/99999999999999999999",
     "/api/experiments/x/runs/0"],
)  # fmt: skip
def test_bad_names_in_paths_are_4xx(gateway: GatewayFactory, path: str) -> None:
    answer = gateway().get(path)
    assert 400 <= answer.status_code < 500, answer.text
    assert answer.json()["error"] in ("invalid_input", "not_found")


def test_nul_in_a_name_never_reaches_postgresql(
    gateway: GatewayFactory, postgres_state_db: str
) -> None:
    client = gateway(state_url=postgres_state_db)
    assert client.get("/api/experiments/%00").status_code == 422
    assert client.delete("/api/experiments/a%00b").status_code == 422
    document = small_experiment("a\x00b")
    assert client.post("/api/experiments", json=document).status_code == 422
    assert client.get("/api/experiments").json()["experiments"] == []


def test_rows_and_shards_over_the_ceiling_are_422(
    gateway: GatewayFactory, postgres_state_db: str, redis_server_url: str
) -> None:
    client = gateway(state_url=postgres_state_db, broker_url=f"{redis_server_url}/12")
    assert client.post("/api/experiments", json=small_experiment("huge")).status_code == 201
    answer = client.post("/api/experiments/huge/generate", json={"rows": {"t": 10**12}})
    assert answer.status_code == 422
    assert "10,000,000,000" in answer.json()["message"]
    assert "DWSIM_MAX_ROWS_PER_RUN" in answer.json()["message"]
    answer = client.post(
        "/api/experiments/huge/generate", json={"rows": {"t": 10**9}, "shard_size": 1000}
    )
    assert answer.status_code == 422
    assert "100,000 shards" in answer.json()["message"]
    assert client.get("/api/experiments/huge/runs").json()["runs"] == []
    document = small_experiment("toobig")
    document["tables"][0]["target_rows"] = 10**11  # type: ignore[index]
    assert client.post("/api/experiments", json=document).status_code == 422


def test_large_shard_plan_is_written_in_batches(
    gateway: GatewayFactory, postgres_state_db: str, redis_server_url: str
) -> None:
    client = gateway(state_url=postgres_state_db, broker_url=f"{redis_server_url}/12")
    assert client.post("/api/experiments", json=small_experiment("many")).status_code == 201
    answer = client.post(
        "/api/experiments/many/generate", json={"rows": {"t": 12_345}, "shard_size": 1}
    )
    assert answer.status_code == 202, answer.text
    run = client.get(answer.json()["links"]["run"]).json()
    assert run["tables"]["t"]["shards"] == 12_345
    assert run["tables"]["t"]["target_rows"] == 12_345


def test_ddl_over_its_limits_is_400_naming_the_limit(gateway: GatewayFactory) -> None:
    client = gateway(ddl_max_chars=50_000, ddl_max_statements=10)

    def imported(sql: str):  # type: ignore[no-untyped-def]
        return client.post(
            "/api/experiments/import-sql", json={"name": "d", "sql": sql, "dialect": "redshift"}
        )

    answer = imported("CREATE TABLE t (id INT);" + " " * 50_000)
    assert answer.status_code == 400 and "DWSIM_DDL_MAX_CHARS" in answer.json()["message"]
    answer = imported("CREATE TABLE t (id INT);" * 11)
    assert answer.status_code == 400 and "DWSIM_DDL_MAX_STATEMENTS" in answer.json()["message"]
    deep = "CREATE TABLE t (id INT CHECK (" + "(" * 3_000 + "id > 0" + ")" * 3_000 + "));"
    answer = client.post("/api/experiments/validate", json={"sql": deep, "dialect": "redshift"})
    assert answer.status_code == 400, answer.text
    assert "DWSIM_DDL_MAX_DEPTH" in answer.json()["message"]
    chained = "CREATE TABLE t (id INT CHECK (id > " + "+".join(["1"] * 3_000) + "));"
    answer = client.post("/api/experiments/validate", json={"sql": chained, "dialect": "redshift"})
    assert answer.status_code in (200, 400), answer.text
    assert client.get("/api/experiments").json()["experiments"] == []


@pytest.mark.parametrize("state", ["sqlite", "postgresql"])
def test_integers_in_bodies_are_bounded_before_the_state_database(
    gateway: GatewayFactory, state: str, request: pytest.FixtureRequest
) -> None:
    """The fuzzer's case: a run id past 64 bits in a load body is a 422 naming the field."""
    options = (
        {"state_url": request.getfixturevalue("postgres_state_db")} if state == "postgresql" else {}
    )
    client = gateway(**options)
    assert client.post("/api/experiments", json=small_experiment("ids")).status_code == 201
    for run_id in (9223372036854775808, 2**31, 0, -1):
        answer = client.post("/api/experiments/ids/load", json={"run_id": run_id})
        assert answer.status_code == 422, answer.text
        assert answer.json()["message"].startswith("run_id:")
    answer = client.post("/api/experiments/ids/load", json={"run_id": 2**31 - 1})
    assert answer.status_code == 404, answer.text  # in range: looked up, and not there


def test_a_full_state_pool_is_503_busy_with_retry_after(
    gateway: GatewayFactory, postgres_state_db: str
) -> None:
    import contextlib

    client = gateway(state_url=postgres_state_db, dependency_timeout_s=1)
    engine = client.app.state.runtime.engine  # type: ignore[attr-defined]
    with contextlib.ExitStack() as held:  # every connection of the pool taken
        for _ in range(engine.pool.size() + engine.pool._max_overflow):
            held.enter_context(engine.connect())
        answer = client.get("/api/experiments")
    assert answer.status_code == 503, answer.text
    assert answer.headers["Retry-After"] == "1"
    assert answer.json()["error"] == "busy"
    assert answer.json()["message"].startswith("state database is busy")
    assert client.get("/api/experiments").status_code == 200
