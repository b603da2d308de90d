"""The Celery app every service shares: queues, task names, reliability settings.

Tasks are addressed by name, so the gateway enqueues work without importing
worker code. Payloads are ids (JSON), never objects.
"""

from __future__ import annotations

from typing import Any

from celery import Celery
from kombu import Exchange, Queue

from dwsim_shared.errors import DependencyUnavailable, error_text
from dwsim_shared.settings import Settings

GENERATE_QUEUE = "generate"
LOAD_QUEUE = "load"

PREPARE_RUN = "dwsim.prepare_run"
GENERATE_SHARD = "dwsim.generate_shard"
LOAD_SHARD = "dwsim.load_shard"
FINALIZE_RUN = "dwsim.finalize_run"

TASK_QUEUES = {
    PREPARE_RUN: LOAD_QUEUE,
    GENERATE_SHARD: GENERATE_QUEUE,
    LOAD_SHARD: LOAD_QUEUE,
    FINALIZE_RUN: LOAD_QUEUE,
}


def make_celery(settings: Settings, name: str = "dwsim") -> Celery:
    """A Celery app wired to `DWSIM_BROKER_URL` (a file-system broker under `DWSIM_HOME` by default)."""
    app = Celery(name)
    transport_options: dict[str, Any] = {}
    if settings.uses_filesystem_broker:
        folder = settings.broker_folder
        for sub in ("queue", "processed", "control"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        transport_options = {
            "data_folder_in": str(folder / "queue"),
            "data_folder_out": str(folder / "queue"),
            "processed_folder": str(folder / "processed"),
            "control_folder": str(folder / "control"),
            "store_processed": False,
            "polling_interval": 0.1,
        }
    else:
        transport_options = {
            "socket_connect_timeout": settings.dependency_timeout_s,
            "socket_timeout": max(settings.dependency_timeout_s, 30),
            "max_retries": 1,
            # A task taken by a worker that died comes back after this long (Redis default: 1 h).
            "visibility_timeout": 1800,
        }
    if settings.uses_filesystem_broker:
        # kombu's file transport with messages written whole before they can be taken.
        app.conf.broker_transport = "dwsim_shared.file_broker:Transport"
    app.conf.update(
        broker_url=settings.resolved_broker_url,
        broker_transport_options=transport_options,
        broker_connection_retry_on_startup=True,
        task_serializer="json",
        accept_content=["json"],
        result_serializer="json",
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        task_queues=[Queue(q, Exchange(q), routing_key=q) for q in (GENERATE_QUEUE, LOAD_QUEUE)],
        task_default_queue=GENERATE_QUEUE,
        task_routes={task: {"queue": queue} for task, queue in TASK_QUEUES.items()},
        worker_send_task_events=False,
        worker_enable_remote_control=not settings.uses_filesystem_broker,
    )
    return app


def enqueue(app: Celery, task_name: str, *args: Any) -> None:
    """Publish one task, failing fast with `DependencyUnavailable` when the broker is down."""
    try:
        app.send_task(
            task_name,
            args=list(args),
            queue=TASK_QUEUES[task_name],
            retry=False,
        )
    except Exception as error:  # kombu/redis raise many types; all mean "broker unusable"
        raise DependencyUnavailable("broker", error_text(error, "unusable")) from error


def check_broker(app: Celery, timeout_s: float) -> None:
    """Raise `DependencyUnavailable` unless the broker accepts a connection."""
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=timeout_s)
    except Exception as error:
        raise DependencyUnavailable("broker", error_text(error, "unusable")) from error
