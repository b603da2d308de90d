"""The emulator's two PUT paths load the same rows exactly once: the local stage (the connector
copies the shard into the emulator's stage folder; every other emulator test runs on it) and
fakesnow's HTTP upload (the default, for an emulator in a container of its own)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from dwsim_shared.generation import generate_shard, write_shard_parquet
from dwsim_shared.settings import Settings
from dwsim_shared.testing.fixtures import snowflake_settings
from dwsim_shared.testing.servers import fakesnow_server
from dwsim_shared.warehouses import Warehouse, make_warehouse
from dwsim_shared.warehouses.base import ShardRef
from shared.tests.test_warehouses import EXPERIMENT

pytestmark = pytest.mark.skipif(
    any(os.environ.get(f"DWSIM_TEST_SNOWFLAKE_{n}") for n in ("HOST", "ACCOUNT")),
    reason="a real account has no emulator stage",
)


@pytest.fixture(scope="module")
def http_emulator() -> Iterator[dict[str, str]]:
    with fakesnow_server(local_stage=False) as server:
        yield server


def _load_twice(warehouse: Warehouse, tmp_path: Path) -> None:
    table = EXPERIMENT.table("Items")
    assert table is not None
    data = generate_shard(EXPERIMENT, table.name, seed=5, row_start=0, row_count=700)
    path = tmp_path / "shard.parquet"
    write_shard_parquet(data, path)
    warehouse.prepare(EXPERIMENT)
    ref = ShardRef(1, table.name, 0)
    assert warehouse.load_shard(EXPERIMENT, table, path, ref) == 700
    assert warehouse.load_shard(EXPERIMENT, table, path, ref) == 700  # redelivered: a no-op
    assert warehouse.count_rows(EXPERIMENT, table) == 700
    physical = warehouse.physical_table(EXPERIMENT.name, table.name).sql(dialect="snowflake")
    got = warehouse.run_query(
        EXPERIMENT.name, f'SELECT * FROM {physical} ORDER BY "id"', row_cap=1_000, timeout_s=10
    )
    rows = [dict(zip(got.columns, r, strict=True)) for r in got.rows]
    expected = sorted(data.to_pylist(), key=lambda r: r["id"])
    assert rows == [{k.lower(): v for k, v in r.items()} for r in expected]


def test_the_http_upload_path_loads_exactly(http_emulator: dict[str, str], tmp_path: Path) -> None:
    settings = Settings.model_validate({"home": tmp_path, **snowflake_settings(http_emulator)})
    _load_twice(make_warehouse("snowflake", settings), tmp_path)


def test_the_local_stage_path_loads_exactly(
    snowflake_server: dict[str, str], tmp_path: Path
) -> None:
    settings = Settings.model_validate({"home": tmp_path, **snowflake_settings(snowflake_server)})
    _load_twice(make_warehouse("snowflake", settings), tmp_path)


def test_the_local_stage_answers_a_put_with_the_stage_folder_itself() -> None:
    from dwsim_shared.emulator_server import _http_stage_info, _local_stage_info

    data = {
        "stageInfo": {"locationType": "LOCAL_FS", "location": "/b/db/s/st/run_1/", "creds": {}},
        "src_locations": ["/tmp/shard.parquet"],
    }
    answer = _local_stage_info(None, None, data)  # type: ignore[arg-type]
    assert answer == {"locationType": "LOCAL_FS", "location": "/b/db/s/st/run_1/", "creds": {}}
    assert _http_stage_info.__name__ == "gcs_stage_info"  # the default: fakesnow's upload
