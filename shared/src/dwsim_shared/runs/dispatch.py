"""Which task comes next for a run: the one rule the sweeper, retry, prepare and load follow.

An unprepared run needs its prepare step; then each unfinished shard the task that starts from
its state (PENDING or GENERATING: generate; GENERATED or LOADING: load); once every shard is
LOADED, the run's finalize step. A FAILED shard gets nothing (its run fails with it).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from dwsim_shared.celery_app import (
    FINALIZE_RUN,
    GENERATE_SHARD,
    LOAD_SHARD,
    PREPARE_RUN,
    TASK_QUEUES,
)
from dwsim_shared.state.models import ShardStatus


class Step(enum.StrEnum):
    PREPARE = "prepare"
    GENERATE = "generate"
    LOAD = "load"
    FINALIZE = "finalize"


TASKS = {
    Step.PREPARE: PREPARE_RUN,
    Step.GENERATE: GENERATE_SHARD,
    Step.LOAD: LOAD_SHARD,
    Step.FINALIZE: FINALIZE_RUN,
}
# The shard step that starts from each unfinished state.
SHARD_STEP = {
    ShardStatus.PENDING: Step.GENERATE,
    ShardStatus.GENERATING: Step.GENERATE,
    ShardStatus.GENERATED: Step.LOAD,
    ShardStatus.LOADING: Step.LOAD,
}


class RunLike(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def prepared_at(self) -> dt.datetime | None: ...


class ShardLike(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def status(self) -> str: ...


@dataclass(frozen=True)
class NextTask:
    step: Step
    target: int  # the run id for prepare and finalize, else the shard id

    @property
    def task(self) -> str:
        return TASKS[self.step]

    @property
    def queue(self) -> str:
        return TASK_QUEUES[self.task]


def next_tasks(run: RunLike, shards: Iterable[ShardLike]) -> list[NextTask]:
    """The tasks that move `run` on, given its shards (LOADED ones may be left out).

    >>> class Run: id, prepared_at = 7, dt.datetime(2026, 1, 1)
    >>> class Shard:
    ...     def __init__(self, id, status): self.id, self.status = id, status
    >>> next_tasks(Run(), [Shard(1, "PENDING"), Shard(2, "LOADING"), Shard(3, "LOADED")])
    [NextTask(step=<Step.GENERATE: 'generate'>, target=1), NextTask(step=<Step.LOAD: 'load'>, target=2)]
    >>> next_tasks(Run(), [Shard(3, "LOADED")])
    [NextTask(step=<Step.FINALIZE: 'finalize'>, target=7)]
    """
    if run.prepared_at is None:
        return [NextTask(Step.PREPARE, run.id)]
    unfinished = [s for s in shards if s.status != ShardStatus.LOADED]
    if not unfinished:
        return [NextTask(Step.FINALIZE, run.id)]
    return [
        NextTask(SHARD_STEP[ShardStatus(s.status)], s.id)
        for s in unfinished
        if s.status in SHARD_STEP
    ]
