"""What both Celery workers share: one `Runtime` per worker process, and the retry policy.

The runtime is built on first use inside the process that runs tasks, and dropped when a
pool process forks, so no database connection crosses a fork.
"""

from __future__ import annotations

from typing import Any

from celery import Task
from celery.signals import worker_process_init, worker_process_shutdown

from dwsim_shared.errors import DependencyUnavailable
from dwsim_shared.runtime import Runtime
from dwsim_shared.settings import get_settings

# Only an unavailable dependency is worth retrying; any other error fails the run at once.
RETRY_OPTIONS: dict[str, Any] = {
    "bind": True,
    "autoretry_for": (DependencyUnavailable,),
    "retry_backoff": 2,
    "retry_jitter": True,
    "max_retries": 5,
}

_runtime: Runtime | None = None


def runtime() -> Runtime:
    global _runtime
    if _runtime is None:
        _runtime = Runtime(get_settings())
    return _runtime


def will_retry(task: Task) -> bool:
    """Whether Celery will run this task again if it raises an autoretry error now."""
    return task.request.retries < (task.max_retries or 0)


@worker_process_init.connect
def _fresh_runtime(**_: object) -> None:
    global _runtime
    _runtime = None


@worker_process_shutdown.connect
def _close_runtime(**_: object) -> None:
    if _runtime is not None:
        _runtime.close()
