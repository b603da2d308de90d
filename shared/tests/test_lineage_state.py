"""Lineage in the state DB (SQLite and PostgreSQL): versions, events written with each step,
the graph they make, the diff of two runs, and OpenLineage events sent only after commit."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from dwsim_shared.experiment import parse_experiment
from dwsim_shared.lifecycle import create_load_run, mark_published, reopen_failed_run
from dwsim_shared.lineage import openlineage
from dwsim_shared.lineage.graph import document_changes, lineage_graph, run_diff
from dwsim_shared.lineage.history import record_event, record_version
from dwsim_shared.lineage.provenance import document_digest, environment, library_mismatches
from dwsim_shared.runs import create_run, fail_run
from dwsim_shared.settings import Settings
from dwsim_shared.state.db import make_engine, make_sessionmaker, migrate
from dwsim_shared.state.models import ExperimentRow, RunRow, ShardStatus, utcnow

DOC = {
    "name": "lin",
    "tables": [{"name": "a", "target_rows": 15, "columns": [
        {"name": "id", "data_type": "INT", "is_unique": True}]}],
}  # fmt: skip


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def session(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Session]:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_db").replace(
            "postgresql://", "postgresql+psycopg2://"
        )
    engine = make_engine(url)
    migrate(engine)
    with make_sessionmaker(engine)() as session:
        yield session
    engine.dispose()


@pytest.fixture
def sent(tmp_path: Path) -> Any:
    emitter = openlineage.configure(Settings(home=tmp_path))
    assert emitter is not None
    path = tmp_path / "openlineage" / "events.jsonl"

    def read() -> list[dict[str, Any]]:
        assert emitter.drain()
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    yield read
    openlineage.configure(Settings(home=tmp_path, openlineage=False))


def _generated(session: Session, run: RunRow) -> None:
    for shard in run.shards:
        shard.status, shard.object_key = ShardStatus.LOADED, f"k/{shard.shard_index}"
        shard.checksum, shard.object_bytes = f"{shard.shard_index:064d}", 100
        shard.rows_written = shard.rows_loaded = shard.row_count
    session.commit()


def test_steps_make_the_history_and_the_graph(session: Session, sent: Any) -> None:
    experiment = parse_experiment(DOC)
    row = ExperimentRow(name="lin", source_dialect="redshift", target_warehouse="sqlite",
                        schema_json=experiment.to_json(), warnings=[])  # fmt: skip
    session.add(row)
    session.flush()
    assert record_version(session, row, source_sql="CREATE TABLE a (id INT)").version == 1
    assert record_version(session, row).version == 1  # the same document: the same version
    session.commit()
    first = create_run(session, row, experiment, warehouse="sqlite", seed=5,
                       row_targets={"a": 15}, shard_size=10)  # fmt: skip
    session.commit()
    assert [e["eventType"] for e in sent()] == ["START"]  # sent once committed
    _generated(session, first)
    mark_published(session, first.id, now=utcnow(), report={"checks": [
        {"table": "a", "column": "id", "check": "unique", "pass": True}]})  # fmt: skip
    record_event(session, row.id, "reset", first.id, tables=["a"])
    session.commit()
    reload = create_load_run(session, row, first)
    session.rollback()  # a step that does not commit leaves nothing behind
    assert [e.kind for e in lineage_graph_events(session, row)] == [
        "create", "generate", "publish", "reset"
    ]  # fmt: skip
    reload = create_load_run(session, row, first)
    session.commit()
    mark_published(session, reload.id, now=utcnow())
    row.schema_json = {**DOC, "tables": [{**DOC["tables"][0], "target_rows": 20}]}
    record_version(session, row)
    session.commit()
    third = create_run(session, row, parse_experiment(row.schema_json), warehouse="sqlite",
                       seed=5, row_targets={"a": 20}, shard_size=10)  # fmt: skip
    session.commit()
    fail_run(session, third.id, "generating shard a#1: disk full")
    session.commit()
    reopen_failed_run(session, third, "lin", now=utcnow(), lease_s=30)
    session.commit()

    graph = lineage_graph(session, row)
    kinds = [(e["kind"], e["run_id"]) for e in graph["events"]]
    assert kinds == [
        ("create", None), ("generate", first.id), ("publish", first.id), ("reset", first.id),
        ("load", reload.id), ("publish", reload.id), ("update", None),
        ("generate", third.id), ("fail", third.id), ("retry", third.id),
    ]  # fmt: skip
    edges = {(e["source"], e["type"], e["target"]) for e in graph["edges"]}
    assert ("version:1", "submitted", f"run:{first.id}") in edges
    assert ("version:2", "submitted", f"run:{third.id}") in edges
    assert (f"run:{first.id}", "reloaded_by", f"run:{reload.id}") in edges
    assert (f"object:{first.id}:a:1", "loaded_into", f"load:{reload.id}:a") in edges
    table = next(n for n in graph["nodes"] if n["id"] == "table:a")
    assert table["live_run_id"] == reload.id and table["state"] == "live"
    versions = [n for n in graph["nodes"] if n["type"] == "experiment_version"]
    assert [v["imported_from_ddl"] for v in versions] == [True, False]

    diff = run_diff(first, third)
    assert diff["document"]["changed"] == ["tables[a].target_rows"]
    assert diff["counts"]["a"]["target"] == {"same": False, "a": 15, "b": 20}
    assert diff["seed"]["same"] and not diff["same_data_expected"]
    assert run_diff(first, reload)["same_data_expected"]

    states = [(e["eventType"], e["job"]["name"]) for e in sent()]
    assert states == [
        ("START", "lin"), ("COMPLETE", "lin"), ("START", "lin.validation"),
        ("COMPLETE", "lin.validation"), ("START", "lin"), ("COMPLETE", "lin"),
        ("START", "lin"), ("FAIL", "lin"), ("START", "lin"),
    ]  # fmt: skip


def lineage_graph_events(session: Session, row: ExperimentRow) -> list[Any]:
    from dwsim_shared.lineage.history import events

    return events(session, row.id)


def test_provenance_and_document_changes() -> None:
    assert document_digest({"a": 1, "b": [1]}) == document_digest({"b": [1], "a": 1})
    env = environment()
    assert set(env["libraries"]) == {"faker", "numpy", "pyarrow"} and env["project_version"]
    assert library_mismatches({"libraries": env["libraries"]}, env) == []
    old = {"tables": [{"name": "t", "columns": [{"name": "x", "min_value": 1}]}]}
    new = {"tables": [{"name": "t", "columns": [{"name": "x", "min_value": 2},
                                                {"name": "y"}]}], "seed": 3}  # fmt: skip
    assert document_changes(old, new) == [
        "seed", "tables[t].columns[x].min_value", "tables[t].columns[y]"
    ]  # fmt: skip
