"""The Snowflake adapter on a fakesnow server (the real connector, over HTTP): the behaviours
`test_warehouses.py` checks on SQLite and PostgreSQL, plus what is particular to Snowflake."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import snowflake.connector.errors as sferrors

from dwsim_shared.errors import BadRequest, DependencyUnavailable, QueryTimeout
from dwsim_shared.generation import generate_shard, write_shard_parquet
from dwsim_shared.settings import Settings
from dwsim_shared.testing.fixtures import snowflake_settings
from dwsim_shared.testing.servers import free_port
from dwsim_shared.warehouses import Warehouse, make_warehouse, warehouse_names
from dwsim_shared.warehouses.base import ShardRef
from dwsim_shared.warehouses.snowflake import SnowflakeWarehouse, _translated
from shared.tests import test_warehouses as common
from shared.tests.test_warehouses import ALL_TYPES, EXPERIMENT, TABLE

Shard = tuple[Path, list[dict[str, object]]]


@pytest.fixture
def warehouse(snowflake_server: dict[str, str], tmp_path: Path) -> Warehouse:
    settings = Settings.model_validate({"home": tmp_path, **snowflake_settings(snowflake_server)})
    return make_warehouse("snowflake", settings)


@pytest.fixture
def shard(tmp_path: Path) -> Shard:
    data = generate_shard(EXPERIMENT, "Items", seed=3, row_start=0, row_count=1_000)
    path = tmp_path / "shard.parquet"
    write_shard_parquet(data, path)
    return path, data.to_pylist()


def test_load_is_exactly_once_and_values_survive(warehouse: Warehouse, shard: Shard) -> None:
    common.test_load_is_exactly_once_and_values_survive(warehouse, shard)


def test_prepare_replaces_tables_and_row_cap_truncates(warehouse: Warehouse, shard: Shard) -> None:
    common.test_prepare_replaces_tables_and_row_cap_truncates(warehouse, shard)


def test_physical_ddl_keeps_lengths_and_nullability(warehouse: Warehouse) -> None:
    common.test_physical_ddl_keeps_lengths_and_nullability(warehouse)


def test_read_only_queries_cannot_write(warehouse: Warehouse, shard: Shard) -> None:
    common.test_read_only_queries_cannot_write(warehouse, shard)
    with pytest.raises(BadRequest, match="read-only"):
        warehouse.run_query("wh", "SELECT 1; DROP SCHEMA dwsim_wh", row_cap=1, timeout_s=10)


def test_every_type_is_created_loaded_and_read_back(warehouse: Warehouse, tmp_path: Path) -> None:
    common.test_every_type_is_created_loaded_and_read_back(warehouse, tmp_path)
    table = ALL_TYPES.tables[0]
    data = generate_shard(ALL_TYPES, table.name, seed=9, row_start=0, row_count=500).to_pylist()
    physical = warehouse.physical_table("types", table.name).sql(dialect="snowflake")
    result = warehouse.run_query(
        "types", f'SELECT * FROM {physical} ORDER BY "b"', row_cap=1_000, timeout_s=10
    )
    assert result.columns == [c.name.lower() for c in table.columns]
    for got, expected in zip(result.rows, data, strict=True):
        row = dict(zip(result.columns, got, strict=True))
        for name in ("doc", "tags"):  # VARIANT / ARRAY come back as JSON text
            assert json.loads(row.pop(name)) == json.loads(str(expected.pop(name)))
        assert row == expected  # exact decimals, times, time zones and NULL flags
    typed = warehouse.run_query(
        "types", f'SELECT "doc":id, "tags"[0] FROM {physical} ORDER BY "b" LIMIT 1',
        row_cap=1, timeout_s=10,
    )  # fmt: skip
    assert None not in typed.rows[0]  # documents, not strings


def test_physical_ddl_is_faithful_to_the_source_types(warehouse: Warehouse) -> None:
    ddl = warehouse.create_table_sql(ALL_TYPES, ALL_TYPES.tables[0])
    assert '"amount" DECIMAL(18, 4)' in ddl
    assert '"ratio" FLOAT' in ddl  # REAL: Snowflake's floats are all double precision
    assert '"name" VARCHAR(30)' in ddl and '"code" CHAR(2)' in ddl
    assert '"big_text" VARCHAR NOT NULL' in ddl  # VARCHAR(MAX): Snowflake's longest
    assert '"ts" TIMESTAMPNTZ' in ddl and '"tstz" TIMESTAMPTZ' in ddl
    assert '"doc" VARIANT' in ddl and '"tags" ARRAY' in ddl  # SUPER -> VARIANT


def test_redelivered_shards_racing_load_once(warehouse: Warehouse, shard: Shard) -> None:
    path, _ = shard
    warehouse.prepare(EXPERIMENT)
    with ThreadPoolExecutor(4) as pool:
        loaded = list(
            pool.map(
                lambda _: warehouse.load_shard(EXPERIMENT, TABLE, path, ShardRef(7, "Items", 0)),
                range(4),
            )
        )
    assert loaded == [1_000] * 4
    assert warehouse.count_rows(EXPERIMENT, TABLE) == 1_000


def test_shards_of_one_table_load_side_by_side(warehouse: Warehouse, shard: Shard) -> None:
    path, _ = shard
    warehouse.prepare(EXPERIMENT)
    with ThreadPoolExecutor(4) as pool:
        loaded = list(
            pool.map(
                lambda i: warehouse.load_shard(EXPERIMENT, TABLE, path, ShardRef(1, "Items", i)),
                range(4),
            )
        )
    assert loaded == [1_000] * 4
    assert warehouse.count_rows(EXPERIMENT, TABLE) == 4_000
    warehouse.drop("wh")
    with pytest.raises(BadRequest):
        warehouse.count_rows(EXPERIMENT, TABLE)


# fakesnow cannot cancel a running statement, so a real time-out is not tested here; the
# translation of Snowflake's cancel codes into QueryTimeout is.
@pytest.mark.parametrize("errno", [604, 630])
def test_cancelled_statements_are_timeouts(errno: int) -> None:
    with pytest.raises(QueryTimeout, match="longer than 2 s"), _translated("SELECT 1", 2):
        raise sferrors.ProgrammingError(msg="SQL execution canceled", errno=errno)


def test_a_transaction_conflict_is_transient_and_other_statement_errors_are_not() -> None:
    conflict = sferrors.ProgrammingError(msg="Transaction conflict", errno=603, sqlstate="40001")
    with pytest.raises(DependencyUnavailable, match="concurrent change conflicted"), _translated():
        raise conflict
    with pytest.raises(BadRequest, match="no such table"), _translated():
        raise sferrors.ProgrammingError(msg="no such table", errno=2003, sqlstate="42S02")


def test_a_server_error_fails_the_query_but_marks_the_engine_down_elsewhere() -> None:
    # fakesnow answers SQL it cannot run (an unsupported function) with HTTP 500.
    with pytest.raises(BadRequest, match="failed on this statement"), _translated("SELECT 1", 2):
        raise sferrors.InternalServerError(msg="HTTP 500")
    with pytest.raises(DependencyUnavailable, match="snowflake warehouse"), _translated():
        raise sferrors.InternalServerError(msg="HTTP 500")


def test_unconfigured_or_unreachable_snowflake_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(DependencyUnavailable, match="DWSIM_SNOWFLAKE_HOST"):
        make_warehouse("snowflake", Settings(home=tmp_path)).check()
    down = Settings(
        home=tmp_path, snowflake_host="127.0.0.1", snowflake_port=free_port(),
        snowflake_protocol="http", snowflake_user="fake", snowflake_password="snow",
    )  # fmt: skip
    with pytest.raises(DependencyUnavailable, match="snowflake warehouse"):
        make_warehouse("snowflake", down).check()


def test_snowflake_is_a_registered_warehouse(tmp_path: Path) -> None:
    assert "snowflake" in warehouse_names()
    assert isinstance(make_warehouse("snowflake", Settings(home=tmp_path)), SnowflakeWarehouse)


def test_a_login_sends_no_cloud_platform_probes(
    warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The connector's login telemetry probes cloud metadata services (0.2 s and an AWS session
    per connection, and every query opens one): the warehouse turns the probes off."""
    from snowflake.connector.auth import _auth

    asked: list[float | None] = []
    detect = _auth.detect_platforms

    def spy(platform_detection_timeout_seconds: float | None, **kwargs: object) -> list[str]:
        asked.append(platform_detection_timeout_seconds)
        return detect(platform_detection_timeout_seconds, **kwargs)  # type: ignore[arg-type]

    monkeypatch.delenv("SNOWFLAKE_DISABLE_PLATFORM_DETECTION", raising=False)
    monkeypatch.setattr(_auth, "detect_platforms", spy)
    warehouse.check()
    assert asked == [0.0]
