"""SQLite loads through ADBC's bulk ingest: the values SQLite stores for every type, one
transaction per shard (a failure half-way leaves neither rows nor a ledger claim), and a
staging file that is gone stays gone."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dwsim_shared.errors import NotFound
from dwsim_shared.generation.arrow_types import arrow_type
from dwsim_shared.settings import Settings
from dwsim_shared.warehouses import make_warehouse
from dwsim_shared.warehouses.base import ShardRef
from shared.tests.test_pg_binary import EDGES, TABLE, VALUES

SCHEMA = pa.schema([pa.field(c.name, arrow_type(c)) for c in TABLE.columns])


def _write(path: Path, values: dict[str, list[object]]) -> Path:
    pq.write_table(pa.table(values, schema=SCHEMA), path, row_group_size=4)
    return path


def test_every_type_is_stored_as_sqlite_values(tmp_path: Path) -> None:
    warehouse = make_warehouse("sqlite", Settings(home=tmp_path))
    warehouse.prepare(EDGES)
    shard = _write(tmp_path / "edges.parquet", VALUES)
    assert warehouse.load_shard(EDGES, TABLE, shard, ShardRef(1, TABLE.name, 0)) == 8
    with sqlite3.connect(warehouse.path("edges")) as conn:  # type: ignore[attr-defined]
        rows = conn.execute("SELECT * FROM every_type ORDER BY rowid").fetchall()
        kinds = conn.execute(
            "SELECT typeof(s), typeof(b), typeof(cents), typeof(x), typeof(name), typeof(d), "
            "typeof(t), typeof(ts), typeof(tstz), typeof(flag), typeof(doc) FROM every_type "
            "WHERE rowid = 1"
        ).fetchone()
    assert kinds == (
        "integer", "integer", "real", "real", "text", "text", "text", "text", "text", "integer",
        "text",
    )  # fmt: skip
    names = [c.name for c in TABLE.columns]
    first = dict(zip(names, rows[0], strict=True))
    assert first["b"] == -9223372036854775808 and first["s"] == -32768
    assert first["d"] == "0001-01-01" and first["ts"] == "0001-01-01 00:00:00"
    assert first["tstz"] == "0001-01-02 00:00:00+00:00" and first["t"] == "00:00:00"
    assert first["flag"] == 1 and first["doc"] == '{"a": 1}'
    assert [r[names.index("name")] for r in rows] == VALUES["name"]  # NULL, quotes, newlines
    assert [r[names.index("txt")] for r in rows] == VALUES["txt"]
    assert rows[3] == (None,) * len(names)  # the row of NULLs


def test_rows_bound_several_to_a_statement_keep_their_values_and_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A shard longer than one INSERT's rows, read in batches that leave rows over: every row
    as the one-row statement stores it, in the shard's order (b counts the rows)."""
    from dwsim_shared.warehouses import sqlite as sqlite_warehouse

    per = sqlite_warehouse.rows_per_insert(len(TABLE.columns))
    assert per > 1
    monkeypatch.setattr(sqlite_warehouse, "BATCH_ROWS", 3 * per + 5)
    reference = make_warehouse("sqlite", Settings(home=tmp_path / "one"))
    reference.prepare(EDGES)
    reference.load_shard(
        EDGES, TABLE, _write(tmp_path / "one.parquet", VALUES), ShardRef(1, "t", 0)
    )
    count = 12 * len(VALUES["b"])
    cycled = {
        name: [values[i % len(values)] for i in range(count)] for name, values in VALUES.items()
    }
    cycled["b"] = list(range(count))
    shard = tmp_path / "many.parquet"
    pq.write_table(pa.table(cycled, schema=SCHEMA), shard)
    warehouse = make_warehouse("sqlite", Settings(home=tmp_path / "many"))
    warehouse.prepare(EDGES)
    assert warehouse.load_shard(EDGES, TABLE, shard, ShardRef(1, TABLE.name, 0)) == count
    select = "SELECT *, typeof(x), typeof(d), typeof(flag) FROM every_type ORDER BY rowid"
    with sqlite3.connect(reference.path("edges")) as conn:  # type: ignore[attr-defined]
        expected = conn.execute(select).fetchall()
    with sqlite3.connect(warehouse.path("edges")) as conn:  # type: ignore[attr-defined]
        rows = conn.execute(select).fetchall()
    b = [c.name for c in TABLE.columns].index("b")
    assert [r[b] for r in rows] == list(range(count))
    want = [expected[i % len(expected)] for i in range(count)]
    same = [(*r[:b], *r[b + 1 :]) for r in rows]
    assert repr(same) == repr([(*r[:b], *r[b + 1 :]) for r in want])  # repr: NaN equals NaN


def test_written_pages_are_fsynced_during_the_load_through_sqlites_own_descriptor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The early write-out fsyncs the descriptor the bulk connection has open on the staging
    file; it opens none of its own (closing one would drop the connection's locks)."""
    import os

    from dwsim_shared.warehouses import sqlite as sqlite_warehouse

    synced: list[str] = []
    monkeypatch.setattr(sqlite_warehouse.os, "fsync", lambda fd: synced.append(os.readlink(f"/proc/self/fd/{fd}")))  # fmt: skip
    opened = os.open
    monkeypatch.setattr(sqlite_warehouse.os, "open", lambda *a, **k: pytest.fail(f"opened {a}") or opened(*a, **k))  # fmt: skip
    warehouse = make_warehouse("sqlite", Settings(home=tmp_path))
    warehouse.prepare(EDGES)
    shard = _write(tmp_path / "edges.parquet", VALUES)
    assert warehouse.load_shard(EDGES, TABLE, shard, ShardRef(1, TABLE.name, 0)) == 8
    assert synced and set(synced) == {os.path.realpath(warehouse.path("edges"))}  # type: ignore[attr-defined]


def test_a_failure_half_way_leaves_no_rows_and_no_claim(tmp_path: Path) -> None:
    warehouse = make_warehouse("sqlite", Settings(home=tmp_path))
    warehouse.prepare(EDGES)
    with sqlite3.connect(warehouse.path("edges")) as conn:  # type: ignore[attr-defined]
        conn.execute("CREATE TRIGGER refuse_last BEFORE INSERT ON every_type "
                     "WHEN NEW.b = 8 BEGIN SELECT RAISE(ABORT, 'refused by the test'); END")  # fmt: skip
    shard = _write(tmp_path / "edges.parquet", VALUES)  # b = 8 is in the last row group
    with pytest.raises(sqlite3.Error, match="refused by the test"):
        warehouse.load_shard(EDGES, TABLE, shard, ShardRef(1, TABLE.name, 0))
    with sqlite3.connect(warehouse.path("edges")) as conn:  # type: ignore[attr-defined]
        assert conn.execute("SELECT count(*) FROM every_type").fetchone() == (0,)
        assert conn.execute(f"SELECT count(*) FROM {warehouse.LEDGER_TABLE}").fetchone() == (0,)
        conn.execute("DROP TRIGGER refuse_last")
    # The redelivered task loads the shard in full, once.
    assert warehouse.load_shard(EDGES, TABLE, shard, ShardRef(1, TABLE.name, 0)) == 8
    assert warehouse.load_shard(EDGES, TABLE, shard, ShardRef(1, TABLE.name, 0)) == 8
    assert warehouse.count_rows(EDGES, TABLE) == 8


def test_a_staging_file_that_is_gone_is_not_made_again(tmp_path: Path) -> None:
    warehouse = make_warehouse("sqlite", Settings(home=tmp_path))
    shard = _write(tmp_path / "edges.parquet", VALUES)
    with pytest.raises(NotFound, match="staging copy"):
        warehouse.load_shard(EDGES, TABLE, shard, ShardRef(1, TABLE.name, 0))
    assert not warehouse.path("edges").exists()  # type: ignore[attr-defined]


def _cycled(count: int) -> dict[str, list[object]]:
    """`count` rows cycling through VALUES, b numbering them 0, 1, 2, ... (the shard's order)."""
    rows = {
        name: [values[i % len(values)] for i in range(count)] for name, values in VALUES.items()
    }
    rows["b"] = list(range(count))
    return rows


def test_a_shard_loaded_in_two_parts_keeps_every_row_once_and_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A shard split between the staging connection and a private file (several row groups,
    batches that leave rows over): every row as the one-row statement stores it, each once, in
    the shard's order (b counts the rows); the private part really held the shard's end."""
    from dwsim_shared.warehouses import sqlite as sqlite_warehouse

    reference = make_warehouse("sqlite", Settings(home=tmp_path / "one"))
    reference.prepare(EDGES)
    reference.load_shard(
        EDGES, TABLE, _write(tmp_path / "one.parquet", VALUES), ShardRef(1, "t", 0)
    )
    per = sqlite_warehouse.rows_per_insert(len(TABLE.columns))
    monkeypatch.setattr(sqlite_warehouse, "BATCH_ROWS", 3 * per + 5)
    monkeypatch.setattr(sqlite_warehouse, "SPLIT_MIN_ROWS", 1)
    monkeypatch.setattr(sqlite_warehouse, "_usable_cpus", lambda: 2)  # a 1-CPU runner too
    private_rows: list[int] = []
    load_private = sqlite_warehouse._load_private
    monkeypatch.setattr(sqlite_warehouse, "_load_private", lambda *a: private_rows.append(load_private(*a)) or private_rows[-1])  # fmt: skip
    count = 40 * len(VALUES["b"])  # 320 rows in row groups of 50: the private part from row 150
    shard = tmp_path / "many.parquet"
    pq.write_table(pa.table(_cycled(count), schema=SCHEMA), shard, row_group_size=50)
    warehouse = make_warehouse("sqlite", Settings(home=tmp_path / "many"))
    warehouse.prepare(EDGES)
    assert warehouse.load_shard(EDGES, TABLE, shard, ShardRef(1, TABLE.name, 0)) == count
    assert private_rows == [count - 150]
    select = "SELECT *, typeof(x), typeof(d), typeof(flag) FROM every_type ORDER BY rowid"
    with sqlite3.connect(reference.path("edges")) as conn:  # type: ignore[attr-defined]
        expected = conn.execute(select).fetchall()
    with sqlite3.connect(warehouse.path("edges")) as conn:  # type: ignore[attr-defined]
        rows = conn.execute(select).fetchall()
        ledger = conn.execute(f"SELECT rows FROM {warehouse.LEDGER_TABLE}").fetchall()
    b = [c.name for c in TABLE.columns].index("b")
    assert [r[b] for r in rows] == list(range(count))
    want = [expected[i % len(expected)] for i in range(count)]
    same = [(*r[:b], *r[b + 1 :]) for r in rows]
    assert repr(same) == repr([(*r[:b], *r[b + 1 :]) for r in want])  # repr: NaN equals NaN
    assert ledger == [(count,)]
    # A redelivered shard is still a no-op.
    assert warehouse.load_shard(EDGES, TABLE, shard, ShardRef(1, TABLE.name, 0)) == count
    assert private_rows == [count - 150] and warehouse.count_rows(EDGES, TABLE) == count


def test_the_private_part_is_removed_after_a_load_and_after_a_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The private file's folder is gone after a load, after a failure while its rows are
    appended and after a failure on its own thread; neither failure leaves a row or a claim;
    a folder a killed loader left is no obstacle, and `drop` removes it."""
    from dwsim_shared.warehouses import sqlite as sqlite_warehouse

    monkeypatch.setattr(sqlite_warehouse, "SPLIT_MIN_ROWS", 1)
    monkeypatch.setattr(sqlite_warehouse, "_usable_cpus", lambda: 2)  # a 1-CPU runner too
    files: list[Path] = []
    load_private = sqlite_warehouse._load_private
    monkeypatch.setattr(sqlite_warehouse, "_load_private", lambda f, *a: files.append(f) or load_private(f, *a))  # fmt: skip
    warehouse = make_warehouse("sqlite", Settings(home=tmp_path))
    warehouse.prepare(EDGES)
    staging = warehouse.path("edges")  # type: ignore[attr-defined]
    left = staging.parent / f"{staging.name}.part-killed"
    left.mkdir()
    (left / "part.sqlite").write_bytes(b"a half-written file of a killed loader")
    shard = _write(tmp_path / "edges.parquet", VALUES)  # two row groups: 4 rows in each part
    assert warehouse.load_shard(EDGES, TABLE, shard, ShardRef(1, TABLE.name, 0)) == 8
    assert len(files) == 1 and not files[0].parent.exists()
    with sqlite3.connect(staging) as conn:
        conn.execute("CREATE TRIGGER refuse_last BEFORE INSERT ON every_type "
                     "WHEN NEW.b = 8 BEGIN SELECT RAISE(ABORT, 'refused by the test'); END")  # fmt: skip
    with pytest.raises(sqlite3.Error, match="refused by the test"):  # b = 8: the private part
        warehouse.load_shard(EDGES, TABLE, shard, ShardRef(2, TABLE.name, 0))
    assert len(files) == 2 and not files[1].parent.exists()

    def failing(file: Path, *args: object) -> int:
        files.append(file)
        load_private(file, *args)  # type: ignore[arg-type]
        raise RuntimeError("the private part failed in the test")

    monkeypatch.setattr(sqlite_warehouse, "_load_private", failing)
    with pytest.raises(RuntimeError, match="private part failed"):
        warehouse.load_shard(EDGES, TABLE, shard, ShardRef(3, TABLE.name, 0))
    assert len(files) == 3 and not files[2].parent.exists()
    with sqlite3.connect(staging) as conn:
        assert conn.execute("SELECT count(*) FROM every_type").fetchone() == (8,)
        ledger = conn.execute(f"SELECT run_id FROM {warehouse.LEDGER_TABLE}").fetchall()
        assert ledger == [(1,)]
    assert [p.name for p in staging.parent.glob("*.part-*")] == [left.name]
    warehouse.drop("edges")
    assert not left.exists()


def test_a_loader_killed_during_its_private_part_leaves_no_row_and_no_claim(
    tmp_path: Path,
) -> None:
    """SIGKILL while the private part is written and the staging transaction holds the
    shard's first part (spilled to the file: more than SQLite's page cache): no row, no claim
    after, and the shard then loads in full once, beside the folder the killed loader left."""
    import os
    import signal
    import subprocess
    import sys
    import textwrap

    warehouse = make_warehouse("sqlite", Settings(home=tmp_path / "home"))
    warehouse.prepare(EDGES)
    count = 1000 * len(VALUES["b"])
    shard = tmp_path / "big.parquet"
    pq.write_table(pa.table(_cycled(count), schema=SCHEMA), shard, row_group_size=1000)
    script = textwrap.dedent(f"""
        import time
        from pathlib import Path
        from dwsim_shared.settings import Settings
        from dwsim_shared.warehouses import make_warehouse, sqlite
        from dwsim_shared.warehouses.base import ShardRef
        from shared.tests.test_pg_binary import EDGES, TABLE

        sqlite.SPLIT_MIN_ROWS = 1
        sqlite._usable_cpus = lambda: 2
        load_private = sqlite._load_private

        def stalled(*args):
            load_private(*args)
            print("private part written", flush=True)
            time.sleep(120)

        sqlite._load_private = stalled
        warehouse = make_warehouse("sqlite", Settings(home=Path({str(tmp_path / "home")!r})))
        warehouse.load_shard(EDGES, TABLE, Path({str(shard)!r}), ShardRef(1, TABLE.name, 0))
    """)
    root = Path(__file__).resolve().parents[2]
    loader = subprocess.Popen(
        [sys.executable, "-c", script], cwd=root, stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(root)},
    )  # fmt: skip
    try:
        assert loader.stdout is not None and "written" in loader.stdout.readline()
    finally:
        loader.send_signal(signal.SIGKILL)
        loader.wait(30)
    staging = warehouse.path("edges")  # type: ignore[attr-defined]
    assert Path(f"{staging}-journal").exists()  # the first part reached the file, uncommitted
    assert len(list(staging.parent.glob("*.part-*"))) == 1
    with sqlite3.connect(staging) as conn:
        assert conn.execute("SELECT count(*) FROM every_type").fetchone() == (0,)
        assert conn.execute(f"SELECT count(*) FROM {warehouse.LEDGER_TABLE}").fetchone() == (0,)
    assert warehouse.load_shard(EDGES, TABLE, shard, ShardRef(1, TABLE.name, 0)) == count
    with sqlite3.connect(staging) as conn:
        b = conn.execute("SELECT b FROM every_type ORDER BY rowid").fetchall()
    assert [r[0] for r in b] == list(range(count))


def test_two_loaders_of_one_staging_file_each_split_their_shard(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two shards loaded at once into one staging file, each in two parts: the second loader
    waits for the first one's transaction (busy_timeout); each shard's rows are contiguous and
    in order, each once, with its own ledger row."""
    from concurrent.futures import ThreadPoolExecutor

    from dwsim_shared.warehouses import sqlite as sqlite_warehouse

    monkeypatch.setattr(sqlite_warehouse, "SPLIT_MIN_ROWS", 1)
    monkeypatch.setattr(sqlite_warehouse, "_usable_cpus", lambda: 2)  # a 1-CPU runner too
    warehouse = make_warehouse("sqlite", Settings(home=tmp_path))
    warehouse.prepare(EDGES)
    count = 50 * len(VALUES["b"])
    shards = []
    for index in range(2):
        rows = _cycled(count)
        rows["b"] = [index * count + i for i in range(count)]
        shards.append(tmp_path / f"shard{index}.parquet")
        pq.write_table(pa.table(rows, schema=SCHEMA), shards[-1], row_group_size=100)
    with ThreadPoolExecutor(2) as pool:
        loads = [
            pool.submit(warehouse.load_shard, EDGES, TABLE, shard, ShardRef(1, TABLE.name, i))
            for i, shard in enumerate(shards)
        ]
        assert [load.result() for load in loads] == [count, count]
    with sqlite3.connect(warehouse.path("edges")) as conn:  # type: ignore[attr-defined]
        b = [r[0] for r in conn.execute("SELECT b FROM every_type ORDER BY rowid")]
        ledger = conn.execute(f"SELECT shard_index, rows FROM {warehouse.LEDGER_TABLE}")
        assert sorted(ledger.fetchall()) == [(0, count), (1, count)]
    first, second = sorted([b[:count], b[count:]])
    assert first == list(range(count)) and second == list(range(count, 2 * count))
    assert not list(tmp_path.rglob("*.part-*"))
