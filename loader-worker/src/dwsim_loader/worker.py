"""Celery entry point of the loader worker: `celery -A dwsim_loader.worker worker -Q load`."""

from __future__ import annotations

from celery import Task

from dwsim_loader.loads import finalize_run, load_one_shard, prepare_run
from dwsim_shared.celery_app import FINALIZE_RUN, LOAD_QUEUE, LOAD_SHARD, PREPARE_RUN, make_celery
from dwsim_shared.settings import get_settings
from dwsim_shared.worker_runtime import RETRY_OPTIONS, runtime, start_sweeper

app = make_celery(get_settings(), name="dwsim-loader")
start_sweeper(app, LOAD_QUEUE)


@app.task(name=PREPARE_RUN, **RETRY_OPTIONS)
def prepare_run_task(self: Task, run_id: int) -> str:
    return str(prepare_run(runtime(), run_id))


@app.task(name=LOAD_SHARD, **RETRY_OPTIONS)
def load_shard_task(self: Task, shard_id: int) -> str:
    return str(load_one_shard(runtime(), shard_id))


@app.task(name=FINALIZE_RUN, **RETRY_OPTIONS)
def finalize_run_task(self: Task, run_id: int) -> str:
    return str(finalize_run(runtime(), run_id))
