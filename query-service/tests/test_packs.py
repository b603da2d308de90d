"""The engine function packs alone: the SQLite functions as Python, the Redshift mock's
`dwsim_compat` schema installed, versioned and replaced."""

from __future__ import annotations

import datetime as dt

import psycopg2
import pytest

from dwsim_shared.compat_packs import formats, postgres, sqlite_dates
from dwsim_shared.compat_packs import sqlite as sqlite_pack


def test_format_models_of_both_sources() -> None:
    at = dt.datetime(2024, 3, 17, 15, 4, 5)
    assert formats.format_datetime(at, "YYYY-MM-DD HH24:MI:SS", "redshift") == "2024-03-17 15:04:05"
    assert (
        formats.format_datetime(at, "Dy, DD Mon YYYY HH12 AM", "redshift")
        == "Sun, 17 Mar 2024 03 PM"
    )
    assert formats.format_datetime(at, "Month", "redshift") == "March    "
    assert formats.format_datetime(at, "FMMonth", "redshift") == "March"
    assert formats.format_datetime(at, "DY MON", "snowflake") == "Sun Mar"
    assert formats.parse_datetime("17-Mar-2024", "DD-MON-YYYY", "snowflake") == dt.datetime(
        2024, 3, 17
    )
    with pytest.raises(formats.FormatError):
        formats.tokens("YYYY-XX", "redshift")


def test_a_failing_sqlite_pack_function_names_itself_in_the_query_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """SQLite reports any failing Python function as "user-defined function raised exception";
    the query's error says which function and why."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from dwsim_shared.errors import BadRequest
    from dwsim_shared.experiment_checks import parse_experiment
    from dwsim_shared.settings import Settings
    from dwsim_shared.warehouses import make_warehouse
    from dwsim_shared.warehouses.base import ShardRef

    experiment = parse_experiment({"name": "pack_errors", "tables": [{
        "name": "t", "target_rows": 2,
        "columns": [{"name": "s", "data_type": "VARCHAR"}, {"name": "x", "data_type": "INT"}],
    }]})  # fmt: skip
    warehouse = make_warehouse("sqlite", Settings(home=tmp_path))
    warehouse.prepare(experiment)
    shard = tmp_path / "t.parquet"
    pq.write_table(pa.table({"s": ["12", "abc"], "x": pa.array([1, 0], pa.int32())}), shard)
    table = experiment.tables[0]
    warehouse.load_shard(experiment, table, shard, ShardRef(1, "t", 0))
    run = lambda sql: warehouse.run_query("pack_errors", sql, row_cap=10, timeout_s=5)  # noqa: E731
    assert run("SELECT dwsim_to_number(s) FROM t WHERE x = 1").rows == [[12]]
    cases = {
        "SELECT dwsim_to_number(s) FROM t": "TO_NUMBER: 'abc' is not a number",
        "SELECT dwsim_percentile_cont(2, x, 0) FROM t": "PERCENTILE_CONT: the percentile 2",
        "SELECT 1 / dwsim_divisor(x, 1) FROM t": "sqlite: division by zero",
        # dwsim_round also serves CAST to an integer: the message alone, no misleading name.
        "SELECT dwsim_round(s, 0) FROM t": "sqlite: 'abc' is not a number",
        "SELECT dwsim_cast_date('2024-02-30')": "CAST to DATE: day is out of range",
    }
    for sql, said in cases.items():
        with pytest.raises(BadRequest) as caught:
            run(sql)
        assert said in caught.value.message, caught.value.message
        assert "user-defined" not in caught.value.message
        assert "<class" not in caught.value.message
    assert sqlite_pack.take_failure() is None  # each failure is told once
    assert run("SELECT NULL / dwsim_divisor(x, NULL) FROM t WHERE x = 0").rows == [[None]]


def test_sqlite_date_functions_count_boundaries() -> None:
    assert sqlite_dates.datediff("MONTH", "2024-03-31", "2024-04-01") == 1
    assert sqlite_dates.datediff("YEAR", "2023-12-31 23:59:59", "2024-01-01") == 1
    assert sqlite_dates.datediff("HOUR", "2024-03-17 10:59:59", "2024-03-17 11:00:00") == 1
    assert sqlite_dates.datediff("WEEK", "2024-03-17", "2024-03-18") == 1  # Sunday -> Monday
    assert sqlite_dates.dateadd("MONTH", 1, "2024-01-31", "auto") == "2024-02-29"
    assert sqlite_dates.dateadd("HOUR", 1, "2024-01-31", "timestamp") == "2024-01-31 01:00:00"
    assert (
        sqlite_dates.date_trunc("QUARTER", "2024-05-17 10:00:00", "timestamp")
        == "2024-04-01 00:00:00"
    )
    assert (
        sqlite_dates.convert_timezone("UTC", "America/New_York", "2024-07-01 12:00:00")
        == "2024-07-01 08:00:00"
    )


def test_sqlite_numbers_and_aggregates() -> None:
    assert sqlite_pack.round_half_away(2.25, 1) == 2.3
    assert sqlite_pack.round_half_away(-2.5, 0) == -3.0
    assert sqlite_pack.trunc(-2.79, 1) == -2.7
    assert sqlite_pack.try_number("x1") is None
    listagg = sqlite_pack.ListAgg()
    for value, key in (("b", 2), ("a", None), ("c", 1)):
        listagg.step(value, ",", 0, key, 0)
    assert listagg.finalize() == "c,b,a"  # NULL keys last when ascending


@pytest.mark.integration
def test_redshift_pack_is_versioned_and_replaced(postgres_db: str) -> None:
    conn = psycopg2.connect(postgres_db)
    try:
        with conn.cursor() as cur:
            assert postgres.installed_version(cur) is None
            assert postgres.install_compat(cur) is True
            assert postgres.install_compat(cur) is False  # the same version: left alone
            cur.execute(
                "CREATE OR REPLACE FUNCTION dwsim_compat.pack_version() RETURNS integer LANGUAGE sql AS 'SELECT 0'"
            )
            assert postgres.install_compat(cur) is True  # an older pack is replaced
            assert postgres.installed_version(cur) == postgres.PACK_VERSION
            cur.execute(postgres.SEARCH_PATH)
            cur.execute(
                "SELECT dwsim_datediff('MONTH', '2024-03-31', '2024-04-01'), strtok('a,,b', ',', 2), editdistance('kitten', 'sitting')"
            )
            assert cur.fetchone() == (1, "b", 3)
    finally:
        conn.close()


def test_sqlite_function_pack_keeps_the_sources_meaning() -> None:
    from dwsim_shared.compat_packs import sqlite_functions as fn

    assert fn.mod(4.5, 1.2) == pytest.approx(0.9) and fn.mod(-10.5, 4) == -2.5
    assert fn.mod(7, 2) == 1 and fn.mod(1, 0) is None
    assert fn.round_mode(2.5, 0, "HALF_TO_EVEN") == 2.0
    assert fn.round_mode(-2.5, 0, "half_away_from_zero") == -3.0
    with pytest.raises(ValueError, match="rounding mode"):
        fn.round_mode(1, 0, "UP")
    assert fn.regexp_substr("the fox", "FOX", 1, 1, "i") == "fox"
    assert fn.regexp_substr("abc123 def456", "([a-z]+)([0-9]+)", 1, 2, "e") == "def"
    assert fn.regexp_count("a\nb\nc", "^[a-z]$", 1, "m") == 3
    assert fn.regexp_replace("aXbx", "x", "-", 1, 2, "i") == "aXb-"
    assert fn.regexp_instr("the FOX", "fox", 1, 1, 1, "i") == 8
    assert fn.initcap("this is the new Frame+Oxygen", " +") == "This Is The New Frame+Oxygen"
    assert fn.to_hex(2147676847) == "8002f2af"
    assert fn.cast_time("08:50:48") == "08:50:48"
    assert fn.time_add("HOUR", 12, "13:24:55") == "01:24:55"
    assert fn.translate("mint tea", "inea", "osin") == "most tin"
    assert fn.sha2("Amazon Redshift", 0) == fn.sha2("Amazon Redshift", 256)
    assert fn.try_(sqlite_dates.cast_date)("Invalid") is None
