"""The per-value limit in the rewrite chain (`dwsim_query.value_limits`, issue 14 D2): literal
arguments are checked when the query is read, others by a check the engine runs before it
builds the value; a refusal names the call, its position and the limit."""

from __future__ import annotations

import sqlite3

import pytest
from sqlglot import exp

from dwsim_query.pipeline import prepare_query
from dwsim_query.value_limits import MAX_CHECKED_NODES, ValueLimits
from dwsim_shared.compat_packs.sqlite import register_compat, reporting, take_failure
from dwsim_shared.errors import BadRequest, QueryTooLarge

LIMITS = ValueLimits(value_max_bytes=16 * 1024 * 1024, emulator_value_max_bytes=256 * 1024)
ENGINES = ["sqlite", "postgres", "snowflake"]


def _sql(sql: str, engine: str, source: str = "redshift") -> str:
    def resolve(name: str) -> exp.Table:
        return exp.Table(this=exp.to_identifier(name))

    return prepare_query(sql, source, engine, resolve, ["t"], value_limits=LIMITS).sql


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("source", ["redshift", "snowflake"])
def test_a_literal_call_past_the_limit_is_refused_before_it_runs(engine: str, source: str) -> None:
    with pytest.raises(QueryTooLarge) as caught:
        _sql("SELECT a,\n  rpad('x', 20000000) FROM t", engine, source)
    message = caught.value.message
    assert "RPAD (line 2, column 3)" in message
    assert "20,000,000" in message and "_VALUE_MAX_BYTES" in message
    assert caught.value.details["construct"] == "RPAD"


def test_the_emulator_budget_is_smaller_and_shared_by_the_statements_calls() -> None:
    # 10 MB is within the value limit on PostgreSQL, not within the emulator's budget.
    assert "REPEAT('x', 10000000)" in _sql("SELECT repeat('x', 10000000) FROM t", "postgres")
    with pytest.raises(QueryTooLarge, match="DWSIM_EMULATOR_VALUE_MAX_BYTES"):
        _sql("SELECT repeat('x', 10000000) FROM t a, t b", "snowflake")
    # Two calls of 200,000 bytes: each within the budget alone, not together.
    _sql("SELECT repeat('x', 200000) FROM t", "snowflake")
    with pytest.raises(QueryTooLarge, match="shared by this statement's 2 value-growing calls"):
        _sql("SELECT repeat('x', 200000), repeat('y', 200000) FROM t", "snowflake")


@pytest.mark.parametrize(
    ("engine", "fail"),
    [("postgres", "AS INT"), ("snowflake", "ERROR('dwsim value too large: REPEAT")],
)
def test_a_column_argument_is_checked_by_the_engine(engine: str, fail: str) -> None:
    sql = _sql("SELECT repeat(a, b) FROM t", engine)
    assert sql.startswith("SELECT CASE WHEN ") and fail in sql
    assert 'ELSE REPEAT("a", "b") END' in sql


def test_concatenation_is_checked_only_in_a_recursive_cte() -> None:
    recursive = (
        "WITH RECURSIVE r(n, s) AS (SELECT 1, 'x' UNION ALL SELECT n + 1, s || s FROM r "
        "WHERE n < 40) SELECT max(length(s)) FROM r"
    )
    for engine in ENGINES:
        assert "dwsim value too large: || (concatenation in a recursive CTE)" in _sql(
            recursive, engine
        )
        assert "dwsim value too large" not in _sql("SELECT a || a FROM t", engine)


def _run_on_sqlite(sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(":memory:")
    register_compat(conn)

    def fail(message: str) -> None:
        raise ValueError(message)

    conn.create_function("dwsim_value_too_large", 1, reporting("", fail))
    conn.execute("CREATE TABLE t (a TEXT, b INTEGER)")
    conn.executemany("INSERT INTO t VALUES (?, ?)", [("ab", 3), ("cd", 30_000_000)])
    return conn.execute(sql).fetchall()


def test_the_check_fails_only_the_row_past_the_limit_and_keeps_the_engines_value() -> None:
    within = _sql("SELECT rpad(a, b, 'x') FROM t WHERE b < 10", "sqlite")
    assert _run_on_sqlite(within) == [("abx",)]
    past = _sql("SELECT rpad(a, b, 'x') FROM t", "sqlite")
    with pytest.raises(sqlite3.OperationalError):
        _run_on_sqlite(past)
    said = take_failure() or ""
    assert "RPAD (line 1, column 8) would build a value over the limit of 16,777,216" in said
    recursive = _sql(
        "WITH RECURSIVE r(n, s) AS (SELECT 1, 'x' UNION ALL SELECT n + 1, s || s FROM r "
        "WHERE n < 40) SELECT max(length(s)) FROM r",
        "sqlite",
    )
    with pytest.raises(sqlite3.OperationalError):
        _run_on_sqlite(recursive)
    assert "concatenation in a recursive CTE" in (take_failure() or "")


def test_replace_is_checked_by_the_size_it_would_build() -> None:
    sql = _sql("SELECT replace(a, 'b', 'xyz') FROM t", "sqlite")
    assert _run_on_sqlite(sql) == [("axyz",), ("cd",)]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("source", ["redshift", "snowflake"])
def test_regexp_replace_is_checked_by_a_bound_on_what_it_could_build(
    engine: str, source: str
) -> None:
    sql = _sql("SELECT regexp_replace(a, 'b', 'xyz') FROM t", engine, source)
    assert "would build a value over" in sql and "REGEXP_REPLACE" in sql.upper()
    removal = _sql("SELECT regexp_replace(a, 'b') FROM t", engine, source)
    assert "would build a value over" not in removal  # no replacement: it only shrinks


def test_regexp_replace_past_the_limit_fails_on_the_engine() -> None:
    small = ValueLimits(value_max_bytes=100, emulator_value_max_bytes=100)

    def resolve(name: str) -> exp.Table:
        return exp.Table(this=exp.to_identifier(name))

    def checked(sql: str) -> str:
        return prepare_query(sql, "redshift", "sqlite", resolve, ["t"], value_limits=small).sql

    short = checked("SELECT regexp_replace(a, 'b', 'xyz') FROM t")
    assert _run_on_sqlite(short) == [("axyz",), ("cd",)]  # short values pass, unchanged
    longer = checked("SELECT regexp_replace(a || '" + "b" * 40 + "', 'b', 'xyz') FROM t")
    with pytest.raises(sqlite3.OperationalError):
        _run_on_sqlite(longer)
    assert "REGEXP_REPLACE" in (take_failure() or "")


def test_no_limits_leave_the_query_as_the_chain_wrote_it() -> None:
    def resolve(name: str) -> exp.Table:
        return exp.Table(this=exp.to_identifier(name))

    sql = prepare_query("SELECT repeat(a, b) FROM t", "redshift", "postgres", resolve, ["t"]).sql
    assert sql == 'SELECT REPEAT("a", "b") FROM t AS "t"'


def test_deeply_nested_growing_calls_are_refused_not_expanded() -> None:
    nested = "a"
    for _ in range(12):
        nested = f"replace({nested}, 'b', 'cc')"
    with pytest.raises(BadRequest, match="nested too deeply to check"):
        _sql(f"SELECT {nested} FROM t", "postgres")
    assert MAX_CHECKED_NODES >= 10_000
