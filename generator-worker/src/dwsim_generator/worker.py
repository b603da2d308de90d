"""Celery entry point of the generator worker: `celery -A dwsim_generator.worker worker -Q generate`."""

from __future__ import annotations

from celery import Task
from celery.signals import worker_process_init, worker_process_shutdown

from dwsim_generator.shards import generate_one_shard
from dwsim_shared.celery_app import GENERATE_SHARD, make_celery
from dwsim_shared.errors import DependencyUnavailable
from dwsim_shared.runtime import Runtime
from dwsim_shared.settings import get_settings

app = make_celery(get_settings(), name="dwsim-generator")
_runtime: Runtime | None = None


def runtime() -> Runtime:
    global _runtime
    if _runtime is None:
        _runtime = Runtime(get_settings())
    return _runtime


@worker_process_init.connect
def _fresh_runtime(**_: object) -> None:
    # Forked pool processes must not share the parent's database connections.
    global _runtime
    _runtime = None


@worker_process_shutdown.connect
def _close_runtime(**_: object) -> None:
    if _runtime is not None:
        _runtime.close()


@app.task(
    bind=True,
    name=GENERATE_SHARD,
    autoretry_for=(DependencyUnavailable,),
    retry_backoff=2,
    retry_jitter=True,
    max_retries=5,
)
def generate_shard_task(self: Task, shard_id: int) -> str:
    will_retry = self.request.retries < (self.max_retries or 0)
    return generate_one_shard(runtime(), shard_id, will_retry=will_retry)
