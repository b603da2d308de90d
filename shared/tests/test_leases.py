"""Leases, the sweeper and the transient-error table, with a fake clock (no workers, no sleeps)."""

from __future__ import annotations

import datetime as dt
import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dwsim_shared.celery_app import FINALIZE_RUN, GENERATE_SHARD, LOAD_SHARD, PREPARE_RUN
from dwsim_shared.errors import DependencyUnavailable
from dwsim_shared.experiment_checks import parse_experiment
from dwsim_shared.runs.create import create_run
from dwsim_shared.runs.leases import (
    Taken,
    holder_gone,
    release_shard,
    renew_shard,
    take_run_step,
    take_shard,
)
from dwsim_shared.runs.outcomes import Skip, Skipped
from dwsim_shared.runs.service import mark_prepared
from dwsim_shared.runs.sweeper import Policy, claim_sweep, record_worker, sweep
from dwsim_shared.state.db import make_engine, make_sessionmaker, migrate
from dwsim_shared.state.models import ExperimentRow, RunRow, RunShardRow, ShardStatus
from dwsim_shared.transient import as_unavailable, with_retries

T0 = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)
POLICY = Policy(lease_s=30, sweep_s=10, max_attempts=3)
EXPERIMENT = parse_experiment({
    "name": "leases",
    "tables": [{"name": "a", "target_rows": 20,
                "columns": [{"name": "id", "data_type": "INT", "is_unique": True}]}],
})  # fmt: skip


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


@pytest.fixture
def session(tmp_path: Path) -> Session:
    engine = make_engine(f"sqlite:///{tmp_path / 'state.db'}")
    migrate(engine)
    return make_sessionmaker(engine)()


def _run(session: Session, *, prepared: bool = True) -> RunRow:
    count = len(session.scalars(select(ExperimentRow.id)).all())
    row = ExperimentRow(name=f"leases{count}", source_dialect="redshift", target_warehouse="sqlite",
                        schema_json=EXPERIMENT.to_json(), warnings=[], created_at=T0)  # fmt: skip
    session.add(row)
    session.flush()
    run = create_run(session, row, EXPERIMENT, warehouse="sqlite", seed=1,
                     row_targets={"a": 20}, shard_size=10)  # fmt: skip
    run.created_at = T0
    run.status = "RUNNING"
    if prepared:
        run.prepared_at = T0
    session.commit()
    return run


def _shard(session: Session, run: RunRow, index: int = 0) -> RunShardRow:
    shard = session.scalars(
        select(RunShardRow).where(RunShardRow.run_id == run.id, RunShardRow.shard_index == index)
    ).one()
    session.refresh(shard)
    return shard


HELD = Skipped(Skip.HELD)


def _take(session: Session, shard: RunShardRow, stage: str, seconds: float) -> Taken | Skipped:
    session.refresh(shard)
    return take_shard(
        session, shard, stage, now=at(seconds), lease_s=30, max_attempts=3, worker="elsewhere pid 1"
    )


def test_a_held_shard_is_taken_again_only_once_its_lease_ran_out(session: Session) -> None:
    run = _run(session)
    shard = _shard(session, run)
    first = _take(session, shard, "generate", 0)
    assert isinstance(first, Taken) and first.attempt == 1
    assert _take(session, shard, "generate", 29) == HELD
    # The holder renews: the lease moves, so a take at 40 s still finds it held.
    assert renew_shard(session, first, now=at(20), lease_s=30)
    assert _take(session, shard, "generate", 40) == HELD
    second = _take(session, shard, "generate", 51)
    assert isinstance(second, Taken) and second.attempt == 2
    # The first holder lost it: it can neither renew nor record its result.
    assert not renew_shard(session, first, now=at(52), lease_s=30)
    assert not release_shard(session, first, ShardStatus.GENERATED, now=at(53), lease_s=30)
    assert release_shard(
        session, second, ShardStatus.GENERATED, now=at(54), lease_s=30, rows_written=10,
        object_key="k",
    )  # fmt: skip
    session.refresh(shard)
    assert (shard.status, shard.attempts, shard.rows_written) == ("GENERATED", 0, 10)
    assert _take(session, shard, "generate", 60) == Skipped(Skip.PAST_STAGE, "GENERATED")
    assert isinstance(_take(session, shard, "load", 60), Taken)


def test_a_shard_lost_max_attempts_times_fails_the_run_with_why(session: Session) -> None:
    run = _run(session)
    shard = _shard(session, run)
    for attempt in range(3):
        assert isinstance(_take(session, shard, "generate", attempt * 31), Taken)
    assert _take(session, shard, "generate", 100) == Skipped(Skip.ATTEMPTS_EXHAUSTED)
    session.refresh(run)
    assert run.status == "FAILED"
    assert run.error == "shard a#0: its worker was lost 3 times while generating it"


def test_sweeper_requeues_a_lost_shard_in_the_state_its_task_starts_from(session: Session) -> None:
    run = _run(session)
    generating, loading = _shard(session, run, 0), _shard(session, run, 1)
    assert isinstance(_take(session, generating, "generate", 0), Taken)
    loading.status, loading.object_key, loading.lease_until = ShardStatus.GENERATED, "k", at(30)
    session.commit()
    assert isinstance(_take(session, loading, "load", 0), Taken)
    for queue in ("generate", "load"):
        record_worker(session, f"w-{queue}", queue, at(25))
    sent: list[tuple[str, int]] = []

    def enqueue(task: str, target: int) -> None:
        sent.append((task, target))

    assert not sweep(session, at(29), POLICY, enqueue).enqueued  # leases still hold
    report = sweep(session, at(31), POLICY, enqueue)
    assert sorted(report.enqueued) == sorted(
        [(GENERATE_SHARD, generating.id), (LOAD_SHARD, loading.id)]
    )
    session.refresh(generating)
    session.refresh(loading)
    assert (generating.status, loading.status) == ("PENDING", "GENERATED")
    assert not sweep(session, at(32), POLICY, enqueue).enqueued  # re-enqueued once per lease
    # The re-enqueued task is taken at once (the sweeper's lease is a queued one).
    again = _take(session, generating, "generate", 33)
    assert isinstance(again, Taken) and again.attempt == 2


def test_sweeper_says_what_a_run_waits_for_and_sends_nothing_without_workers(
    session: Session,
) -> None:
    run = _run(session)
    report = sweep(session, at(100), POLICY, lambda *_: None)
    assert report.enqueued == []
    assert report.waiting == {run.id: "waiting for a generator worker"}
    record_worker(session, "g", "generate", at(95))
    assert sweep(session, at(100), POLICY, lambda *_: None).waiting == {}
    # Seen 20 s ago with a 10 s sweep: gone (two missed beats and slack).
    assert sweep(session, at(121), POLICY, lambda *_: None).waiting == {
        run.id: "waiting for a generator worker"
    }


def test_sweeper_sends_an_unprepared_run_and_a_stalled_finalization(session: Session) -> None:
    unprepared = _run(session, prepared=False)
    record_worker(session, "l", "load", at(60))
    sent: list[tuple[str, int]] = []
    sweep(session, at(20), POLICY, lambda t, i: sent.append((t, i)))
    assert sent == []  # the gateway's own enqueue gets one lease
    sweep(session, at(61), POLICY, lambda t, i: sent.append((t, i)))
    assert sent == [(PREPARE_RUN, unprepared.id)]

    unprepared.status = "COMPLETED"
    session.commit()
    run = _run(session)
    for shard in run.shards:
        shard.status = ShardStatus.LOADED
    session.commit()
    assert take_run_step(session, run.id, "finalize", now=at(61), lease_s=30, max_attempts=3) == 1
    assert (
        take_run_step(session, run.id, "finalize", now=at(62), lease_s=30, max_attempts=3) == HELD
    )
    sent.clear()
    sweep(session, at(80), POLICY, lambda t, i: sent.append((t, i)))
    assert sent == []
    record_worker(session, "l", "load", at(92))
    sweep(session, at(92), POLICY, lambda t, i: sent.append((t, i)))
    assert sent == [(FINALIZE_RUN, run.id)]  # the finalizer died: its lease ran out
    assert take_run_step(session, run.id, "finalize", now=at(93), lease_s=30, max_attempts=3) == 2


def test_a_dead_finalizer_on_this_host_is_replaced_at_the_next_sweep(session: Session) -> None:
    """Like a shard's, a run step held by a process of this host that is gone is not waited out."""
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    dead_worker = f"{socket.gethostname()} pid {dead.pid}"
    run = _run(session)
    for shard in run.shards:
        shard.status = ShardStatus.LOADED
    session.commit()
    taken = take_run_step(session, run.id, "finalize", now=at(61), lease_s=30, max_attempts=3,
                          worker=dead_worker)  # fmt: skip
    assert taken == 1
    record_worker(session, "l", "load", at(65))
    sent: list[tuple[str, int]] = []
    sweep(session, at(65), POLICY, lambda t, i: sent.append((t, i)))  # lease runs to 91
    assert sent == [(FINALIZE_RUN, run.id)]
    assert take_run_step(session, run.id, "finalize", now=at(66), lease_s=30, max_attempts=3) == 2
    # the new holder is alive: its lease holds
    assert (
        take_run_step(session, run.id, "finalize", now=at(67), lease_s=30, max_attempts=3) == HELD
    )
    sent.clear()
    sweep(session, at(75), POLICY, lambda t, i: sent.append((t, i)))
    assert sent == []


def test_a_failed_enqueue_leaves_the_shard_for_the_next_pass(session: Session) -> None:
    run = _run(session)
    record_worker(session, "g", "generate", at(40))

    def broker_down(task: str, target: int) -> None:
        raise DependencyUnavailable("broker", "connection refused")

    assert sweep(session, at(41), POLICY, broker_down).enqueued == []
    sent: list[tuple[str, int]] = []
    record_worker(session, "g", "generate", at(72))
    sweep(session, at(72), POLICY, lambda t, i: sent.append((t, i)))
    assert sorted(sent) == [(GENERATE_SHARD, s.id) for s in sorted(run.shards, key=lambda s: s.id)]


def test_one_process_sweeps_per_period(session: Session) -> None:
    assert claim_sweep(session, "a", at(0), POLICY)
    assert not claim_sweep(session, "b", at(1), POLICY)
    assert not claim_sweep(session, "a", at(8), POLICY)
    assert claim_sweep(session, "b", at(9.5), POLICY)


def test_holder_gone_only_for_a_dead_process_on_this_host() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    host = socket.gethostname()
    assert holder_gone(f"{host} pid {child.pid}")
    assert not holder_gone(f"{host} pid {os.getpid()}")
    assert not holder_gone(f"another-host pid {child.pid}")
    assert not holder_gone(None)


def test_transient_errors_are_classified_once_and_retried_a_bounded_number_of_times() -> None:
    dropped = psycopg2.OperationalError("server closed the connection unexpectedly")
    translated = as_unavailable("redshift warehouse", dropped)
    assert translated is not None and translated.component == "redshift warehouse"
    assert "server closed the connection unexpectedly" in translated.message
    assert as_unavailable("x", sqlite3.OperationalError("database is locked")) is not None
    assert as_unavailable("x", ConnectionRefusedError(111, "refused")) is not None
    assert as_unavailable("x", sqlite3.OperationalError("no such table: t")) is None
    assert as_unavailable("x", ValueError("bad")) is None
    # A server stopped in the middle of a COPY: psycopg2 says so with a bare DatabaseError.
    mid_copy = psycopg2.DatabaseError("server closed the connection unexpectedly\n")
    assert as_unavailable("redshift warehouse", mid_copy) is not None
    assert as_unavailable("x", psycopg2.DatabaseError("division by zero")) is None

    calls, sleeps = [], []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise DependencyUnavailable("broker", "refused")
        return "ok"

    assert with_retries(flaky, retries=5, backoff_s=1, what="t", sleep=sleeps.append) == "ok"
    assert len(sleeps) == 2 and sleeps[1] > sleeps[0] * 0.9  # backoff grows

    calls.clear()

    def down() -> str:
        calls.append(1)
        raise DependencyUnavailable("broker", "refused")

    with pytest.raises(DependencyUnavailable, match="broker is unavailable"):
        with_retries(down, retries=3, backoff_s=0, what="t", sleep=lambda _: None)
    assert len(calls) == 4

    def wrong() -> str:
        calls.append(1)
        raise ValueError("a bug, not an outage")

    calls.clear()
    with pytest.raises(ValueError):
        with_retries(wrong, retries=3, backoff_s=0, what="t", sleep=lambda _: None)
    assert len(calls) == 1  # fails fast


def test_a_redelivered_prepare_never_prepares_twice(session: Session) -> None:
    run = _run(session, prepared=False)
    assert take_run_step(session, run.id, "prepare", now=at(0), lease_s=30, max_attempts=3) == 1
    # Delivered again while the first holder works: held; after it finished: done already.
    assert take_run_step(session, run.id, "prepare", now=at(5), lease_s=30, max_attempts=3) == HELD
    mark_prepared(session, run.id, now=at(6), lease_s=30)
    assert take_run_step(
        session, run.id, "prepare", now=at(60), lease_s=30, max_attempts=3
    ) == Skipped(Skip.ALREADY_DONE, "prepared")
