"""What both Celery workers share: one `Runtime` per worker process, and the retry policy.

The runtime is built on first use inside the process that runs tasks, and dropped when a
pool process forks, so no database connection crosses a fork.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

from celery import Task
from celery.signals import worker_process_init, worker_process_shutdown

from dwsim_shared.errors import DependencyUnavailable
from dwsim_shared.runs import fail_run
from dwsim_shared.runtime import Runtime
from dwsim_shared.settings import get_settings
from dwsim_shared.state.models import RunShardRow, ShardStatus

log = logging.getLogger(__name__)

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


def record_failure(
    rt: Runtime, run_id: int, what: str, error: BaseException, shard_id: int | None = None
) -> None:
    """Write the error on the shard (if any) and fail its run, so a poll shows what went wrong.

    Never raises: the state DB may be what failed, and the task's own error is raised anyway.
    """
    message = f"{what}: {type(error).__name__}: {error}"
    try:
        with rt.session() as session:
            if shard_id is not None:
                shard = session.get(RunShardRow, shard_id)
                if shard is not None:
                    shard.status = ShardStatus.FAILED
                    shard.last_error = message
            fail_run(session, run_id, message, traceback.format_exc())
            session.commit()
    except Exception:
        log.exception("could not record the failure of run %s", run_id)


@worker_process_init.connect
def _fresh_runtime(**_: object) -> None:
    global _runtime
    _runtime = None


@worker_process_shutdown.connect
def _close_runtime(**_: object) -> None:
    if _runtime is not None:
        _runtime.close()
