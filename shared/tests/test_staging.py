"""Staged runs on every engine: a run loads into its own namespace, the live data is replaced
in one step at publish, a dropped staging leaves the live data as it was, reset empties it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from dwsim_shared.experiment_checks import parse_experiment
from dwsim_shared.generation import generate_shard, write_shard_parquet
from dwsim_shared.settings import Settings
from dwsim_shared.testing.fixtures import snowflake_settings
from dwsim_shared.warehouses import Warehouse, make_warehouse
from dwsim_shared.warehouses.base import ShardRef, staged, staging_name

EXPERIMENT = parse_experiment({
    "name": "stagedwh",
    "tables": [{"name": "Items", "target_rows": 100, "columns": [
        {"name": "id", "data_type": "BIGINT", "is_unique": True},
        {"name": "label", "data_type": "VARCHAR", "varchar_length": 12},
    ]}],
})  # fmt: skip
TABLE = EXPERIMENT.tables[0]


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("redshift", marks=pytest.mark.integration),
        pytest.param("snowflake", marks=pytest.mark.integration),
    ]
)
def warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Warehouse:
    options: dict[str, object] = {"home": tmp_path}
    if request.param == "redshift":
        options["redshift_url"] = request.getfixturevalue("postgres_db")
    if request.param == "snowflake":
        options |= snowflake_settings(request.getfixturevalue("snowflake_server"))
        options["snowflake_database"] = f"STAGED_{tmp_path.name[-8:].upper()}"
    return make_warehouse(request.param, Settings.model_validate(options))


def shard_file(tmp_path: Path, rows: int, seed: int) -> Path:
    path = tmp_path / f"shard-{rows}-{seed}.parquet"
    write_shard_parquet(
        generate_shard(EXPERIMENT, "Items", seed=seed, row_start=0, row_count=rows), path
    )
    return path


def run_into_staging(warehouse: Warehouse, run_id: int, path: Path) -> None:
    target = staged(EXPERIMENT, run_id)
    warehouse.prepare(target)
    warehouse.load_shard(target, TABLE, path, ShardRef(run_id, "Items", 0))


def live_count(warehouse: Warehouse) -> int:
    return warehouse.count_rows(EXPERIMENT, TABLE)


def test_publish_replaces_the_live_data_and_staging_stays_invisible(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    run_into_staging(warehouse, 1, shard_file(tmp_path, 30, 1))
    assert warehouse.publish(EXPERIMENT, 1)
    assert live_count(warehouse) == 30
    assert not warehouse.publish(EXPERIMENT, 1)  # done already: a redelivered finalize

    run_into_staging(warehouse, 2, shard_file(tmp_path, 70, 2))
    assert warehouse.count_rows(staged(EXPERIMENT, 2), TABLE) == 70
    assert live_count(warehouse) == 30  # the run in progress is not live
    warehouse.drop_staging(EXPERIMENT.name, [2])  # cancelled: the live data is as it was
    assert live_count(warehouse) == 30

    run_into_staging(warehouse, 3, shard_file(tmp_path, 70, 3))
    assert warehouse.publish(EXPERIMENT, 3)
    assert live_count(warehouse) == 70
    table = warehouse.physical_table(EXPERIMENT.name, "Items").sql(
        dialect=warehouse.sqlglot_dialect
    )
    result = warehouse.run_query(
        EXPERIMENT.name, f"SELECT COUNT(DISTINCT id) FROM {table}", row_cap=1, timeout_s=10
    )
    assert result.rows == [[70]]

    assert warehouse.reset(EXPERIMENT) == ["items"]
    assert live_count(warehouse) == 0
    run_into_staging(warehouse, 4, shard_file(tmp_path, 5, 4))
    assert warehouse.publish(EXPERIMENT, 4)  # the emptied tables are replaced as usual
    assert live_count(warehouse) == 5
    warehouse.drop(EXPERIMENT.name)


def test_sqlite_readers_survive_the_swap(tmp_path: Path) -> None:
    warehouse = make_warehouse("sqlite", Settings(home=tmp_path))
    run_into_staging(warehouse, 1, shard_file(tmp_path, 30, 1))
    warehouse.publish(EXPERIMENT, 1)
    live = warehouse.path(EXPERIMENT.name)  # type: ignore[attr-defined]
    reader = sqlite3.connect(f"file:{live}?mode=ro", uri=True)
    reader.execute("BEGIN")
    assert reader.execute('SELECT COUNT(*) FROM "items"').fetchone() == (30,)

    run_into_staging(warehouse, 2, shard_file(tmp_path, 70, 2))
    assert warehouse.publish(EXPERIMENT, 2)
    # The open reader still reads the file it opened; a new one reads the new data.
    assert reader.execute('SELECT COUNT(*) FROM "items"').fetchone() == (30,)
    reader.close()
    assert live_count(warehouse) == 70
    assert not Path(f"{live}-wal").exists()  # nothing a later swap could replay
    assert not warehouse.path(staging_name(EXPERIMENT.name, 2)).exists()  # type: ignore[attr-defined]


def test_a_load_after_the_staging_was_dropped_fails_and_leaves_nothing(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    """A cancelled run's staging is dropped while a loader is still at work: that loader's
    next shard fails; on SQLite it must not create an empty `_r<id>_<name>.sqlite` again."""
    path = shard_file(tmp_path, 10, 1)
    run_into_staging(warehouse, 7, path)
    warehouse.drop_staging(EXPERIMENT.name, [7])
    with pytest.raises(Exception):  # noqa: B017 - each engine names the missing staging its way
        warehouse.load_shard(staged(EXPERIMENT, 7), TABLE, path, ShardRef(7, "Items", 1))
    if warehouse.name == "sqlite":
        folder = warehouse.settings.sqlite_warehouse_dir  # type: ignore[attr-defined]
        assert not list(folder.glob(f"{staging_name(EXPERIMENT.name, 7)}.sqlite*"))


def test_sqlite_load_into_a_vanished_staging_names_no_internal_table(tmp_path: Path) -> None:
    """A shard loaded after its staging copy went (published, reset, deleted): the message says
    so in the user's words, not `no such table: _dwsim_loads`."""
    from dwsim_shared.errors import NotFound

    warehouse = make_warehouse("sqlite", Settings(home=tmp_path))
    path = shard_file(tmp_path, 10, 1)
    target = staged(EXPERIMENT, 3)
    warehouse.check()  # the folder exists; the staging copy (with its ledger) does not
    with pytest.raises(NotFound) as error:
        warehouse.load_shard(target, TABLE, path, ShardRef(3, "Items", 0))
    assert "_dwsim" not in str(error.value) and "staging copy" in str(error.value)
