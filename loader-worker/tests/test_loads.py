"""The worker functions end to end, called directly on the embedded back end (no Celery)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select, update

from dwsim_generator.shards import generate_one_shard
from dwsim_loader.loads import finalize_run, load_one_shard, prepare_run
from dwsim_shared.celery_app import FINALIZE_RUN
from dwsim_shared.experiment_checks import parse_experiment
from dwsim_shared.objectstore import shard_key
from dwsim_shared.runs.create import create_run
from dwsim_shared.runs.dispatch import Step
from dwsim_shared.runs.outcomes import Done, Skip, Skipped
from dwsim_shared.runs.sweeper import Policy, record_worker, sweep
from dwsim_shared.state.models import ExperimentRow, RunRow, RunShardRow, utcnow
from dwsim_shared.testing.pipeline import embedded_runtime, queued_messages, run_row, submit_run
from dwsim_shared.warehouses.base import staging_name
from dwsim_shared.warehouses.sqlite import SQLiteWarehouse

DOCUMENT = {
    "name": "flow",
    "tables": [
        {"name": "parents", "target_rows": 1500, "primary_key": ["id"],
         "columns": [{"name": "id", "data_type": "INT"}]},
        {"name": "kids", "target_rows": 2500, "columns": [
            {"name": "parent_id", "data_type": "INT",
             "foreign_key": {"references_table": "parents", "references_column": "id"}}]},
    ],
}  # fmt: skip


def shard_ids(rt, run_id: int) -> list[int]:  # type: ignore[no-untyped-def]
    with rt.session() as session:
        return list(
            session.scalars(
                select(RunShardRow.id).where(RunShardRow.run_id == run_id).order_by(RunShardRow.id)
            )
        )


def test_prepare_generate_load_complete(tmp_path: Path) -> None:
    rt = embedded_runtime(tmp_path)
    run_id = submit_run(rt, DOCUMENT, shard_size=1000)
    prepared = prepare_run(rt, run_id)
    assert prepared == Done(Step.PREPARE, enqueued=5)
    assert str(prepared) == "prepared, 5 shards enqueued"  # what the Celery task returns
    assert queued_messages(rt, "generate") == 5
    assert run_row(rt, run_id).status == "RUNNING"

    ids = shard_ids(rt, run_id)
    for shard_id in ids:
        assert generate_one_shard(rt, shard_id) == Done(Step.GENERATE, enqueued=1)
    assert queued_messages(rt, "load") == 5
    assert rt.objects.exists(shard_key("flow", "kids", run_id, 2))

    outcomes = [load_one_shard(rt, shard_id) for shard_id in ids]
    assert outcomes[:-1] == [Done(Step.LOAD)] * 4
    assert outcomes[-1] == Done(Step.LOAD, then=Done(Step.FINALIZE))
    assert str(outcomes[-1]) == "loaded, run finalized"
    run = run_row(rt, run_id)
    assert run.status == "COMPLETED"
    assert run.reconciled_counts == {"parents": 1500, "kids": 2500}

    # A redelivered load is a no-op: counts stay exact.
    assert load_one_shard(rt, ids[0]) == Skipped(Skip.RUN_ENDED, "COMPLETED")
    warehouse = rt.warehouse("sqlite")
    result = warehouse.run_query("flow", "SELECT COUNT(*) FROM kids", row_cap=1, timeout_s=5)
    assert result.rows == [[2500]]


def test_regenerating_a_shard_writes_the_same_bytes(tmp_path: Path) -> None:
    rt = embedded_runtime(tmp_path)
    run_id = submit_run(rt, DOCUMENT, shard_size=1000)
    prepare_run(rt, run_id)
    first = shard_ids(rt, run_id)[0]
    generate_one_shard(rt, first)
    key = shard_key("flow", "parents", run_id, 0)
    with rt.objects.local_copy(key) as path:
        before = path.read_bytes()
    assert generate_one_shard(rt, first) == Skipped(Skip.ALREADY_DONE, "generated")
    with rt.session() as session:
        session.get(RunShardRow, first).status = "PENDING"  # type: ignore[union-attr]
        session.commit()
    assert generate_one_shard(rt, first) == Done(Step.GENERATE, enqueued=1)
    with rt.objects.local_copy(key) as path:
        assert path.read_bytes() == before


def test_a_failing_load_fails_the_run_with_the_error(tmp_path: Path) -> None:
    rt = embedded_runtime(tmp_path)
    run_id = submit_run(rt, DOCUMENT, shard_size=5000)
    prepare_run(rt, run_id)
    first = shard_ids(rt, run_id)[0]
    generate_one_shard(rt, first)
    rt.warehouse("sqlite").drop(staging_name("flow", run_id))  # the tables vanish under the loader
    try:
        load_one_shard(rt, first)
    except Exception as error:
        assert "staging copy in the warehouse is gone" in str(error)
    else:
        raise AssertionError("the load should have failed")
    run = run_row(rt, run_id)
    assert run.status == "FAILED"
    assert run.error is not None and "loading shard" in run.error and "is gone" in run.error
    # No internal name reaches the user (was: "no such table: _dwsim_loads").
    assert "_dwsim" not in run.error and "_r1_" not in run.error
    failed = generate_one_shard(rt, shard_ids(rt, run_id)[1])
    assert failed == Skipped(Skip.RUN_ENDED, "FAILED") and str(failed) == "run failed"


def run_whole(rt, document, seed: int) -> int:  # type: ignore[no-untyped-def]
    """Submit and run one generate run through the worker functions, in this process."""
    run_id = submit_run(rt, document, seed=seed, shard_size=1000)
    prepare_run(rt, run_id)
    for shard_id in shard_ids(rt, run_id):
        generate_one_shard(rt, shard_id)
    for shard_id in shard_ids(rt, run_id):
        load_one_shard(rt, shard_id)
    return run_id


def test_retention_keeps_the_objects_of_the_last_completed_runs(tmp_path: Path) -> None:
    rt = embedded_runtime(tmp_path, keep_runs=2)
    first = run_whole(rt, DOCUMENT, seed=1)
    with rt.session() as session:  # the next runs are of the same experiment
        experiment_row = session.scalars(select(ExperimentRow)).one()
        runs = []
        for seed in (2, 3, 4):
            run = create_run(
                session, experiment_row, parse_experiment(DOCUMENT), warehouse="sqlite",
                seed=seed, row_targets={"parents": 1500, "kids": 2500}, shard_size=1000,
            )  # fmt: skip
            session.commit()
            runs.append(run.id)
            prepare_run(rt, run.id)
            for shard_id in shard_ids(rt, run.id):
                generate_one_shard(rt, shard_id)
            for shard_id in shard_ids(rt, run.id):
                load_one_shard(rt, shard_id)
    kept = {
        r: bool(rt.objects.list_keys(f"experiments/flow/kids/run_{r}/")) for r in [first, *runs]
    }
    assert kept == {first: False, runs[0]: False, runs[1]: True, runs[2]: True}
    assert run_row(rt, first).objects_deleted_at is not None
    assert run_row(rt, runs[2]).objects_deleted_at is None
    assert run_row(rt, runs[2]).status == "COMPLETED" and run_row(rt, runs[2]).published_at


def test_a_finalization_claimed_by_a_loader_that_died_is_finished(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rt = embedded_runtime(tmp_path)
    run_id = submit_run(rt, DOCUMENT, shard_size=1000)
    prepare_run(rt, run_id)
    ids = shard_ids(rt, run_id)
    for shard_id in ids:
        generate_one_shard(rt, shard_id)

    def die(*_: object) -> bool:
        raise KeyboardInterrupt  # stands for SIGKILL: nothing in the task records anything

    monkeypatch.setattr(SQLiteWarehouse, "publish", die)
    for shard_id in ids[:-1]:
        assert load_one_shard(rt, shard_id) == Done(Step.LOAD)
    with pytest.raises(KeyboardInterrupt):
        load_one_shard(rt, ids[-1])  # the last loader claimed the finalization, then died
    monkeypatch.undo()
    run = run_row(rt, run_id)
    assert (run.status, run.finalizing, run.reconciled_counts) == (
        "RUNNING", True, {"parents": 1500, "kids": 2500},
    )  # fmt: skip
    # A redelivery finds the shard loaded, and the finalize held: it waits for the lease.
    redelivered = load_one_shard(rt, ids[-1])
    assert redelivered == Skipped(Skip.ALREADY_DONE, "loaded", then=Skipped(Skip.HELD))
    assert str(redelivered) == "already loaded"

    later = utcnow() + dt.timedelta(seconds=rt.settings.lease_s + 1)
    sent: list[tuple[str, int]] = []
    with rt.session() as session:
        record_worker(session, "loader", "load", later)
        sweep(session, later, Policy(), lambda task, target: sent.append((task, target)))
        session.execute(update(RunRow).where(RunRow.id == run_id).values(lease_until=utcnow()))
        session.commit()  # (the lease ran out: what `later` stands for)
    assert sent == [(FINALIZE_RUN, run_id)]
    assert finalize_run(rt, run_id) == Done(Step.FINALIZE)
    run = run_row(rt, run_id)
    assert run.status == "COMPLETED" and run.published_at is not None
    result = rt.warehouse("sqlite").run_query(
        "flow", "SELECT COUNT(*) FROM kids", row_cap=1, timeout_s=5
    )
    assert result.rows == [[2500]]


def test_a_runs_report_proves_keys_from_the_loads_facts_and_a_tampered_shard_fails(
    tmp_path: Path,
) -> None:
    """Each loaded shard keeps its facts (rows, each integer key's bounds and digest) with the
    shard; the report the run makes proves keys and foreign keys from them and the warehouse's
    COUNT(*), reading no key. A Parquet shard whose keys differ from the contract's (one id
    made another's before it is loaded) fails the key check, with the exact query's number."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rt = embedded_runtime(tmp_path, report_exact_rows=100)
    run_id = run_whole(rt, DOCUMENT, seed=3)
    run = run_row(rt, run_id)
    assert run.status == "COMPLETED", run.report
    with rt.session() as session:
        facts = {(s.table_name, s.shard_index): s.load_facts for s in session.scalars(
            select(RunShardRow).where(RunShardRow.run_id == run_id))}  # fmt: skip
    assert facts[("parents", 1)]["rows"] == 500
    assert facts[("parents", 1)]["sets"]["key:id"]["rows"] == 500
    assert facts[("kids", 0)]["sets"]["fk:parent_id"]["rows"] == 1000
    checks = {(c["table"], c["column"], c["check"]): c for c in run.report["checks"]}
    for key in (("parents", "id", "unique"), ("kids", "parent_id", "foreign_key")):
        assert "the loader's" in checks[key]["proof"], checks[key]
        assert checks[key]["pass"]
    assert checks[("parents", "id", "unique")]["observed"] == {"duplicates": 0}

    # The same document again, one parents shard's object tampered with before its load.
    with rt.session() as session:
        again = create_run(
            session, session.scalars(select(ExperimentRow)).one(), parse_experiment(DOCUMENT),
            warehouse="sqlite", seed=3, row_targets={"parents": 1500, "kids": 2500},
            shard_size=1000,
        )  # fmt: skip
        session.commit()
        tampered = again.id
    prepare_run(rt, tampered)
    ids = shard_ids(rt, tampered)
    for shard_id in ids:
        generate_one_shard(rt, shard_id)
    key = shard_key("flow", "parents", tampered, 1)
    with rt.objects.local_copy(key) as path:
        table = pq.read_table(path)
    values = table.column("id").to_pylist()
    values[1] = values[0]  # one key repeated: still 500 rows, the count stays right
    changed = tmp_path / "tampered.parquet"
    pq.write_table(table.set_column(0, table.schema.field(0), pa.array(values, table.column("id").type)), changed)  # fmt: skip
    rt.objects.put_file(changed, key)
    for shard_id in ids:
        load_one_shard(rt, shard_id)
    run = run_row(rt, tampered)
    assert run.status == "COMPLETED_WITH_WARNINGS"
    failed = {
        (c["table"], c["column"], c["check"]): c for c in run.report["checks"] if not c["pass"]
    }
    # The id overwritten is gone from parents: the kids that picked it are orphans now.
    assert set(failed) == {("parents", "id", "unique"), ("kids", "parent_id", "foreign_key")}
    assert failed[("parents", "id", "unique")]["observed"] == {"duplicates": 1}
    assert failed[("kids", "parent_id", "foreign_key")]["observed"]["orphans"] >= 1
    assert not any("proof" in c for c in failed.values())  # decided by the exact queries
    rt.close()
