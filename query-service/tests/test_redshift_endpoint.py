"""The Redshift endpoint with real clients (psycopg2, psycopg, redshift_connector, psql,
SQLAlchemy) against a real PostgreSQL as the Redshift mock: the same rows as the REST path, the
refusals of the compatibility layer as SQLSTATEs, and the experiment's isolation intact."""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import os
import socket
import subprocess
import threading
import time
from typing import Any

import psycopg
import psycopg2
import psycopg2.errors
import pytest
import redshift_connector
import sqlalchemy as sa

from dwsim_query.service import run_query

from .endpoint_fixtures import Live, live_endpoint

pytestmark = pytest.mark.integration
__all__ = ["live_endpoint"]
# Realism queries (Redshift SQL) of the corpus's kind: joins, windows, dates, strings.
QUERIES = [
    "SELECT o_orderstatus, COUNT(*) AS n, SUM(o_totalprice) AS total FROM orders "
    "GROUP BY o_orderstatus ORDER BY o_orderstatus",
    "SELECT DATE_TRUNC('month', o_orderdate) AS month, COUNT(*) AS n FROM orders "
    "GROUP BY 1 ORDER BY 1",
    "SELECT c_mktsegment, c_custkey, total FROM (SELECT c_mktsegment, c_custkey, "
    "SUM(o_totalprice) AS total, ROW_NUMBER() OVER (PARTITION BY c_mktsegment "
    "ORDER BY SUM(o_totalprice) DESC, c_custkey) AS rn FROM customer JOIN orders "
    "ON o_custkey = c_custkey GROUP BY c_mktsegment, c_custkey) ranked WHERE rn <= 3 "
    "ORDER BY c_mktsegment, total DESC, c_custkey",
    "SELECT n_name, NVL(LEFT(n_comment, 5), '') AS c, DATEDIFF(day, '2024-01-01', '2024-03-01') "
    "AS d FROM nation ORDER BY n_nationkey LIMIT 5",
]


def plain(rows: Any) -> list[list[str]]:
    """Rows as text, so a Decimal and its JSON string compare equal."""
    return [[_text(v) for v in row] for row in rows]


def _text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6f}"
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return str(value)


def rest_rows(live: Live, sql: str) -> list[list[str]]:
    answer = run_query(live.rt, live.experiment.name, sql)
    return plain(
        [[decimal.Decimal(v) if isinstance(v, str) and _number(v) else v for v in r]
         for r in answer["rows"]]
    )  # fmt: skip


def _number(text: str) -> bool:
    try:
        decimal.Decimal(text)
    except decimal.InvalidOperation:
        return False
    return True


def test_psycopg2_answers_like_rest_and_like_redshift_at_connect(live_endpoint: Live) -> None:
    with contextlib.closing(psycopg2.connect(live_endpoint.dsn())) as conn, conn.cursor() as cur:
        for sql in QUERIES:
            cur.execute(sql)
            assert plain(cur.fetchall()) == rest_rows(live_endpoint, sql), sql
        cur.execute("select version(), current_database(), current_schema(), current_user")
        version, database, schema, user = cur.fetchone()
        assert version.startswith("PostgreSQL 8.0.2") and "Redshift" in version
        assert (database, schema, user) == (live_endpoint.experiment.name, "public", database)
        cur.execute("SELECT COUNT(*) FROM public.orders; SELECT COUNT(*) FROM lineitem")
        assert cur.fetchone() == (400,)  # the last statement's rows, as PostgreSQL answers
        cur.execute("EXPLAIN SELECT COUNT(*) FROM orders")
        assert any("orders" in line for (line,) in cur.fetchall())


def test_psycopg_extended_protocol_with_parameters_and_transactions(live_endpoint: Live) -> None:
    with psycopg.connect(live_endpoint.dsn(), prepare_threshold=0, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT o_orderkey FROM orders WHERE o_custkey = %s ORDER BY o_orderkey", (1,)
        ).fetchall()
        direct = rest_rows(live_endpoint, "SELECT o_orderkey FROM orders WHERE o_custkey = 1 "
                           "ORDER BY o_orderkey")  # fmt: skip
        assert plain(rows) == direct
        with conn.transaction():
            assert conn.execute("SELECT COUNT(*) FROM region").fetchone() == (5,)
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE


def test_redshift_connector_over_tls_and_plain(live_endpoint: Live, monkeypatch: Any) -> None:
    from dwsim_query.endpoint.tls import CERT_NAME

    # verify-ca against the endpoint's own certificate, trusted the way OpenSSL is told to.
    monkeypatch.setenv("SSL_CERT_FILE", str(live_endpoint.home / "endpoint" / CERT_NAME))
    login = {"host": "127.0.0.1", "port": live_endpoint.port,
             "database": live_endpoint.experiment.name, "user": live_endpoint.experiment.name,
             "password": live_endpoint.password()}  # fmt: skip
    for ssl in (True, False):
        conn = redshift_connector.connect(**login, ssl=ssl)
        try:
            cur = conn.cursor()
            for sql in QUERIES[:2]:
                cur.execute(sql)
                assert plain(cur.fetchall()) == rest_rows(live_endpoint, sql), sql
            cur.execute("SELECT n_name FROM nation WHERE n_nationkey = %s", (3,))
            expected = rest_rows(live_endpoint, "SELECT n_name FROM nation WHERE n_nationkey = 3")
            assert plain(cur.fetchall()) == expected
            conn.rollback()
        finally:
            conn.close()


def test_psql_runs_a_script(live_endpoint: Live) -> None:
    env = {**os.environ, "PGPASSWORD": live_endpoint.password()}
    result = subprocess.run(
        ["psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1",
         "-h", "127.0.0.1", "-p", str(live_endpoint.port), "-U", live_endpoint.experiment.name,
         "-d", live_endpoint.experiment.name,
         "-c", "SELECT COUNT(*) FROM customer", "-c", "SELECT current_database()"],
        env=env, capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["60", live_endpoint.experiment.name]


@pytest.mark.parametrize("driver", ["postgresql+psycopg2", "redshift+psycopg2"])
def test_sqlalchemy_connects(live_endpoint: Live, driver: str) -> None:
    url = sa.URL.create(
        driver, username=live_endpoint.experiment.name, password=live_endpoint.password(),
        host="127.0.0.1", port=live_endpoint.port, database=live_endpoint.experiment.name,
        query={"sslmode": "disable"},
    )  # fmt: skip
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text(QUERIES[0])).fetchall()
        assert plain(rows) == rest_rows(live_endpoint, QUERIES[0])
        inspector = sa.inspect(engine)
        assert inspector.get_schema_names() == ["public", "workspace"]
        tables = sorted(t.name for t in live_endpoint.experiment.tables)
        assert sorted(inspector.get_table_names()) == tables
        if driver.startswith("postgresql"):  # sqlalchemy-redshift's: in the test below
            columns = [c["name"] for c in inspector.get_columns("region")]
            assert columns == ["r_regionkey", "r_name", "r_comment"]
    finally:
        engine.dispose()


def test_sqlalchemy_redshift_reflects_the_experiment_and_its_workspace(live_endpoint: Live) -> None:
    """sqlalchemy-redshift's reflection (Redshift's catalog columns, its lateral aliases, its
    pg_user join) through the endpoint: this experiment's tables and workspace, none other's."""
    other = live_endpoint.other.name
    theirs = live_endpoint.dsn(dbname=other, user=other, password=live_endpoint.password(other))
    with contextlib.closing(psycopg2.connect(theirs)) as conn, conn.cursor() as cur:
        conn.autocommit = True
        cur.execute("CREATE TABLE IF NOT EXISTS workspace.theirs_only (x INT)")
    with contextlib.closing(psycopg2.connect(live_endpoint.dsn())) as conn, conn.cursor() as cur:
        conn.autocommit = True
        cur.execute(
            "CREATE TABLE IF NOT EXISTS workspace.reflected (id INT NOT NULL, "
            "note VARCHAR(20), amount DECIMAL(10,2), PRIMARY KEY (id))"
        )
        cur.execute(
            "CREATE OR REPLACE VIEW workspace.reflected_view AS SELECT id FROM workspace.reflected"
        )
        cur.execute(
            "CREATE TABLE IF NOT EXISTS workspace.reflected_child (id INT, "
            "parent INT REFERENCES workspace.reflected (id))"
        )
    url = sa.URL.create(
        "redshift+psycopg2", username=live_endpoint.experiment.name,
        password=live_endpoint.password(), host="127.0.0.1", port=live_endpoint.port,
        database=live_endpoint.experiment.name, query={"sslmode": "disable"},
    )  # fmt: skip
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        inspector = sa.inspect(engine)
        assert inspector.get_schema_names() == ["public", "workspace"]
        tables = sorted(t.name for t in live_endpoint.experiment.tables)
        assert sorted(inspector.get_table_names()) == tables
        assert sorted(inspector.get_table_names(schema="public")) == tables
        workspace = inspector.get_table_names(schema="workspace")
        assert "reflected" in workspace and "theirs_only" not in workspace
        assert "reflected_view" in inspector.get_view_names(schema="workspace")
        assert "id" in (inspector.get_view_definition("reflected_view", schema="workspace") or "")
        # sqlalchemy-redshift 1.0.0's get_columns() then fails inside the library under
        # SQLAlchemy 2 (its _get_column_info calls PGDialect._reflect_type with 1.4's
        # arguments: sqlalchemy-redshift issue 329); the rows it reads are these.
        with engine.connect() as conn:
            columns = {
                table: [
                    (c.name, c.format_type, c.notnull, c.encode, c.distkey, c.sortkey)
                    for c in engine.dialect._get_redshift_columns(conn, table, schema=schema)
                ]
                for schema, table in (("public", "region"), ("workspace", "reflected"))
            }
        assert columns["region"] == [
            ("r_regionkey", "integer", True, "none", False, 0),
            ("r_name", "character(25)", True, "none", False, 0),
            ("r_comment", "character varying(152)", False, "none", False, 0),
        ]
        assert columns["reflected"] == [
            ("id", "integer", True, "none", False, 0),
            ("note", "character varying(20)", False, "none", False, 0),
            ("amount", "numeric(10,2)", False, "none", False, 0),
        ]
        pk = inspector.get_pk_constraint("reflected", schema="workspace")
        assert pk["constrained_columns"] == ["id"]
        (fk,) = inspector.get_foreign_keys("reflected_child", schema="workspace")
        assert fk["constrained_columns"] == ["parent"] and fk["referred_columns"] == ["id"]
        assert (fk["referred_schema"], fk["referred_table"]) == ("workspace", "reflected")
        assert inspector.get_table_options("region")["redshift_diststyle"] == "EVEN"
        with engine.connect() as conn:  # as svv_table_info says
            sql = "SELECT diststyle FROM svv_table_info WHERE \"table\" = 'region'"
            assert conn.execute(sa.text(sql)).scalar() == "EVEN"
        # Another experiment's tables and workspace stay invisible, by name and by oid.
        assert not inspector.has_table("theirs_only", schema="workspace")
        with pytest.raises(sa.exc.NoSuchTableError), engine.connect() as conn:
            engine.dialect._get_redshift_columns(conn, "theirs_only", schema="workspace")
        with engine.connect() as conn:
            # Owners of what the session sees, by name only; no relation of another schema.
            users = conn.execute(sa.text("SELECT usename, usesuper, passwd FROM pg_user")).all()
            assert len(users) == 2 and {row[2] for row in users} == {"********"}
            assert sorted(row[1] is None for row in users) == [False, True]  # the owner's: NULL
            schemas = conn.execute(
                sa.text("SELECT DISTINCT n.nspname FROM pg_class c JOIN pg_namespace n "
                        "ON n.oid = c.relnamespace ORDER BY 1")
            ).scalars().all()  # fmt: skip
            assert schemas == ["pg_catalog", "public", "workspace"]
    finally:
        engine.dispose()
        for dsn, names in ((theirs, ["theirs_only"]), (live_endpoint.dsn(), ["reflected_child",
                           "reflected_view", "reflected"])):  # fmt: skip
            with contextlib.closing(psycopg2.connect(dsn)) as conn, conn.cursor() as cur:
                conn.autocommit = True
                for name in names:
                    kind = "VIEW" if name.endswith("_view") else "TABLE"
                    cur.execute(f"DROP {kind} IF EXISTS workspace.{name}")


def test_a_wrong_password_or_another_experiment_is_refused(live_endpoint: Live) -> None:
    with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
        psycopg2.connect(live_endpoint.dsn(password="not-the-password"))
    other = live_endpoint.other.name
    with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
        psycopg2.connect(live_endpoint.dsn(dbname=other))  # this experiment's password
    with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
        psycopg2.connect(live_endpoint.dsn(dbname="nosuch", user="nosuch"))


def _refused(cur: Any, sql: str, sqlstate: str, words: str) -> None:
    with pytest.raises(psycopg2.Error) as caught:
        cur.execute(sql)
    assert caught.value.pgcode == sqlstate, (sql, caught.value.pgerror)
    assert words in caught.value.pgerror, caught.value.pgerror
    cur.connection.rollback()


def test_refusals_carry_a_sqlstate_and_change_nothing(live_endpoint: Live) -> None:
    other = live_endpoint.other.name
    with contextlib.closing(psycopg2.connect(live_endpoint.dsn())) as conn, conn.cursor() as cur:
        _refused(cur, "SELECT * FROM nosuch", "42P01", "unknown table 'nosuch'")
        _refused(cur, f"SELECT * FROM dwsim_{other}.orders", "0A000", "qualified")
        _refused(cur, "SELECT * FROM pg_catalog.pg_roles", "0A000", "not available here")
        _refused(cur, "SELECT * FROM pg_class JOIN orders ON true", "42P01", "not available")
        _refused(cur, "SELECT pg_read_file('/etc/passwd')", "0A000", "PG_READ_FILE")
        for sql in ("SET ROLE postgres", "SET SESSION AUTHORIZATION postgres", "RESET ROLE",
                    "ALTER ROLE CURRENT_USER SUPERUSER"):  # fmt: skip
            _refused(cur, sql, "42501", "experiment's own read-only role")
        for sql in ("DELETE FROM orders", "INSERT INTO region VALUES (9, 'x', 'y')",
                    "UPDATE customer SET c_name = 'x'", "TRUNCATE lineitem"):  # fmt: skip
            _refused(cur, sql, "42501", "read-only")
        _refused(cur, "DROP TABLE orders", "42501", "read-only")
        _refused(cur, "SET statement_timeout = 0", "0A000", "statement_timeout")
        # A refusal inside a transaction block fails the block, as PostgreSQL's own errors do.
        conn.autocommit = False
        cur.execute("SELECT 1")
        with pytest.raises(psycopg2.Error):
            cur.execute("DELETE FROM orders")
        with pytest.raises(psycopg2.errors.InFailedSqlTransaction):
            cur.execute("SELECT 1")
        conn.rollback()
        cur.execute("SELECT COUNT(*) FROM orders")
        assert cur.fetchone() == (150,)
    with (
        contextlib.closing(psycopg2.connect(live_endpoint.redshift_url)) as admin,
        admin.cursor() as cur,
    ):
        cur.execute(f'SELECT COUNT(*) FROM "dwsim_{live_endpoint.experiment.name}".orders')
        assert cur.fetchone() == (150,)


def test_upstream_session_is_the_experiments_reader(live_endpoint: Live) -> None:
    """Even SQL that reached PostgreSQL as written could not leave the experiment: the session
    is the reader role, without the state database or other experiments' schemas."""
    with contextlib.closing(psycopg2.connect(live_endpoint.dsn())) as conn, conn.cursor() as cur:
        cur.execute("SHOW transaction isolation level")
        assert cur.fetchone()[0] == "read committed"
        cur.execute("SHOW search_path")
        assert cur.fetchone()[0] == '"$user", public'


def test_the_catalog_shows_the_experiment_only(live_endpoint: Live) -> None:
    tables = sorted(t.name for t in live_endpoint.experiment.tables)
    with contextlib.closing(psycopg2.connect(live_endpoint.dsn())) as conn, conn.cursor() as cur:
        cur.execute("SELECT table_schema, table_name FROM svv_tables ORDER BY table_name")
        assert cur.fetchall() == [("public", t) for t in tables]
        cur.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = 'region' ORDER BY ordinal_position"
        )
        assert [c for c, _ in cur.fetchall()] == ["r_regionkey", "r_name", "r_comment"]
        cur.execute("SELECT nspname FROM pg_catalog.pg_namespace ORDER BY 1")
        assert cur.fetchall() == [("pg_catalog",), ("public",), ("workspace",)]
        cur.execute("SELECT COUNT(*) FROM pg_class WHERE relname = 'orders'")
        assert cur.fetchone() == (1,)  # the other experiment's orders stay out of sight
        cur.execute('SELECT DISTINCT "column" FROM pg_table_def WHERE tablename = %s', ("nation",))
        assert len(cur.fetchall()) == 4


def test_extended_protocol_refusal_then_the_session_goes_on(live_endpoint: Live) -> None:
    with psycopg.connect(live_endpoint.dsn(), autocommit=True) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="read-only"):
            conn.execute("DELETE FROM orders WHERE o_orderkey = %s", (1,))
        with pytest.raises(psycopg.errors.UndefinedTable, match="unknown table 'experiments'"):
            conn.execute("SELECT * FROM experiments WHERE id = %s", (1,))  # the state database's
        assert conn.execute("SELECT COUNT(*) FROM orders WHERE o_custkey > %s", (0,)).fetchone()


def test_cancel_and_disconnect_stop_the_statement(live_endpoint: Live) -> None:
    slow = "SELECT COUNT(*) FROM lineitem a, lineitem b, lineitem c"
    # psycopg, not psycopg2: psycopg2's cancel holds the GIL, and this endpoint runs in-process.
    with psycopg.connect(live_endpoint.dsn(), autocommit=True) as cancelled:
        timer = threading.Timer(0.5, cancelled.cancel_safe)
        timer.start()
        started = time.monotonic()
        with pytest.raises(psycopg.errors.QueryCanceled, match="user request"):
            cancelled.execute(slow)
        assert time.monotonic() - started < 3

    conn = psycopg2.connect(live_endpoint.dsn())
    worker = threading.Thread(target=_run_ignoring_errors, args=(conn, slow), daemon=True)
    worker.start()
    role = _reader_activity(live_endpoint, wait_for=True)
    assert role, "the slow statement never reached the server"
    socket.socket(fileno=os.dup(conn.fileno())).shutdown(socket.SHUT_RDWR)  # the client vanishes
    assert _reader_activity(live_endpoint, wait_for=False) == []
    worker.join(5)
    conn.close()


def _run_ignoring_errors(conn: Any, sql: str) -> None:
    with contextlib.suppress(psycopg2.Error), conn.cursor() as cur:
        cur.execute(sql)


def _reader_activity(live: Live, *, wait_for: bool) -> list[str]:
    """The active statements of reader roles, once they appear (or are gone), within 3 s."""
    deadline = time.monotonic() + 3
    with contextlib.closing(psycopg2.connect(live.redshift_url)) as admin:
        admin.autocommit = True
        while True:
            with admin.cursor() as cur:
                cur.execute(
                    "SELECT query FROM pg_stat_activity WHERE usename LIKE 'dwsim_q_%' "
                    "AND state = 'active' AND datname = current_database()"
                )
                found = [r[0] for r in cur.fetchall()]
            if bool(found) == wait_for or time.monotonic() > deadline:
                return found
            time.sleep(0.05)


def test_concurrent_sessions_each_get_their_answer(live_endpoint: Live) -> None:
    """Sessions at once (within the reader role's connection limit), each with its own
    parameter, each answered with its own rows."""
    results: dict[int, Any] = {}

    def one(key: int) -> None:
        with (
            contextlib.closing(psycopg2.connect(live_endpoint.dsn())) as conn,
            conn.cursor() as cur,
        ):
            cur.execute("SELECT COUNT(*) FROM orders WHERE o_custkey <= %s", (key,))
            results[key] = cur.fetchone()[0]

    threads = [threading.Thread(target=one, args=(key,)) for key in range(1, 16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    for key in range(1, 16):
        expected = rest_rows(live_endpoint, f"SELECT COUNT(*) FROM orders WHERE o_custkey <= {key}")
        assert [[str(results.get(key))]] == expected


def test_result_columns_are_named_as_redshift_names_them(live_endpoint: Live) -> None:
    sql = (
        "SELECT o_orderstatus, COUNT(*), SUM(o_totalprice), 1 + 1, MAX(o_orderkey) AS top "
        "FROM orders GROUP BY o_orderstatus ORDER BY 2 DESC, 1"
    )
    answer = run_query(live_endpoint.rt, live_endpoint.experiment.name, sql)
    rest_names = answer["columns"]
    assert rest_names == ["o_orderstatus", "count", "sum", "?column?", "top"]
    with psycopg.connect(live_endpoint.dsn(), autocommit=True) as conn:
        for prepare in (False, True):  # simple protocol, then a prepared statement
            cur = conn.execute(sql, prepare=prepare)
            assert [d.name for d in cur.description or []] == rest_names
            assert plain(cur.fetchall()) == rest_rows(live_endpoint, sql)
        union = "SELECT COUNT(*) FROM orders UNION ALL SELECT COUNT(*) FROM lineitem"
        assert [d.name for d in conn.execute(union).description or []] == ["count"]


def test_a_hundred_concurrent_connections_all_answer(live_endpoint: Live) -> None:
    """100 client sessions open at once (the REST path's reader role takes 20), each running
    its own query: every one answers."""
    clients = 100
    together = threading.Barrier(clients, timeout=120)
    answers: dict[int, Any] = {}
    failures: list[str] = []

    def one(key: int) -> None:
        try:
            with psycopg.connect(live_endpoint.dsn(connect_timeout="60"), autocommit=True) as conn:
                together.wait()  # all 100 sessions are open now
                answers[key] = conn.execute(
                    "SELECT COUNT(*) FROM orders WHERE o_custkey <> %s", (key,)
                ).fetchone()
                together.wait()
        except Exception as error:  # reported below, with the others'
            failures.append(f"{key}: {error}")
            together.abort()

    threads = [threading.Thread(target=one, args=(key,)) for key in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)
    assert not failures, failures[:5]
    total = rest_rows(live_endpoint, "SELECT COUNT(*) FROM orders")[0][0]
    assert len(answers) == clients and all(a[0] <= int(total) for a in answers.values())
    deadline = time.monotonic() + 10
    while live_endpoint.endpoint.upstreams and time.monotonic() < deadline:
        time.sleep(0.05)
    assert live_endpoint.endpoint.upstreams == 0  # every session gave its connection back


def test_past_the_session_limit_a_clear_error_not_a_wait(live_endpoint: Live) -> None:
    endpoint = live_endpoint.endpoint
    saved = endpoint.max_sessions
    with contextlib.ExitStack() as held:
        first = held.enter_context(psycopg.connect(live_endpoint.dsn(), autocommit=True))
        endpoint.max_sessions = endpoint.upstreams  # the endpoint is full now
        held.callback(setattr, endpoint, "max_sessions", saved)
        started = time.monotonic()
        with pytest.raises(redshift_connector.Error) as refused:  # it shows the SQLSTATE
            redshift_connector.connect(
                host="127.0.0.1", port=live_endpoint.port, database=live_endpoint.experiment.name,
                user=live_endpoint.experiment.name, password=live_endpoint.password(), ssl=False,
            )  # fmt: skip
        assert time.monotonic() - started < 5
        fields = refused.value.args[0]
        assert fields["C"] == "53300", fields
        assert "at most 1 sessions" in fields["M"]
        assert "DWSIM_REDSHIFT_ENDPOINT_MAX_SESSIONS" in fields["M"]
        assert first.execute("SELECT 1").fetchone() == (1,)  # the open one goes on
    with psycopg.connect(live_endpoint.dsn()) as again:
        assert again.execute("SELECT 1").fetchone() == (1,)


def _fail_a_load(live: Live, experiment: str, table: str, error: str) -> str:
    """Record, as the loader would, that the load of one shard of `table` failed."""
    from sqlalchemy import select

    from dwsim_query.service import experiment_context
    from dwsim_shared.state.models import RunRow, RunShardRow

    key = f"experiments/{experiment}/{table}/run_1/part-00000.parquet"
    experiment_id = experiment_context(live.rt, experiment).experiment_id
    with live.rt.session() as session:
        shard = session.scalars(
            select(RunShardRow).join(RunRow).where(
                RunRow.experiment_id == experiment_id, RunShardRow.table_name == table
            )
        ).first()  # fmt: skip
        assert shard is not None
        shard.status, shard.object_key, shard.last_error = "FAILED", key, error
        session.commit()
    return key


def test_stl_load_errors_are_the_experiments_failed_loads(live_endpoint: Live) -> None:
    error = 'invalid input syntax for type numeric: "abc"\nCONTEXT: COPY orders, line 7'
    key = _fail_a_load(live_endpoint, live_endpoint.experiment.name, "orders", error)
    _fail_a_load(live_endpoint, live_endpoint.other.name, "nation", "the other's error")
    with psycopg.connect(live_endpoint.dsn(), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT TRIM(filename), slice, err_code, TRIM(err_reason), starttime IS NOT NULL, "
            "line_number FROM stl_load_errors ORDER BY starttime DESC"
        ).fetchall()
        url = live_endpoint.endpoint.store.url(key)  # the object's URL in the project's store
        assert rows == [(url[:256], 0, 9999, " ".join(error.split())[:100], True, 0)]
        joined = conn.execute(
            "SELECT c.relname, e.query FROM stl_load_errors e JOIN pg_class c ON c.oid = e.tbl"
        ).fetchall()
        assert joined == [("orders", 1)]  # tbl is the table's oid, query the run's number
        described = conn.execute("SELECT * FROM stl_load_errors LIMIT 0").description
        assert [d.name for d in described or []][:4] == ["userid", "slice", "tbl", "starttime"]
    with psycopg.connect(live_endpoint.dsn(), autocommit=True) as conn:
        # Answered afresh each time (never from the session's cache of translations).
        _fail_a_load(live_endpoint, live_endpoint.experiment.name, "orders", "second failure")
        reasons = conn.execute("SELECT TRIM(err_reason) FROM stl_load_errors").fetchall()
        assert reasons == [("second failure",)]


def test_stl_query_and_stv_recents_show_what_the_sessions_ran(live_endpoint: Live) -> None:
    marker = f"m{time.monotonic_ns()}"
    with psycopg.connect(live_endpoint.dsn(), autocommit=True) as conn:
        conn.execute(f"SELECT COUNT(*) AS {marker} FROM region")
        with pytest.raises(psycopg.errors.DivisionByZero):
            conn.execute(f"SELECT 1 / 0 AS {marker}")
        rows = conn.execute(
            "SELECT TRIM(querytxt), aborted, endtime >= starttime, pid = pg_backend_pid(), "
            "TRIM(database) FROM stl_query WHERE querytxt LIKE %s AND querytxt NOT LIKE "
            "'%%stl_query%%' ORDER BY query",
            (f"%{marker}%",),
        ).fetchall()
        name = live_endpoint.experiment.name
        assert rows == [
            (f"SELECT COUNT(*) AS {marker} FROM region", 0, True, True, name),
            (f"SELECT 1 / 0 AS {marker}", 1, True, True, name),
        ]
        recents = conn.execute(
            "SELECT TRIM(status), TRIM(user_name) FROM stv_recents WHERE query LIKE %s "
            "ORDER BY starttime",
            (f"%{marker}%",),
        ).fetchall()
        assert recents == [("Done", name), ("Done", name)]
        running = conn.execute(
            "SELECT TRIM(query) FROM stv_recents WHERE status = 'Running'"
        ).fetchall()
        assert running == [("SELECT TRIM(query) FROM stv_recents WHERE status = 'Running'",)]
    with psycopg.connect(live_endpoint.dsn(dbname=live_endpoint.other.name,
                                           user=live_endpoint.other.name,
                                           password=live_endpoint.password(
                                               live_endpoint.other.name))) as other:  # fmt: skip
        seen = other.execute(
            "SELECT COUNT(*) FROM stl_query WHERE querytxt LIKE %s", (f"%{marker} FROM%",)
        ).fetchone()
        assert seen == (0,)  # another experiment's sessions are not shown


def test_the_experiments_own_limit_is_a_clear_error_too(live_endpoint: Live) -> None:
    """PostgreSQL's refusal at the endpoint role's connection limit, named as the setting."""
    from dwsim_shared.warehouses.pg_reader import endpoint_role

    login = live_endpoint.rt.warehouse("redshift").endpoint_login(  # type: ignore[attr-defined]
        live_endpoint.experiment.name
    )
    role = endpoint_role(login["role"])
    with contextlib.closing(psycopg2.connect(live_endpoint.redshift_url)) as admin:
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute(f'ALTER ROLE "{role}" CONNECTION LIMIT 1')
        try:
            with psycopg.connect(live_endpoint.dsn(), autocommit=True) as first:
                with pytest.raises(redshift_connector.Error) as refused:
                    redshift_connector.connect(
                        host="127.0.0.1", port=live_endpoint.port,
                        database=live_endpoint.experiment.name,
                        user=live_endpoint.experiment.name, password=live_endpoint.password(),
                        ssl=False,
                    )  # fmt: skip
                fields = refused.value.args[0]
                assert fields["C"] == "53300", fields
                assert "DWSIM_REDSHIFT_ENDPOINT_MAX_SESSIONS" in fields["M"]
                assert live_endpoint.experiment.name in fields["M"]
                assert first.execute("SELECT 1").fetchone() == (1,)
        finally:
            with admin.cursor() as cur:
                cur.execute(f'ALTER ROLE "{role}" CONNECTION LIMIT 100')


def test_a_small_server_keeps_its_reserve_and_says_so(live_endpoint: Live) -> None:
    """On a server with few connections (a default install has 100), the endpoint takes no
    more than max_connections less the reserve, and says which limit a login met."""
    endpoint, settings = live_endpoint.endpoint, live_endpoint.rt.settings
    with (
        contextlib.closing(psycopg2.connect(live_endpoint.redshift_url)) as admin,
        admin.cursor() as cur,
    ):
        cur.execute("SHOW max_connections")
        server = int(cur.fetchone()[0])
    deadline = time.monotonic() + 10  # earlier tests' sessions are gone
    while endpoint.upstreams and time.monotonic() < deadline:
        time.sleep(0.05)
    saved = endpoint.max_sessions, settings.redshift_endpoint_reserved_connections
    try:
        endpoint.max_sessions = None  # read again at the next login
        settings.redshift_endpoint_reserved_connections = server - 1
        with psycopg.connect(live_endpoint.dsn(), autocommit=True) as first:
            assert endpoint.max_sessions == 1
            with pytest.raises(redshift_connector.Error) as refused:
                redshift_connector.connect(
                    host="127.0.0.1", port=live_endpoint.port,
                    database=live_endpoint.experiment.name, user=live_endpoint.experiment.name,
                    password=live_endpoint.password(), ssl=False,
                )  # fmt: skip
            fields = refused.value.args[0]
            assert fields["C"] == "53300", fields
            assert f"max_connections is {server}" in fields["M"]
            assert "DWSIM_REDSHIFT_ENDPOINT_RESERVED_CONNECTIONS" in fields["M"]
            assert first.execute("SELECT 1").fetchone() == (1,)
    finally:
        endpoint.max_sessions = saved[0]
        settings.redshift_endpoint_reserved_connections = saved[1]
