"""The query realism corpus: the 22 TPC-H queries and analytic reports, written in Redshift
and in Snowflake SQL, over the TPC-H schema imported from DDL with one seed, loaded into all
three engines. Every query must return the same rows on every engine and in both dialects
(numbers within 0.01), or be refused by name where the corpus says so."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from dwsim_query.compat.cases import normalize, same
from dwsim_shared.ddl import import_ddl
from dwsim_shared.errors import BadRequest
from dwsim_shared.generation import generate_shard, write_shard_parquet
from dwsim_shared.settings import Settings
from dwsim_shared.testing import servers
from dwsim_shared.testing.fixtures import snowflake_settings
from dwsim_shared.warehouses import make_warehouse
from dwsim_shared.warehouses.base import ShardRef

from .conftest import GoldenEngine

pytestmark = pytest.mark.integration
HERE = Path(__file__).parent
DDL = HERE.parents[1] / "shared" / "tests" / "ddl" / "corpus" / "redshift_tpch.sql"
ROWS = {"region": 5, "nation": 25, "supplier": 20, "part": 100, "partsupp": 400,
        "customer": 200, "orders": 500, "lineitem": 2000}  # fmt: skip
ENGINES = ("sqlite", "redshift", "snowflake")


def corpus() -> list[dict[str, Any]]:
    queries: list[dict[str, Any]] = []
    for path in sorted((HERE / "corpus").glob("*.yaml")):
        queries += yaml.safe_load(path.read_text(encoding="utf-8"))
    return queries


QUERIES = corpus()


def texts(query: dict[str, Any]) -> dict[str, str]:
    return {d: query.get(d) or query["sql"] for d in ("redshift", "snowflake")}


@pytest.fixture(scope="module")
def tpch(
    tmp_path_factory: pytest.TempPathFactory,
    postgres_server_url: str,
    snowflake_server: dict[str, str],
) -> Iterator[dict[str, GoldenEngine]]:
    tmp = tmp_path_factory.mktemp("tpch")
    name = f"tpch_{uuid.uuid4().hex[:8]}"
    experiment = import_ddl(
        DDL.read_text(encoding="utf-8"), "redshift", name=name, rows=ROWS
    ).experiment
    shards = {}
    for table in experiment.tables:
        data = generate_shard(
            experiment, table.name, seed=20240, row_start=0, row_count=table.target_rows
        )
        shards[table.name] = tmp / f"{table.name}.parquet"
        write_shard_parquet(data, shards[table.name])
    with servers.scratch_database(postgres_server_url, "dwsim_tpch") as redshift_url:
        options = {
            "sqlite": {"home": tmp},
            "redshift": {"home": tmp, "redshift_url": redshift_url},
            "snowflake": {"home": tmp, **snowflake_settings(snowflake_server)},
        }
        engines = {}
        for engine in ENGINES:
            warehouse = make_warehouse(engine, Settings(**options[engine]))
            warehouse.prepare(experiment)
            for table in experiment.tables:
                warehouse.load_shard(
                    experiment, table, shards[table.name], ShardRef(1, table.name, 0)
                )
            engines[engine] = GoldenEngine(engine, warehouse, experiment)
        try:
            with contextlib.ExitStack() as kept:  # one session per engine, not one per query
                for engine in engines.values():
                    kept.enter_context(engine.warehouse.kept_sessions())
                yield engines
        finally:
            for engine in engines.values():
                engine.warehouse.drop(name)


def _key(row: list[Any]) -> list[str]:
    return [str(_plain(v)) for v in row]


def _plain(value: Any) -> Any:
    value = normalize(value)
    # CHAR(n) comes back blank-padded from PostgreSQL; both sources compare ignoring the blanks.
    return value.rstrip() if isinstance(value, str) else value


def agree(a: list[list[Any]], b: list[list[Any]]) -> bool:
    if len(a) != len(b):
        return False
    a, b = sorted(a, key=_key), sorted(b, key=_key)
    return all(
        len(x) == len(y)
        and all(same(_plain(p), _plain(q), tolerance=0.01) for p, q in zip(x, y, strict=True))
        for x, y in zip(a, b, strict=True)
    )


@pytest.mark.parametrize("query", QUERIES, ids=[q["name"] for q in QUERIES])
def test_corpus_query_agrees_everywhere(
    tpch: dict[str, GoldenEngine], query: dict[str, Any]
) -> None:
    refused = query.get("refuse") or {}
    results: dict[str, list[list[Any]]] = {}
    for engine in ENGINES:
        for dialect, sql in texts(query).items():
            if f"{engine}/{dialect}" in refused:
                with pytest.raises(BadRequest, match=refused[f"{engine}/{dialect}"]):
                    tpch[engine].run(sql, dialect)
                continue
            results[f"{engine}/{dialect}"] = tpch[engine].run(sql, dialect)
    reference_name, reference = next(iter(results.items()))
    assert reference, f"{query['name']} returns no rows: the corpus should exercise the data"
    for where, rows in results.items():
        assert agree(rows, reference), (
            f"{query['name']}: {where} answered {rows[:5]}... but {reference_name} {reference[:5]}..."
        )
