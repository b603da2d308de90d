"""The sample against a real run: `POST .../sample` answers, for every table, exactly the first
rows of the run's first Parquet objects when the run has the same seed, row counts and shard
size (every rule kind, nulls, keys, foreign keys; shards smaller than the sample)."""

from __future__ import annotations

import json
from typing import Any

import pyarrow.parquet as pq
import pytest

from dwsim_gateway.routes.sample import _json_value
from dwsim_shared.objectstore import make_object_store
from dwsim_shared.settings import Settings
from dwsim_shared.testing.experiments import EVERY_RULE

from .conftest import LiveStack, unique_name

pytestmark = pytest.mark.integration


def _experiment(name: str) -> dict[str, Any]:
    document = json.loads(json.dumps(EVERY_RULE))
    document["name"] = name
    for table, rows in zip(document["tables"], (30, 50, 12), strict=True):
        table["target_rows"] = rows
    return document


def test_sample_equals_the_first_rows_of_a_run(live: LiveStack) -> None:
    name = unique_name("sample")
    client = live.client
    assert client.post("/api/experiments", json=_experiment(name)).status_code == 201
    seed = "9007199254740993"  # past 2**53: travels as text
    asked = {"seed": seed, "shard_size": 7, "limit": 10}
    sample = client.post(f"/api/experiments/{name}/sample", json=asked)
    assert sample.status_code == 200, sample.text
    run = client.post(f"/api/experiments/{name}/generate", json={"seed": seed, "shard_size": 7})
    assert run.status_code == 202, run.text
    done = live.wait_run(name, run.json()["run_id"])
    assert done["status"].startswith("COMPLETED"), done.get("error")
    assert done["seed"] == seed
    shards = client.get(f"/api/experiments/{name}/runs/{done['run_id']}/shards").json()["shards"]
    options = {
        k.removeprefix("DWSIM_").lower(): v for k, v in live.env.items() if k.startswith("DWSIM_")
    }
    store = make_object_store(Settings.model_validate(options))
    for table in sample.json()["tables"]:
        keys = [s["object_key"] for s in sorted(
            (s for s in shards if s["table"] == table["name"]), key=lambda s: s["shard_index"]
        )][:2]  # fmt: skip
        rows: list[list[Any]] = []
        for key in keys:
            with store.local_copy(key) as path:
                rows.extend(
                    [_json_value(v) for v in r.values()] for r in pq.read_table(path).to_pylist()
                )
        assert len(table["rows"]) == 10
        assert table["rows"] == rows[:10], table["name"]
