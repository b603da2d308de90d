"""The Celery entry points register the task names the gateway and the sweeper enqueue."""

from __future__ import annotations

from dwsim_shared.celery_app import FINALIZE_RUN, GENERATE_SHARD, LOAD_SHARD, PREPARE_RUN


def test_generator_registers_its_task_acked_late() -> None:
    from dwsim_generator.worker import app

    task = app.tasks[GENERATE_SHARD]
    # Outages are retried inside the task (bounded, see transient.with_retries), never by
    # re-publishing through a broker that may be the thing that is down.
    assert not getattr(task, "autoretry_for", ())
    assert app.conf.task_acks_late


def test_loader_registers_prepare_load_and_finalize() -> None:
    from dwsim_loader.worker import app

    assert {PREPARE_RUN, LOAD_SHARD, FINALIZE_RUN} <= set(app.tasks)
