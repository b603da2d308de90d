"""The writable workspace through the Redshift endpoint, with real clients against a real
PostgreSQL as the Redshift mock: the user's tables and views beside the generated ones, every
write through the compatibility chain, the generated tables and other experiments untouched,
the quota, and the REST path reading what the endpoint wrote."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg2
import psycopg2.errors
import pytest
import redshift_connector

from dwsim_query.service import run_query
from dwsim_shared.generation import generate_shard, write_shard_parquet
from dwsim_shared.warehouses.base import ShardRef, staged
from dwsim_shared.warehouses.namespaces import workspace_namespace

from .endpoint_fixtures import Live, _load, live_endpoint

pytestmark = pytest.mark.integration
__all__ = ["live_endpoint"]


@contextlib.contextmanager
def connected(live: Live, experiment: str | None = None) -> Iterator[Any]:
    name = experiment or live.experiment.name
    conn = psycopg2.connect(live.dsn(dbname=name, user=name, password=live.password(name)))
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            yield cur
    finally:
        conn.close()


def one(cur: Any, sql: str, args: tuple[Any, ...] | None = None) -> Any:
    cur.execute(sql, args)
    row = cur.fetchone()
    return row[0] if row else None


def test_tables_views_and_every_write_in_the_workspace(live_endpoint: Live) -> None:
    with connected(live_endpoint) as cur:
        cur.execute("DROP TABLE IF EXISTS workspace.big_orders")
        # CTAS through the compatibility chain: NVL, DATEDIFF and Redshift's physical design.
        cur.execute(
            "CREATE TABLE workspace.big_orders DISTSTYLE KEY DISTKEY(o_orderkey) "
            "SORTKEY(o_orderkey) AS SELECT o_orderkey, o_custkey, NVL(o_totalprice, 0) AS price, "
            "DATEDIFF(day, o_orderdate, '2030-01-01') AS age FROM orders WHERE o_orderkey <= 50"
        )
        expected = one(cur, "SELECT COUNT(*) FROM orders WHERE o_orderkey <= 50")
        assert one(cur, "SELECT COUNT(*) FROM workspace.big_orders") == expected
        assert one(cur, "SELECT COUNT(*) FROM big_orders") == expected  # a bare name reads it
        cur.execute("CREATE TABLE workspace.notes (id INT ENCODE az64 NOT NULL, note VARCHAR(MAX))")
        cur.execute("INSERT INTO workspace.notes VALUES (1, 'a'), (2, 'b'), (3, 'c')")
        cur.execute("UPDATE workspace.notes SET note = UPPER(note) WHERE id = 2")
        cur.execute("DELETE FROM workspace.notes WHERE id = 3")
        cur.execute(
            "MERGE INTO workspace.notes USING (SELECT 1 AS id, 'z' AS note UNION ALL "
            "SELECT 4, 'd') s ON notes.id = s.id WHEN MATCHED THEN UPDATE SET note = s.note "
            "WHEN NOT MATCHED THEN INSERT (id, note) VALUES (s.id, s.note)"
        )
        cur.execute("SELECT id, note FROM workspace.notes ORDER BY id")
        assert cur.fetchall() == [(1, "z"), (2, "B"), (4, "d")]
        # DELETE ... USING a generated table, and a view over both schemas.
        cur.execute(
            "DELETE FROM workspace.big_orders USING customer "
            "WHERE big_orders.o_custkey = customer.c_custkey AND customer.c_custkey > 30"
        )
        left = one(cur, "SELECT COUNT(*) FROM workspace.big_orders")
        assert left == one(
            cur, "SELECT COUNT(*) FROM orders WHERE o_orderkey <= 50 AND o_custkey <= 30"
        )
        cur.execute(
            "CREATE OR REPLACE VIEW workspace.order_view AS SELECT b.o_orderkey, c.c_name "
            "FROM workspace.big_orders b JOIN customer c ON c.c_custkey = b.o_custkey"
        )
        assert one(cur, "SELECT COUNT(*) FROM workspace.order_view") == left
        cur.execute("ALTER TABLE workspace.notes RENAME TO notes2")
        cur.execute("TRUNCATE workspace.notes2")
        assert one(cur, "SELECT COUNT(*) FROM workspace.notes2") == 0
        cur.execute("DROP TABLE workspace.notes2")
        # The tools' catalog sees the workspace by its name.
        cur.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'workspace' "
            "ORDER BY 1"
        )
        assert [r[0] for r in cur.fetchall()] == ["big_orders", "order_view"]
        # An error names the workspace as the client does, never its physical schema.
        with pytest.raises(psycopg2.errors.UndefinedTable) as error:
            cur.execute("SELECT * FROM workspace.missing")
        assert workspace_namespace(live_endpoint.experiment.name) not in str(error.value)
        assert "workspace.missing" in str(error.value)
    # The REST path reads the workspace too.
    answer = run_query(
        live_endpoint.rt,
        live_endpoint.experiment.name,
        "SELECT COUNT(*) AS n FROM workspace.order_view",
    )
    assert answer["rows"] == [[left]]


def test_generated_tables_and_other_experiments_stay_out_of_reach(live_endpoint: Live) -> None:
    with connected(live_endpoint) as cur:
        before = one(cur, "SELECT COUNT(*) FROM orders")
        for sql, state in [
            ("INSERT INTO orders (o_orderkey) VALUES (99999)", "42501"),
            ("DELETE FROM public.orders", "42501"),
            ("UPDATE orders SET o_totalprice = 0", "42501"),
            ("TRUNCATE orders", "42501"),
            ("DROP TABLE orders", "42501"),
            ("CREATE TABLE public.mine (a INT)", "42501"),
            ("CREATE SCHEMA elsewhere", "42501"),
            (f"CREATE TABLE {live_endpoint.other.name}.public.t (a INT)", "3D000"),
            ("CREATE TABLE dwsim_catalog.t (a INT)", "3F000"),
            ("CREATE FUNCTION workspace.f() RETURNS int AS 'SELECT 1' LANGUAGE sql", "0A000"),
            ("GRANT SELECT ON workspace.big_orders TO PUBLIC", "0A000"),
            ("CREATE TABLE workspace.copy (LIKE orders)", "0A000"),
            ("INSERT INTO workspace.x SELECT * FROM pg_catalog.pg_authid", None),
        ]:
            with pytest.raises(psycopg2.Error) as error:
                cur.execute(sql)
            if state is not None:
                assert error.value.pgcode == state, (sql, error.value.pgcode, error.value)
        assert one(cur, "SELECT COUNT(*) FROM orders") == before
        cur.execute("CREATE TABLE IF NOT EXISTS workspace.mine AS SELECT 1 AS a")
    # The other experiment's workspace is its own.
    with connected(live_endpoint, live_endpoint.other.name) as cur:
        with pytest.raises(psycopg2.Error):
            cur.execute("SELECT * FROM workspace.mine")
        cur.execute("CREATE TABLE workspace.mine AS SELECT 2 AS a")
        assert one(cur, "SELECT a FROM workspace.mine") == 2
    with connected(live_endpoint) as cur:
        assert one(cur, "SELECT a FROM workspace.mine") == 1


def test_redshift_connector_writes_with_bind_parameters_in_a_transaction(
    live_endpoint: Live,
) -> None:
    conn = redshift_connector.connect(
        host="127.0.0.1", port=live_endpoint.port, database=live_endpoint.experiment.name,
        user=live_endpoint.experiment.name, password=live_endpoint.password(), ssl=False,
    )  # fmt: skip
    try:
        cur = conn.cursor()
        cur.execute("DROP TABLE IF EXISTS workspace.seeded")
        cur.execute("CREATE TABLE workspace.seeded (id INTEGER, name VARCHAR(20))")
        conn.commit()
        insert = "INSERT INTO workspace.seeded (id, name) VALUES (%s,%s),(%s,%s)"
        cur.execute(insert, (1, "a", 2, "b"))
        cur.execute("CREATE TEMPORARY TABLE staged AS SELECT id + 10 AS id, name FROM seeded")
        cur.execute("INSERT INTO workspace.seeded SELECT id, name FROM staged")
        cur.execute("SELECT COUNT(*), SUM(id) FROM workspace.seeded")
        assert tuple(cur.fetchone()) == (4, 26)
        conn.rollback()  # the transaction's writes go, the table stays
        cur.execute("SELECT COUNT(*) FROM workspace.seeded")
        assert cur.fetchone()[0] == 0
        cur.execute(insert, (5, "e", 6, "f"))
        conn.commit()
        cur.execute("SELECT name FROM workspace.seeded ORDER BY id")
        assert [r[0] for r in cur.fetchall()] == ["e", "f"]
    finally:
        conn.close()


def test_the_quota_refuses_writes_naming_the_limit(live_endpoint: Live) -> None:
    settings = live_endpoint.rt.settings
    old = settings.workspace_max_bytes
    try:
        with connected(live_endpoint) as cur:
            cur.execute("CREATE TABLE IF NOT EXISTS workspace.mine AS SELECT 1 AS a")
        settings.workspace_max_bytes = 1
        with connected(live_endpoint) as cur:
            with pytest.raises(psycopg2.Error) as error:
                cur.execute("INSERT INTO workspace.mine VALUES (3)")
            assert error.value.pgcode == "53400"
            assert "DWSIM_WORKSPACE_MAX_BYTES" in str(error.value)
            cur.execute("DROP TABLE workspace.mine")  # freeing space is always allowed
    finally:
        settings.workspace_max_bytes = old


def test_runs_and_reset_leave_the_workspace_and_deleting_drops_it(
    live_endpoint: Live, tmp_path: Path
) -> None:
    rt = live_endpoint.rt
    warehouse = rt.warehouse("redshift")
    experiment = _load(rt, f"keep_{live_endpoint.experiment.name[-6:]}", tmp_path)
    name = experiment.name
    with connected(live_endpoint, name) as cur:
        cur.execute("CREATE TABLE workspace.mine AS SELECT c_custkey FROM customer")
        cur.execute("CREATE VIEW workspace.nations AS SELECT n_name FROM nation")
        cur.execute("CREATE VIEW workspace.nation_count AS SELECT COUNT(*) AS n FROM nations")
    warehouse.reset(experiment)
    # A new run publishes a new live schema: the views over the old one come back over it.
    staging = staged(experiment, 2)
    warehouse.prepare(staging)
    table = experiment.table("nation")
    assert table is not None
    path = tmp_path / "nation2.parquet"
    write_shard_parquet(
        generate_shard(experiment, "nation", seed=8, row_start=0, row_count=25), path
    )
    warehouse.load_shard(staging, table, path, ShardRef(2, "nation", 0))
    assert warehouse.publish(experiment, 2)
    with connected(live_endpoint, name) as cur:
        assert one(cur, "SELECT COUNT(*) FROM workspace.mine") == 60
        assert one(cur, "SELECT n FROM workspace.nation_count") == 25
    assert warehouse.clear_workspace(name)
    with connected(live_endpoint, name) as cur:
        with pytest.raises(psycopg2.errors.UndefinedTable):
            cur.execute("SELECT * FROM workspace.mine")
        cur.execute("CREATE TABLE workspace.again AS SELECT 1 AS a")
    login = warehouse.endpoint_login(name)  # type: ignore[attr-defined]
    roles = "SELECT COUNT(*) FROM pg_roles WHERE rolname IN (%s, %s)"
    with (
        contextlib.closing(psycopg2.connect(live_endpoint.redshift_url)) as conn,
        conn.cursor() as cur,
    ):
        cur.execute(roles, (login["user"], login["role"]))
        assert cur.fetchone() == (2,)
    warehouse.drop(name)
    with (
        contextlib.closing(psycopg2.connect(live_endpoint.redshift_url)) as conn,
        conn.cursor() as cur,
    ):
        cur.execute(
            "SELECT COUNT(*) FROM pg_namespace WHERE nspname = %s", (workspace_namespace(name),)
        )
        assert cur.fetchone() == (0,)
        # Its roles go with it: the reader and the endpoint's login role.
        cur.execute(roles, (login["user"], login["role"]))
        assert cur.fetchone() == (0,)


def test_rest_reads_the_workspace_and_names_it_in_errors(live_endpoint: Live) -> None:
    with connected(live_endpoint) as cur:
        cur.execute("CREATE TABLE IF NOT EXISTS workspace.rest_read AS SELECT 7 AS a")
    name = live_endpoint.experiment.name
    answer = run_query(live_endpoint.rt, name, "SELECT a FROM rest_read")
    assert answer["rows"] == [[7]]
    with pytest.raises(Exception) as error:
        run_query(live_endpoint.rt, name, "SELECT * FROM workspace.gone")
    assert workspace_namespace(name) not in str(error.value) and "workspace" in str(error.value)
    with pytest.raises(Exception) as unknown:
        run_query(live_endpoint.rt, name, "SELECT * FROM nosuch")
    assert "unknown table 'nosuch'" in str(unknown.value)
