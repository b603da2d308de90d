"""The Snowflake endpoint with snowflake-connector-python, as a user's script connects: the
realism corpus answers what `POST /query` answers, the workspace takes the writes dbt sends,
and the hostile statements (writes to generated tables, other experiments, files, roles) are
refused with nothing changed."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
import snowflake.connector
import yaml
from snowflake.connector.errors import DatabaseError, ProgrammingError

from dwsim_query.compat.cases import normalize, same
from dwsim_query.service import experiment_context, run_query
from dwsim_shared.endpoint_credentials import rotate_password
from dwsim_shared.errors import DWSimError
from dwsim_shared.warehouses.namespaces import live_namespace, workspace_namespace

from .snowflake_endpoint_fixtures import ROWS, LiveSnow, live_snowflake

pytestmark = pytest.mark.integration
__all__ = ["live_snowflake"]
CORPUS = Path(__file__).parent / "corpus"  # the realism corpus of tests/test_corpus_e2e.py
NUMBER = re.compile(r"-?\d+(\.\d+)?([Ee][-+]?\d+)?")


def _plain(value: Any) -> Any:
    value = normalize(value)
    if isinstance(value, str) and NUMBER.fullmatch(value):
        return float(value)  # the REST answer carries exact decimals as strings
    return value.rstrip() if isinstance(value, str) else value


def agree(a: list[list[Any]], b: list[list[Any]]) -> bool:
    """The same rows in any order, numbers within 0.01 (as the gateway's corpus test)."""
    key = lambda row: [str(_plain(v)) for v in row]  # noqa: E731
    return len(a) == len(b) and all(
        len(x) == len(y)
        and all(same(_plain(p), _plain(q), 0.01) for p, q in zip(x, y, strict=True))
        for x, y in zip(sorted(a, key=key), sorted(b, key=key), strict=True)
    )


def _counts(live: LiveSnow, name: str) -> dict[str, int]:
    warehouse = live.rt.warehouse("snowflake")
    experiment = experiment_context(live.rt, name).experiment
    return {t.name: warehouse.count_rows(experiment, t) for t in experiment.tables}


def test_corpus_answers_as_rest(live_snowflake: LiveSnow) -> None:
    name = live_snowflake.experiment.name
    queries = [q for p in sorted(CORPUS.glob("*.yaml")) for q in yaml.safe_load(p.read_text())]
    problems: list[str] = []
    answered = 0
    with live_snowflake.connect(schema="public") as conn, conn.cursor() as cur:
        for query in queries:
            sql = query.get("snowflake") or query["sql"]
            try:
                rest: list[list[Any]] | None = run_query(live_snowflake.rt, name, sql)["rows"]
            except DWSimError:
                rest = None
            try:
                cur.execute(sql)
                rows: list[list[Any]] | None = [list(r) for r in cur.fetchall()]
            except ProgrammingError:
                rows = None
            if (rest is None) != (rows is None):
                problems.append(
                    f"{query['name']}: REST {rest is not None}, endpoint {rows is not None}"
                )
            elif rest is not None and rows is not None:
                answered += 1
                if not agree(rest, rows):
                    problems.append(f"{query['name']}: {rest[:3]} != {rows[:3]}")
    assert not problems, "\n".join(problems)
    assert answered >= len(queries) - 2  # the corpus runs on the emulator (REST agrees)


def test_session_names_and_workspace(live_snowflake: LiveSnow) -> None:
    name = live_snowflake.experiment.name
    with live_snowflake.connect() as conn, conn.cursor() as cur:
        cur.execute("SELECT CURRENT_DATABASE(), CURRENT_SCHEMA(), CURRENT_ROLE()")
        assert cur.fetchone() == (name.upper(), "WORKSPACE", "PUBLIC")
        cur.execute("SELECT c_custkey AS id, COUNT(*) FROM public.customer GROUP BY 1 LIMIT 1")
        assert [d[0] for d in cur.description] == ["ID", "COUNT(*)"]
        cur.execute(
            "CREATE OR REPLACE TABLE ws_orders AS SELECT o_orderkey, o_totalprice FROM orders"
        )
        cur.execute("INSERT INTO workspace.ws_orders VALUES (%s, %s)", (999999, 1.5))
        cur.execute("UPDATE ws_orders SET o_totalprice = 0 WHERE o_orderkey = 999999")
        cur.execute(
            "DELETE FROM ws_orders USING orders WHERE ws_orders.o_orderkey = orders.o_orderkey AND orders.o_orderkey < 10"
        )
        cur.execute(
            "MERGE INTO ws_orders t USING (SELECT o_orderkey, o_totalprice FROM orders) s "
            "ON t.o_orderkey = s.o_orderkey WHEN MATCHED THEN UPDATE SET o_totalprice = s.o_totalprice "
            "WHEN NOT MATCHED THEN INSERT (o_orderkey, o_totalprice) VALUES (o_orderkey, o_totalprice)"
        )
        cur.execute("SELECT COUNT(*) FROM workspace.ws_orders")
        assert cur.fetchone() == (ROWS["orders"] + 1,)
        cur.execute("CREATE VIEW workspace.v_big AS SELECT * FROM ws_orders WHERE o_totalprice > 0")
        cur.execute(f"SHOW OBJECTS IN {name}.workspace")
        shown = {(r[1], r[4]) for r in cur.fetchall()}
        assert {("WS_ORDERS", "TABLE"), ("V_BIG", "VIEW")} <= shown
        cur.execute("TRUNCATE TABLE ws_orders")
        cur.execute("SELECT COUNT(*) FROM v_big")
        assert cur.fetchone() == (0,)
        cur.execute("DROP VIEW v_big")
        cur.execute("DROP TABLE workspace.ws_orders")
    assert _counts(live_snowflake, name) == ROWS


HOSTILE = [
    "INSERT INTO orders (o_orderkey) VALUES (1)",
    "INSERT INTO public.orders SELECT * FROM orders",
    "UPDATE orders SET o_totalprice = 0",
    "DELETE FROM public.lineitem",
    "MERGE INTO orders t USING customer s ON t.o_custkey = s.c_custkey WHEN MATCHED THEN DELETE",
    "TRUNCATE TABLE customer",
    "DROP TABLE orders",
    "ALTER TABLE orders RENAME TO gone",
    "CREATE OR REPLACE TABLE public.orders AS SELECT 1 AS a",
    "CREATE TABLE public.extra (a INT)",
    "SELECT * FROM {other}.public.orders",
    'SELECT * FROM "{other_live}"."orders"',
    'CREATE TABLE workspace.stolen AS SELECT * FROM "{other_live}"."orders"',
    'SELECT * FROM "{other_ws}"."t"',
    'CREATE TABLE "{other_ws}"."planted" (a INT)',
    'SELECT * FROM "_dwsim_loads"',
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM TABLE(read_parquet('/tmp/x.parquet'))",
    "COPY INTO workspace.t FROM @~/x",
    "PUT file:///etc/passwd @~",
    "USE ROLE ACCOUNTADMIN",
    "GRANT ROLE ACCOUNTADMIN TO USER me",
    "ALTER USER me SET DEFAULT_ROLE = ACCOUNTADMIN",
    "CREATE ROLE r",
    "ALTER SESSION SET TIMEZONE = 'Asia/Tokyo'",
    "USE DATABASE dwsim",
    'USE SCHEMA "{other_live}"',
    "CREATE SCHEMA x",
    "CREATE DATABASE x",
    "SHOW TABLES IN DATABASE dwsim",
    "SELECT * FROM information_schema.tables",
    "CALL system$wait(10)",
]


def test_hostile_statements_are_refused_and_change_nothing(live_snowflake: LiveSnow) -> None:
    name, other = live_snowflake.experiment.name, live_snowflake.other.name
    before = {n: _counts(live_snowflake, n) for n in (name, other)}
    names = {"other": other, "other_live": live_namespace(other),
             "other_ws": workspace_namespace(other)}  # fmt: skip
    accepted = []
    with live_snowflake.connect() as conn, conn.cursor() as cur:
        for sql in HOSTILE:
            try:
                cur.execute(sql.format(**names))
            except ProgrammingError as error:
                assert error.errno and error.msg, sql
                continue
            accepted.append(sql)
    assert not accepted
    assert {n: _counts(live_snowflake, n) for n in (name, other)} == before
    assert live_snowflake.rt.warehouse("snowflake").endpoint_workspace_objects(other) == {}


def test_logins_are_per_experiment_and_rotate(live_snowflake: LiveSnow) -> None:
    name, other = live_snowflake.experiment.name, live_snowflake.other.name
    with pytest.raises(DatabaseError, match="Incorrect username or password"):
        live_snowflake.connect(password="wrong")
    with pytest.raises(DatabaseError, match="Incorrect username or password"):
        live_snowflake.connect(user=other, database=other)  # this experiment's password
    with pytest.raises(DatabaseError):
        live_snowflake.connect(role="ACCOUNTADMIN")
    # The emulator itself does not take the endpoint's credentials.
    settings = live_snowflake.rt.settings
    with pytest.raises(DatabaseError):
        snowflake.connector.connect(
            account="x", host=settings.snowflake_host, port=settings.snowflake_port,
            protocol="http", user=name, password=live_snowflake.password(), login_timeout=5,
        )  # fmt: skip
    old = live_snowflake.password()
    with live_snowflake.rt.session() as session:
        new = rotate_password(session, experiment_context(live_snowflake.rt, name).experiment_id)
    with pytest.raises(DatabaseError):
        live_snowflake.connect(password=old)
    with live_snowflake.connect(password=new) as conn, conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM region")
        assert cur.fetchone() == (5,)


def test_statement_timeout_is_the_query_services(live_snowflake: LiveSnow) -> None:
    with live_snowflake.connect() as conn, conn.cursor() as cur:
        with pytest.raises(ProgrammingError) as raised:
            cur.execute(
                "SELECT COUNT(*) FROM lineitem a, lineitem b, lineitem c, lineitem d, lineitem e"
            )
        assert raised.value.errno in (604, 630)
        cur.execute("SELECT COUNT(*) FROM nation")
        assert cur.fetchone() == (25,)


def test_a_cancel_stops_the_statement(live_snowflake: LiveSnow) -> None:
    """The connector's own timeout sends an abort request, which reaches the emulator."""
    with live_snowflake.connect() as conn, conn.cursor() as cur:
        started = time.monotonic()
        with pytest.raises(ProgrammingError) as raised:
            cur.execute(
                "SELECT COUNT(*) FROM lineitem a, lineitem b, lineitem c, lineitem d, lineitem e",
                timeout=1,
            )
        assert raised.value.errno == 604
        assert time.monotonic() - started < 4  # before the statement timeout (5 s) would
        cur.execute("SELECT COUNT(*) FROM region")
        assert cur.fetchone() == (5,)


def test_the_workspace_quota_refuses_further_writes(live_snowflake: LiveSnow) -> None:
    settings = live_snowflake.rt.settings
    kept = settings.snowflake_workspace_max_rows
    settings.snowflake_workspace_max_rows = 100
    try:
        with live_snowflake.connect() as conn, conn.cursor() as cur:
            cur.execute("CREATE TABLE big AS SELECT * FROM orders")  # crosses it: completes
            time.sleep(0.6)  # past the quota reading's cache
            with pytest.raises(ProgrammingError) as raised:
                cur.execute("INSERT INTO big SELECT * FROM orders")
            assert "DWSIM_SNOWFLAKE_WORKSPACE_MAX_ROWS" in raised.value.msg
            cur.execute("SELECT COUNT(*) FROM workspace.big")
            assert cur.fetchone() == (ROWS["orders"],)
            cur.execute("DROP TABLE big")
    finally:
        settings.snowflake_workspace_max_rows = kept


def test_the_query_api_reads_the_workspace(live_snowflake: LiveSnow) -> None:
    name = live_snowflake.experiment.name
    with live_snowflake.connect() as conn:
        conn.cursor().execute(
            "CREATE OR REPLACE TABLE top_customers AS SELECT * FROM customer LIMIT 7"
        )
    rows = run_query(live_snowflake.rt, name, "SELECT COUNT(*) FROM workspace.top_customers")[
        "rows"
    ]
    assert rows == [[7]]
    bare = run_query(
        live_snowflake.rt,
        name,
        "SELECT COUNT(*) FROM top_customers t JOIN nation n ON t.c_nationkey = n.n_nationkey",
    )
    assert bare["rows"] == [[7]]
    with pytest.raises(DWSimError):  # another experiment's workspace stays out of reach
        run_query(
            live_snowflake.rt,
            live_snowflake.other.name,
            "SELECT COUNT(*) FROM workspace.top_customers",
        )


def test_deleting_an_experiment_drops_its_workspace(live_snowflake: LiveSnow) -> None:
    """Last in this module: it drops the second experiment."""
    other = live_snowflake.other.name
    with live_snowflake.connect(
        user=other, database=other, password=live_snowflake.password(other)
    ) as conn:
        conn.cursor().execute("CREATE TABLE mine AS SELECT 1 AS a")
    warehouse = live_snowflake.rt.warehouse("snowflake")
    assert set(warehouse.endpoint_workspace_objects(other)) == {"mine"}
    warehouse.drop(other)
    with warehouse._cursor() as cur:
        cur.execute(
            "SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name IN (%s, %s)",
            (live_namespace(other), workspace_namespace(other)),
        )
        assert cur.fetchone() == (0,)
