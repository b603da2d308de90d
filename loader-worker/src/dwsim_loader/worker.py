"""Celery entry point of the loader worker: `celery -A dwsim_loader.worker worker -Q load`."""

from __future__ import annotations

from celery import Task
from celery.signals import worker_process_init, worker_process_shutdown

from dwsim_loader.loads import load_one_shard, prepare_run
from dwsim_shared.celery_app import LOAD_SHARD, PREPARE_RUN, make_celery
from dwsim_shared.errors import DependencyUnavailable
from dwsim_shared.runtime import Runtime
from dwsim_shared.settings import get_settings

app = make_celery(get_settings(), name="dwsim-loader")
_runtime: Runtime | None = None


def runtime() -> Runtime:
    global _runtime
    if _runtime is None:
        _runtime = Runtime(get_settings())
    return _runtime


@worker_process_init.connect
def _fresh_runtime(**_: object) -> None:
    global _runtime
    _runtime = None


@worker_process_shutdown.connect
def _close_runtime(**_: object) -> None:
    if _runtime is not None:
        _runtime.close()


_RETRY = {
    "autoretry_for": (DependencyUnavailable,),
    "retry_backoff": 2,
    "retry_jitter": True,
    "max_retries": 5,
}


def _will_retry(task: Task) -> bool:
    return task.request.retries < (task.max_retries or 0)


@app.task(bind=True, name=PREPARE_RUN, **_RETRY)
def prepare_run_task(self: Task, run_id: int) -> str:
    return prepare_run(runtime(), run_id, will_retry=_will_retry(self))


@app.task(bind=True, name=LOAD_SHARD, **_RETRY)
def load_shard_task(self: Task, shard_id: int) -> str:
    return load_one_shard(runtime(), shard_id, will_retry=_will_retry(self))
