"""The emulator describes a result from DuckDB's own description of it, taken when the
statement ran, instead of fakesnow's second pass (`DESCRIBE <statement>`: parse, transform and
plan again). The columns must be exactly what that second pass answers, for every type."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from fakesnow.cursor import FakeSnowflakeCursor
from fakesnow.instance import FakeSnow

from dwsim_shared import emulator_server as es

STATEMENTS = [
    "SELECT 1 AS i, 12345678901::bigint AS b, 1.25::number(12,2) AS d, 2.5::float AS f",
    "SELECT 'x' AS s, 'abc'::varchar(3) AS v, TRUE AS t, NULL AS n",
    "SELECT '2024-02-29'::date AS d, '2024-02-29 01:02:03.456'::timestamp_ntz AS ts,"
    " '2024-02-29 01:02:03 +01:00'::timestamp_tz AS tz, '13:24:55'::time AS tm",
    "SELECT PARSE_JSON('{\"a\": [1, 2]}') AS v, ARRAY_CONSTRUCT(1, 2) AS a,"
    " OBJECT_CONSTRUCT('k', 1) AS o, TO_BINARY('6162', 'HEX') AS bin",
    "SELECT COUNT(*) AS c, SUM(x) AS s, AVG(x) AS a FROM (SELECT 1.5::number(10,1) AS x)",
    "CREATE TABLE t1 (id INT, name VARCHAR(10))",
    "INSERT INTO t1 VALUES (1, 'a'), (2, 'b')",
    "SELECT * FROM t1 ORDER BY id",
    "UPDATE t1 SET name = 'c' WHERE id = 2",
    "DELETE FROM t1 WHERE id = 1",
    "SHOW TABLES",
]


@pytest.fixture()
def cursor(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setattr(FakeSnowflakeCursor, "execute", es._execute)
    monkeypatch.setattr(FakeSnowflakeCursor, "_describe_last_sql", es._describe_last_sql)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # DuckDB's note on Arrow copies
        conn = FakeSnow().connect(database="db1", schema="s1")
        with conn.cursor() as cur:
            yield cur


@pytest.mark.parametrize("sql", STATEMENTS)
def test_kept_description_is_what_describe_answers(cursor: Any, sql: str) -> None:
    for setup in STATEMENTS[: STATEMENTS.index(sql)]:
        if not setup.startswith("SELECT"):
            cursor.execute(setup)
    cursor.execute(sql)
    kept = cursor._dwsim_described
    assert kept is not None and kept[0] is cursor._arrow_table  # the shortcut is taken
    assert es._describe_last_sql(cursor) == es._original_describe_last_sql(cursor)


def test_a_result_restored_from_the_cache_is_described_by_fakesnow(cursor: Any) -> None:
    cursor.execute("SELECT 1 AS a, 'x' AS b")
    first = cursor.sfqid
    cursor.execute("SELECT 2.5::float AS f")
    cursor.execute(f"SELECT * FROM TABLE(RESULT_SCAN('{first}'))")
    assert cursor._dwsim_described is None  # nothing ran: fakesnow's own DESCRIBE answers
    assert [c[0].upper() for c in es._describe_last_sql(cursor)] == ["A", "B"]
