"""Binary COPY into the Redshift mock: every type of the schema language, edge values and NULLs,
loaded through pgpq's encoder, equal to the Parquet values and to the CSV path's load."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
from pathlib import Path

import psycopg2
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dwsim_shared.experiment_checks import parse_experiment
from dwsim_shared.generation.arrow_types import arrow_type
from dwsim_shared.settings import Settings
from dwsim_shared.warehouses import make_warehouse
from dwsim_shared.warehouses.base import ShardRef
from dwsim_shared.warehouses.pg_binary import binary_plan
from dwsim_shared.warehouses.redshift import _CsvStream

EDGES = parse_experiment({
    "name": "edges",
    "source_dialect": "redshift",
    "tables": [{"name": "every_type", "target_rows": 8, "columns": [
        {"name": "s", "data_type": "SMALLINT", "required": False},
        {"name": "i", "data_type": "INTEGER", "source_type": "INTEGER", "required": False},
        {"name": "b", "data_type": "BIGINT", "required": False},
        {"name": "amount", "data_type": "NUMERIC(38,10)", "source_type": "NUMERIC(38,10)",
         "required": False},
        {"name": "cents", "data_type": "DECIMAL(12,2)", "required": False},
        {"name": "ratio", "data_type": "REAL", "source_type": "REAL", "required": False},
        {"name": "x", "data_type": "FLOAT", "required": False},
        {"name": "name", "data_type": "VARCHAR(30)", "source_type": "VARCHAR(30)",
         "required": False},
        {"name": "txt", "data_type": "VARCHAR", "required": False},
        {"name": "code", "data_type": "CHAR(3)", "source_type": "CHAR(3)", "required": False},
        {"name": "d", "data_type": "DATE", "required": False},
        {"name": "t", "data_type": "TIME", "required": False},
        {"name": "ts", "data_type": "TIMESTAMP", "required": False},
        {"name": "tstz", "data_type": "TIMESTAMPTZ", "required": False},
        {"name": "flag", "data_type": "BOOLEAN", "required": False},
        {"name": "doc", "data_type": "SUPER", "source_type": "SUPER", "required": False},
    ]}],
})  # fmt: skip
TABLE = EDGES.tables[0]
D = decimal.Decimal
UTC = dt.UTC
VALUES: dict[str, list[object]] = {
    "s": [-32768, 32767, 0, None, 1, -1, 7, 8],
    "i": [-2147483648, 2147483647, 0, None, 1, -1, 7, 8],
    "b": [-9223372036854775808, 9223372036854775807, 0, None, 1, -1, 7, 8],
    "amount": [
        D("-9999999999999999999999999999.9999999999"), D("9999999999999999999999999999.9999999999"),
        D("0E-10"), None, D("0.0000000001"), D("-0.0000000001"), D("12345.6789000000"),
        D("100000000.0000000000"),
    ],
    "cents": [D("-9999999999.99"), D("9999999999.99"), D("0.00"), None, D("0.01"), D("-0.01"),
              D("27.24"), D("10000.00")],
    "ratio": [-3.4e38, 3.4e38, 0.0, None, 1.5, float("inf"), float("-inf"), float("nan")],
    "x": [-1.7976931348623157e308, 1.7976931348623157e308, 5e-324, None, -0.0,
          float("inf"), 0.1 + 0.2, float("nan")],
    "name": ["", "a,b", 'say "hi"', None, "line\nbreak", "tab\there", "ünïcødé ✓ 日本", "\\N"],
    "txt": ["x" * 5000, "", "NULL", None, "'quoted'", "back\\slash", "\r\n", "emoji 🦆"],
    "code": ["abc", "a", "", None, "é", "  ", "x y", "zz"],
    "d": [dt.date(1, 1, 1), dt.date(9999, 12, 31), dt.date(1970, 1, 1), None,
          dt.date(2000, 2, 29), dt.date(1999, 12, 31), dt.date(2024, 2, 29), dt.date(1900, 3, 1)],
    "t": [dt.time(0, 0), dt.time(23, 59, 59, 999999), dt.time(12, 0, 0, 1), None,
          dt.time(1, 2, 3), dt.time(0, 0, 0, 500000), dt.time(13, 24, 55), dt.time(6)],
    "ts": [dt.datetime(1, 1, 1), dt.datetime(9999, 12, 31, 23, 59, 59, 999999),
           dt.datetime(1970, 1, 1), None, dt.datetime(2000, 1, 1, 0, 0, 0, 1),
           dt.datetime(1969, 12, 31, 23, 59, 59, 999999), dt.datetime(2024, 2, 29, 12),
           dt.datetime(1899, 12, 31, 1, 2, 3)],
    "tstz": [dt.datetime(1, 1, 2, tzinfo=UTC), dt.datetime(9999, 12, 30, tzinfo=UTC),
             dt.datetime(1970, 1, 1, tzinfo=UTC), None,
             dt.datetime(2000, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
             dt.datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
             dt.datetime(2024, 3, 10, 2, 30, tzinfo=UTC), dt.datetime(2038, 1, 19, 3, 14, 8, tzinfo=UTC)],
    "flag": [True, False, True, None, False, True, False, True],
    "doc": ['{"a": 1}', "[]", '{"nested": {"k": [1, 2.5, null, "x"]}}', None, '"just text"',
            "null", '{"ünï": "日本", "q": "say \\"hi\\""}', "12.50"],
}  # fmt: skip


def _shard(tmp_path: Path) -> Path:
    schema = pa.schema([pa.field(c.name, arrow_type(c)) for c in TABLE.columns])
    data = pa.table(
        {c.name: pa.array(VALUES[c.name], schema.field(c.name).type) for c in TABLE.columns},
        schema=schema,
    )
    path = tmp_path / "edges.parquet"
    pq.write_table(data, path)
    return path


def _same(loaded: object, written: object, column: str) -> bool:
    if written is None or loaded is None:
        return loaded is written
    if column == "ratio":  # REAL: the float4 nearest to the written float8, as PostgreSQL's input
        assert isinstance(written, float) and isinstance(loaded, float)
        if math.isnan(written):
            return math.isnan(loaded)
        narrow = pa.array([written, loaded], pa.float64()).cast(pa.float32(), safe=False)
        return narrow[0] == narrow[1]  # psycopg2 reads a real through its shortest text
    if column == "x" and isinstance(written, float) and math.isnan(written):
        return isinstance(loaded, float) and math.isnan(loaded)
    if column == "code":  # CHAR(3) pads with blanks, as Redshift does
        return loaded == str(written).ljust(3)
    if column == "doc":  # read as text: a JSON null is a value, not SQL's NULL
        return json.loads(str(loaded)) == json.loads(str(written))
    return loaded == written


def test_the_plan_maps_every_schema_type_and_refuses_the_unknown() -> None:
    shard_schema = pa.schema([pa.field(c.name, arrow_type(c)) for c in TABLE.columns])
    spelled = [
        ("s", "smallint"), ("i", "integer"), ("b", "bigint"), ("amount", "numeric(38,10)"),
        ("cents", "numeric(12,2)"), ("ratio", "real"), ("x", "double precision"),
        ("name", "character varying(30)"), ("txt", "text"), ("code", "character(3)"),
        ("d", "date"), ("t", "time without time zone"), ("ts", "timestamp without time zone"),
        ("tstz", "timestamp with time zone"), ("flag", "boolean"), ("doc", "jsonb"),
    ]  # fmt: skip
    plan = binary_plan(spelled, shard_schema)
    assert plan is not None
    assert (
        plan.schema.field("i").type == pa.int32()
        and plan.schema.field("ratio").type == pa.float32()
    )
    assert plan.schema.field("amount").type == pa.decimal128(38, 10) and plan.jsonb == {"doc"}
    # A type this encoder does not write exactly keeps the text path: None, never a guess.
    assert binary_plan([*spelled[:-1], ("doc", "xml")], shard_schema) is None
    assert binary_plan(spelled[:-1], shard_schema) is None
    floats = pa.schema([pa.field("amount", pa.float64())])
    assert binary_plan([("amount", "numeric(12,2)")], floats) is None


@pytest.mark.integration
def test_binary_copy_loads_every_type_exactly(postgres_db: str, tmp_path: Path) -> None:
    warehouse = make_warehouse("redshift", Settings(home=tmp_path, redshift_url=postgres_db))
    path = _shard(tmp_path)
    warehouse.prepare(EDGES)
    assert warehouse.load_shard(EDGES, TABLE, path, ShardRef(1, TABLE.name, 0)) == 8
    target = warehouse.physical_table("edges", TABLE.name).sql(dialect="postgres")
    names = [c.name for c in TABLE.columns]
    with psycopg2.connect(postgres_db) as conn, conn.cursor() as cur:
        cur.execute("SET TIME ZONE 'UTC'")
        listed = ", ".join("doc::text" if n == "doc" else n for n in names)
        cur.execute(f"SELECT {listed} FROM {target} ORDER BY b NULLS LAST, s")
        loaded = cur.fetchall()
        order = sorted(range(8), key=lambda k: (VALUES["b"][k] is None, VALUES["b"][k] or 0))
        for row, k in zip(loaded, order, strict=True):
            for column, value in zip(names, row, strict=True):
                assert _same(value, VALUES[column][k], column), (column, value, VALUES[column][k])
        # The same shard through the CSV path (the one binary COPY replaces) loads equal rows.
        cur.execute(f"CREATE TABLE csv_copy (LIKE {target})")
        columns = ", ".join(f'"{n}"' for n in names)
        stream = _CsvStream(pq.ParquetFile(path).iter_batches())
        cur.copy_expert(f"COPY csv_copy ({columns}) FROM STDIN WITH (FORMAT csv)", stream)
        cur.execute(
            f"SELECT count(*) FROM ((SELECT {columns} FROM {target} EXCEPT ALL "
            f"SELECT {columns} FROM csv_copy) UNION ALL (SELECT {columns} FROM csv_copy "
            f"EXCEPT ALL SELECT {columns} FROM {target})) AS difference"
        )
        assert cur.fetchone() == (0,)


@pytest.mark.integration
def test_a_value_the_column_cannot_hold_fails_the_load_and_leaves_nothing(
    postgres_db: str, tmp_path: Path
) -> None:
    warehouse = make_warehouse("redshift", Settings(home=tmp_path, redshift_url=postgres_db))
    schema = pa.schema([pa.field(c.name, arrow_type(c)) for c in TABLE.columns])
    rows = {c.name: [VALUES[c.name][0]] for c in TABLE.columns}
    rows["name"] = ["x" * 31]  # longer than VARCHAR(30)
    path = tmp_path / "too_long.parquet"
    pq.write_table(pa.table(rows, schema=schema), path)
    warehouse.prepare(EDGES)
    with pytest.raises(psycopg2.DataError, match="too long"):
        warehouse.load_shard(EDGES, TABLE, path, ShardRef(1, TABLE.name, 0))
    assert warehouse.count_rows(EDGES, TABLE) == 0
