"""The emulator's rewrite of a statement (fakesnow's transforms, the walks a query cannot need
left out) must be exactly fakesnow's own: the same list of transforms in the same order, and
the same DuckDB SQL (or the same error) for every golden query in Snowflake SQL and for the
statements of other kinds."""

from __future__ import annotations

import inspect
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlglot
import yaml
from fakesnow.instance import FakeSnow

from dwsim_shared import emulator_transforms as et

CASES = Path(__file__).parents[2] / "query-service" / "tests" / "golden" / "cases"
OTHER_STATEMENTS = [
    "CREATE TABLE t1 (id INT, name VARCHAR(10)) COMMENT = 'x'",
    "CREATE TABLE t2 AS SELECT 1 AS a",
    "CREATE OR REPLACE TABLE t3 CLONE t1",
    "ALTER TABLE t1 CLUSTER BY (id)",
    "ALTER SESSION SET QUERY_TAG = 'x'",
    "INSERT INTO t1 SELECT 1, 'a'",
    "UPDATE t1 SET name = 'c' WHERE id = 2",
    "DELETE FROM t1 WHERE id = 1",
    "SHOW TABLES",
    "SHOW COLUMNS IN TABLE t1",
    "SHOW PRIMARY KEYS",
    "USE SCHEMA s1",
    "SET x = 1",
    "DROP SCHEMA s2",
    "LIST @st1",
]


def snowflake_queries() -> list[str]:
    found = []
    for path in sorted(CASES.glob("*.yaml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            if case.get("dialect") in ("snowflake", None) and case.get("sql"):
                found.append(case["sql"])
    return found


def test_the_steps_are_fakesnows_in_its_order() -> None:
    # fakesnow's own method: `install()` (run where the emulator server is imported in this
    # process) replaces the class attribute with ours.
    source = inspect.getsource(et._original)
    assert [name for name, _ in et.STEPS] == re.findall(r"transforms\.(\w+)", source)
    assert {name for name, _ in et.STEPS} >= et.STATEMENT_ONLY
    assert len(et.QUERY_STEPS) < len(et.STEPS) - 25  # the saving this module exists for


@pytest.fixture(scope="module")
def cursor() -> Iterator[Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        conn = FakeSnow().connect(database="db1", schema="s1")
        with conn.cursor() as cur:
            cur.execute("CREATE TABLE g (a INT, b VARCHAR, c DATE)")
            yield cur
        conn.close()


def _rewrite(rewrite: Any, cursor: Any, sql: str) -> str:
    try:
        tree = sqlglot.parse_one(sql, read="snowflake")
    except sqlglot.errors.ParseError as error:
        return f"unparsed: {error}"
    try:
        return str(rewrite(cursor, tree, None).sql(dialect="duckdb"))
    except Exception as error:  # the same error from both is what is asserted
        return f"{type(error).__name__}: {error}"


def test_every_statement_is_rewritten_as_fakesnow_does(cursor: Any) -> None:
    # Every third golden query (about 200: the whole set cost 30 s of a worker under load),
    # and every statement of another kind.
    statements = snowflake_queries()[::3] + OTHER_STATEMENTS
    assert len(statements) > 180
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        differ = [
            sql
            for sql in statements
            if _rewrite(et._original, cursor, sql) != _rewrite(et.transform, cursor, sql)
        ]
    assert differ == []


def test_the_walk_is_sqlglots_transform() -> None:
    seen: list[str] = []

    def upper_literals(node: Any) -> Any:
        seen.append(type(node).__name__)
        if isinstance(node, sqlglot.exp.Literal) and node.is_string:
            return sqlglot.exp.Literal.string(node.this.upper())
        return node

    sql = "SELECT a, 'x' || b FROM t WHERE c IN ('y', 'z') AND d = (SELECT 'w')"
    expected_seen: list[str] = []
    expected = sqlglot.parse_one(sql).transform(
        lambda n: (expected_seen.append(type(n).__name__), upper_literals(n))[1], copy=False
    )
    seen.clear()
    got = et.walk(sqlglot.parse_one(sql), upper_literals)
    assert got.sql() == expected.sql() and "'X'" in got.sql()
    assert seen == expected_seen


def test_a_remembered_parse_is_fakesnows_and_every_use_gets_its_own_tree() -> None:
    import snowflake.connector.errors
    from fakesnow.dialect import parse_one as fakesnows

    sql = "SELECT a, IFF(b > 1, 'x', 'y') AS c FROM t WHERE d = 1"
    first = et.parse_one(sql)
    assert first.sql("snowflake") == fakesnows(sql).sql("snowflake")
    first.set("where", None)  # fakesnow's rewrite changes its tree in place
    again = et.parse_one(sql)
    assert again is not first and again.sql("snowflake") == fakesnows(sql).sql("snowflake")
    # The guard's parse is remembered for fakesnow's: one statement only, as parse_one reads it.
    checked = "SELECT 42 AS answer"
    (statement,) = et.parse_statements(checked)
    assert et._kept(checked) is not None and et._kept(checked) is not statement
    assert et.parse_one(checked).sql() == statement.sql()
    assert len(et.parse_statements("SELECT 1; SELECT 2")) == 2
    # fakesnow's parse of several statements (a Block) never reads as one statement to the guard
    et.parse_one("SELECT 3; DROP TABLE t")
    assert len(et.parse_statements("SELECT 3; DROP TABLE t")) == 2
    assert et._kept("SELECT 1; SELECT 2") is None
    with pytest.raises(snowflake.connector.errors.ProgrammingError) as caught:
        et.parse_one("SELEC 1")
    with pytest.raises(snowflake.connector.errors.ProgrammingError) as expected:
        fakesnows("SELEC 1")
    assert caught.value.msg == expected.value.msg
