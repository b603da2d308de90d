"""The Celery entry points register the task names the gateway enqueues, with retries."""

from __future__ import annotations

from dwsim_shared.celery_app import GENERATE_SHARD, LOAD_SHARD, PREPARE_RUN
from dwsim_shared.errors import DependencyUnavailable


def test_generator_registers_its_task_with_retries() -> None:
    from dwsim_generator.worker import app

    task = app.tasks[GENERATE_SHARD]
    assert DependencyUnavailable in task.autoretry_for
    assert task.max_retries == 5
    assert app.conf.task_acks_late


def test_loader_registers_prepare_and_load() -> None:
    from dwsim_loader.worker import app

    assert {PREPARE_RUN, LOAD_SHARD} <= set(app.tasks)
    assert app.tasks[LOAD_SHARD].max_retries == 5
