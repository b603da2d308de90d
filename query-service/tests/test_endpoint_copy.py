"""Redshift's COPY and UNLOAD through the endpoint against a real S3 (a moto server): Parquet and
CSV into workspace tables (in the client's transaction), query results out to the experiment's
prefix, and refusals by name for other paths, unsupported options and the quota."""

from __future__ import annotations

import contextlib
import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import boto3
import psycopg
import psycopg2
import psycopg2.errors
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dwsim_shared.objectstore import S3ObjectStore

from .endpoint_fixtures import Live, live_endpoint
from .test_redshift_endpoint import rest_rows

pytestmark = pytest.mark.integration
__all__ = ["live_endpoint"]


@dataclass
class Bucket:
    live: Live
    name: str
    client: Any

    @property
    def root(self) -> str:
        return f"s3://{self.name}/workspace/{self.live.experiment.name}/"

    def put(self, key: str, body: bytes) -> None:
        self.client.put_object(
            Bucket=self.name, Key=f"workspace/{self.live.experiment.name}/{key}", Body=body
        )

    def get(self, key: str) -> bytes:
        answer = self.client.get_object(
            Bucket=self.name, Key=f"workspace/{self.live.experiment.name}/{key}"
        )
        return bytes(answer["Body"].read())

    def keys(self, prefix: str) -> list[str]:
        full = f"workspace/{self.live.experiment.name}/{prefix}"
        answer = self.client.list_objects_v2(Bucket=self.name, Prefix=full)
        return sorted(o["Key"][len(full) :] for o in answer.get("Contents", []))


@pytest.fixture(scope="module")
def s3(live_endpoint: Live, s3_endpoint_url: str) -> Iterator[Bucket]:
    """The endpoint's object store on a new bucket of the moto server."""
    name = f"dwsim-copy-{uuid.uuid4().hex[:8]}"
    client = boto3.client("s3", endpoint_url=s3_endpoint_url, region_name="us-east-1")
    client.create_bucket(Bucket=name)
    endpoint = live_endpoint.endpoint
    saved = endpoint.store
    endpoint.store = S3ObjectStore(name, s3_endpoint_url, "us-east-1")
    try:
        yield Bucket(live_endpoint, name, client)
    finally:
        endpoint.store = saved


@contextlib.contextmanager
def cursor(live: Live) -> Iterator[Any]:
    conn = psycopg2.connect(live.dsn())
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            yield cur
    finally:
        conn.close()


def parquet(table: pa.Table) -> bytes:
    out = io.BytesIO()
    pq.write_table(table, out)
    return out.getvalue()


def test_copy_parquet_and_csv_into_a_workspace_table(s3: Bucket) -> None:
    first = pa.table({"id": [1, 2], "name": ["rex", None], "weight": [Decimal("4.50"), None]})
    second = pa.table({"id": [3], "name": [""], "weight": [Decimal("12.25")]})
    s3.put("pets/part-0.parquet", parquet(first))
    s3.put("pets/part-1.parquet", parquet(second))
    with cursor(s3.live) as cur:
        cur.execute("DROP TABLE IF EXISTS workspace.pets")
        cur.execute("CREATE TABLE workspace.pets (id INT, name VARCHAR(20), weight DECIMAL(6,2))")
        cur.execute(
            f"COPY workspace.pets FROM '{s3.root}pets/' "
            "IAM_ROLE 'arn:aws:iam::123456789012:role/loader' FORMAT AS PARQUET"
        )
        assert cur.rowcount == 3
        cur.execute("SELECT id, name, weight FROM workspace.pets ORDER BY id")
        assert cur.fetchall() == [(1, "rex", Decimal("4.50")), (2, None, None),
                                  (3, "", Decimal("12.25"))]  # fmt: skip

        # In the client's transaction: rolled back, nothing loaded.
        cur.execute("BEGIN")
        cur.execute(f"COPY pets FROM '{s3.root}pets/part-1' FORMAT PARQUET")
        cur.execute("SELECT COUNT(*) FROM workspace.pets")
        assert cur.fetchone() == (4,)
        cur.execute("ROLLBACK")
        cur.execute("SELECT COUNT(*) FROM workspace.pets")
        assert cur.fetchone() == (3,)

    s3.put("csv/a.csv", b'id;name\n10;tom\n11;"with ; inside"\n')
    s3.put("csv/b.csv", b"id;name\n12;\n")  # no newline at the end
    with psycopg.connect(s3.live.dsn(), autocommit=True) as conn:  # extended protocol
        done = conn.execute(
            f"COPY workspace.pets (id, name) FROM '{s3.root}csv/' CSV DELIMITER ';' "
            "IGNOREHEADER 1 REGION 'us-east-1'"
        )
        assert done.rowcount == 3
        rows = conn.execute("SELECT id, name FROM workspace.pets WHERE id >= 10 ORDER BY id")
        assert rows.fetchall() == [(10, "tom"), (11, "with ; inside"), (12, None)]


def test_unload_writes_the_query_result_to_the_experiments_prefix(s3: Bucket) -> None:
    sql = "SELECT n_nationkey, n_name FROM nation WHERE n_regionkey = 1 ORDER BY n_nationkey"
    quoted = sql.replace("'", "''")
    with cursor(s3.live) as cur:
        cur.execute(
            f"UNLOAD ('{quoted}') TO '{s3.root}out/nation_' IAM_ROLE default FORMAT AS PARQUET "
            "PARALLEL OFF"
        )
        cur.execute("SELECT 1")  # the session goes on
    assert s3.keys("out/") == ["nation_000.parquet"]
    table = pq.read_table(io.BytesIO(s3.get("out/nation_000.parquet")))
    assert table.column_names == ["n_nationkey", "n_name"]
    assert table.schema.field("n_nationkey").type == pa.int32()
    expected = rest_rows(s3.live, sql)
    assert [[str(v) for v in row.values()] for row in table.to_pylist()] == expected

    with psycopg.connect(s3.live.dsn(), autocommit=True) as conn:
        with pytest.raises(psycopg.errors.IoError, match=r"not empty.*ALLOWOVERWRITE"):
            conn.execute(
                f"UNLOAD ('{quoted}') TO '{s3.root}out/nation_' FORMAT PARQUET PARALLEL OFF"
            )
        conn.execute(f"UNLOAD ('{quoted}') TO '{s3.root}out/csv_' FORMAT CSV HEADER DELIMITER '|'")
    text = s3.get("out/csv_0000_part_00").decode()
    lines = text.splitlines()
    assert lines[0] == "n_nationkey|n_name"
    assert [line.split("|") for line in lines[1:]] == expected

    # Round trip: what UNLOAD wrote, COPY reads back.
    with cursor(s3.live) as cur:
        cur.execute("DROP TABLE IF EXISTS workspace.nations")
        cur.execute("CREATE TABLE workspace.nations (k INT, n VARCHAR(25))")
        cur.execute(f"COPY workspace.nations FROM '{s3.root}out/nation_000' FORMAT PARQUET")
        cur.execute("SELECT k, TRIM(n) FROM workspace.nations ORDER BY k")
        assert [[str(a), b] for a, b in cur.fetchall()] == [[k, n.strip()] for k, n in expected]


@pytest.mark.parametrize(
    ("statement", "sqlstate", "says"),
    [
        ("COPY workspace.pets FROM 's3://elsewhere/data/' FORMAT PARQUET", "42501",
         "may not read from 's3://elsewhere/data/'"),
        ("COPY workspace.pets FROM '{other}' FORMAT PARQUET", "42501", "this experiment's paths"),
        ("UNLOAD ('SELECT 1') TO '{generated}x_' FORMAT CSV", "42501", "may not write to"),
        ("COPY orders FROM '{root}pets/' FORMAT PARQUET", "42501", "generated tables are read-only"),
        ("COPY workspace.pets FROM '{root}pets/' FORMAT PARQUET MANIFEST", "0A000",
         "COPY option MANIFEST is not supported"),
        ("COPY workspace.pets FROM '{root}pets/' FORMAT AS JSON 'auto'", "0A000",
         "FORMAT JSON is not supported"),
        ("COPY workspace.pets FROM '{root}pets/'", "0A000", "without FORMAT"),
        ("UNLOAD ('SELECT 1') TO '{root}z_' FORMAT CSV GZIP", "0A000",
         "UNLOAD option GZIP is not supported"),
        ("COPY workspace.pets FROM '{root}nothing-here/' FORMAT CSV", "58030", "does not exist"),
        ("COPY workspace.nope FROM '{root}pets/' FORMAT PARQUET", "42P01", "workspace.nope"),
        ("COPY workspace.pets TO '/tmp/pets.csv'", "0A000", "COPY ... TO is not Redshift SQL"),
        ("COPY workspace.pets FROM STDIN", "0A000", "from the object store only"),
    ],
)  # fmt: skip
def test_copy_and_unload_refusals_name_what_is_refused(
    s3: Bucket, statement: str, sqlstate: str, says: str
) -> None:
    other = f"s3://{s3.name}/workspace/{s3.live.other.name}/"
    generated = f"s3://{s3.name}/experiments/{s3.live.experiment.name}/"
    sql = statement.format(root=s3.root, other=other, generated=generated)
    with cursor(s3.live) as cur:
        cur.execute("CREATE TABLE IF NOT EXISTS workspace.pets (id INT, name VARCHAR(20), "
                    "weight DECIMAL(6,2))")  # fmt: skip
        cur.execute("SELECT COUNT(*) FROM workspace.pets")
        before = cur.fetchone()
        with pytest.raises(psycopg2.Error) as refused:
            cur.execute(sql)
        assert refused.value.pgcode == sqlstate, refused.value
        assert says in str(refused.value)
        cur.execute("SELECT COUNT(*) FROM workspace.pets")
        assert cur.fetchone() == before
    assert s3.keys("z_") == []


def test_copy_within_the_quota(s3: Bucket) -> None:
    s3.put("big/a.csv", b"1,x\n" * 100)
    with cursor(s3.live) as cur:
        cur.execute("CREATE TABLE IF NOT EXISTS workspace.small (id INT, name VARCHAR(5))")
    settings = s3.live.rt.settings
    warehouse = s3.live.rt.warehouse("redshift")
    used = warehouse.workspace_bytes(s3.live.experiment.name)  # type: ignore[attr-defined]
    old = settings.workspace_max_bytes
    try:
        settings.workspace_max_bytes = used + 100  # room left, less than the file's 400 bytes
        with cursor(s3.live) as cur:
            with pytest.raises(psycopg2.Error) as refused:
                cur.execute(f"COPY workspace.small FROM '{s3.root}big/' FORMAT CSV")
            assert refused.value.pgcode == "53400"
            assert "COPY would read more than" in str(refused.value)
            assert "DWSIM_WORKSPACE_MAX_BYTES" in str(refused.value)
            cur.execute("SELECT COUNT(*) FROM workspace.small")
            assert cur.fetchone() == (0,)
        settings.workspace_max_bytes = 50  # fewer bytes than the nations' rows
        with cursor(s3.live) as cur:
            with pytest.raises(psycopg2.Error) as refused:
                cur.execute(f"UNLOAD ('SELECT * FROM nation') TO '{s3.root}big_' FORMAT CSV")
            assert refused.value.pgcode == "53400"
            assert "UNLOAD would write more than 50 bytes" in str(refused.value)
            cur.execute("SELECT 1")  # the session goes on
        assert s3.keys("big_") == []
    finally:
        settings.workspace_max_bytes = old


def test_a_bad_row_fails_the_copy_as_postgresql_says_and_loads_nothing(s3: Bucket) -> None:
    s3.put("bad/a.csv", b"1,ok\nabc,bad\n")
    with cursor(s3.live) as cur:
        cur.execute("CREATE TABLE IF NOT EXISTS workspace.strict (id INT, name VARCHAR(5))")
        cur.execute("SELECT COUNT(*) FROM workspace.strict")
        before = cur.fetchone()
        with pytest.raises(psycopg2.errors.InvalidTextRepresentation, match="abc"):
            cur.execute(f"COPY workspace.strict FROM '{s3.root}bad/' FORMAT CSV")
        cur.execute("SELECT COUNT(*) FROM workspace.strict")
        assert cur.fetchone() == before  # the session goes on; nothing was loaded
