"""Celery entry point of the generator worker: `celery -A dwsim_generator.worker worker -Q generate`."""

from __future__ import annotations

from celery import Task

from dwsim_generator.shards import generate_one_shard
from dwsim_shared.celery_app import GENERATE_QUEUE, GENERATE_SHARD, make_celery
from dwsim_shared.settings import get_settings
from dwsim_shared.worker_runtime import RETRY_OPTIONS, runtime, start_sweeper

app = make_celery(get_settings(), name="dwsim-generator")
start_sweeper(app, GENERATE_QUEUE)


@app.task(name=GENERATE_SHARD, **RETRY_OPTIONS)
def generate_shard_task(self: Task, shard_id: int) -> str:
    return str(generate_one_shard(runtime(), shard_id))
