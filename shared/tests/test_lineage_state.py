"""Lineage in the state DB (SQLite and PostgreSQL): versions, events written with each step,
the graph they make, the diff of two runs, and OpenLineage events sent only after commit."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from dwsim_shared.experiment_checks import parse_experiment
from dwsim_shared.lineage import openlineage
from dwsim_shared.lineage.graph import document_changes, lineage_graph, run_diff
from dwsim_shared.lineage.history import record_event, record_version
from dwsim_shared.lineage.provenance import document_digest, environment, library_mismatches
from dwsim_shared.runs.create import create_load_run, create_run, reopen_failed_run
from dwsim_shared.runs.service import mark_published
from dwsim_shared.runs.transitions import fail_run, update_run
from dwsim_shared.settings import Settings
from dwsim_shared.state.db import make_engine, make_sessionmaker, migrate
from dwsim_shared.state.models import ExperimentRow, RunRow, RunStatus, ShardStatus, utcnow

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
    # Another experiment's run first, so internal ids (from 2) and run numbers (from 1) differ.
    other = ExperimentRow(name="other", source_dialect="redshift", target_warehouse="sqlite",
                          schema_json=experiment.to_json(), warnings=[])  # fmt: skip
    session.add_all([other, row])
    session.flush()
    create_run(session, other, experiment, warehouse="sqlite", seed=1, row_targets={"a": 15},
               shard_size=10)  # fmt: skip
    session.commit()
    assert sent()[0]["job"]["name"] == "other"
    assert record_version(session, row, source_sql="CREATE TABLE a (id INT)").version == 1
    assert record_version(session, row).version == 1  # the same document: the same version
    session.commit()
    first = create_run(session, row, experiment, warehouse="sqlite", seed=5,
                       row_targets={"a": 15}, shard_size=10)  # fmt: skip
    session.commit()
    assert [e["eventType"] for e in sent()] == ["START", "START"]  # sent once committed
    _generated(session, first)
    update_run(session, first.id, RunStatus.RUNNING)
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
    update_run(session, reload.id, RunStatus.RUNNING)
    mark_published(session, reload.id, now=utcnow())
    row.schema_json = {**DOC, "tables": [{**DOC["tables"][0], "target_rows": 20}]}
    record_version(session, row)
    session.commit()
    third = create_run(session, row, parse_experiment(row.schema_json), warehouse="sqlite",
                       seed=5, row_targets={"a": 20}, shard_size=10)  # fmt: skip
    session.commit()
    fail_run(session, third.id, "generating shard a#1: disk full")
    session.commit()
    reopen_failed_run(session, third, row, now=utcnow(), lease_s=30)
    session.commit()

    graph = lineage_graph(session, row)
    # Users read run numbers (1, 2, 3 in this experiment), never the internal ids.
    assert (first.number, reload.number, third.number) == (1, 2, 3)
    kinds = [(e["kind"], e["run_id"]) for e in graph["events"]]
    assert kinds == [
        ("create", None), ("generate", 1), ("publish", 1), ("reset", 1),
        ("load", 2), ("publish", 2), ("update", None),
        ("generate", 3), ("fail", 3), ("retry", 3),
    ]  # fmt: skip
    load_event = next(e for e in graph["events"] if e["kind"] == "load")
    assert load_event["source_run_id"] == 1
    assert next(e for e in graph["events"] if e["kind"] == "generate")["seed"] == "5"
    edges = {(e["source"], e["type"], e["target"]) for e in graph["edges"]}
    assert ("version:1", "submitted", "run:1") in edges
    assert ("version:2", "submitted", "run:3") in edges
    assert ("run:1", "reloaded_by", "run:2") in edges
    assert ("object:1:a:1", "loaded_into", "load:2:a") in edges
    nodes = {n["id"]: n for n in graph["nodes"]}
    assert nodes["run:2"]["source_run_id"] == 1 and nodes["run:2"]["internal_id"] == reload.id
    assert nodes["run:1"]["seed"] == "5"
    table = nodes["table:a"]
    assert table["live_run_id"] == 2 and graph["live_run_id"] == 2 and table["state"] == "live"
    focused = lineage_graph(session, row, 2)
    assert {n["id"] for n in focused["nodes"] if n["type"] == "run"} == {"run:1", "run:2"}
    versions = [n for n in graph["nodes"] if n["type"] == "experiment_version"]
    assert [v["imported_from_ddl"] for v in versions] == [True, False]

    diff = run_diff(first, third)
    assert (diff["a"], diff["b"]) == (1, 3)
    assert diff["document"]["changed"] == ["tables[a].target_rows"]
    assert diff["counts"]["a"]["target"] == {"same": False, "a": 15, "b": 20}
    assert diff["seed"]["same"] and not diff["same_data_expected"]
    assert run_diff(first, reload)["same_data_expected"]

    mine = [e for e in sent() if e["job"]["name"] != "other"]
    states = [(e["eventType"], e["job"]["name"]) for e in mine]
    assert states == [
        ("START", "lin"), ("COMPLETE", "lin"), ("START", "lin.validation"),
        ("COMPLETE", "lin.validation"), ("START", "lin"), ("COMPLETE", "lin"),
        ("START", "lin"), ("FAIL", "lin"), ("START", "lin"),
    ]  # fmt: skip
    # The OpenLineage runId stays the UUID of the internal id; the facet names run numbers.
    load_start = mine[4]["run"]
    assert load_start["runId"] == openlineage.run_uuid("lin", reload.id)
    assert load_start["facets"]["dwsim"]["runNumber"] == 2
    assert load_start["facets"]["dwsim"]["sourceRunId"] == 1


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
