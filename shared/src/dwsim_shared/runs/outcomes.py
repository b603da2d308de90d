"""What a step did, typed: `Done`, `Skipped(reason)` or `Failed`. A Celery task returns
`str(outcome)`, so the task result reads as a sentence ("loaded, run finalized")."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from dwsim_shared.runs.dispatch import Step


class Skip(enum.Enum):
    """Why a step did nothing."""

    GONE = "gone"  # the shard or run no longer exists
    RUN_ENDED = "run ended"  # the run is no longer active (detail: its status)
    PAST_STAGE = "past stage"  # the shard is beyond this step (detail: its status)
    ALREADY_DONE = "already done"  # detail: what was done ("generated", "loaded", "prepared")
    HELD = "held by another worker"
    NOT_READY = "not ready"  # finalize: shards still to load
    ATTEMPTS_EXHAUSTED = "failed: attempts exhausted"  # taken too often: the run failed
    SUPERSEDED = "superseded by a later attempt"  # the lease was lost while working


@dataclass(frozen=True)
class Skipped:
    reason: Skip
    detail: str = ""
    then: Outcome | None = None  # a step the task ran instead (a loaded shard's finalize)

    def __str__(self) -> str:
        if self.reason is Skip.RUN_ENDED:
            text = f"run {self.detail.lower()}"
        elif self.reason is Skip.PAST_STAGE:
            text = f"shard is {self.detail.lower()}"
        elif self.reason is Skip.ALREADY_DONE:
            text = f"already {self.detail}"
        else:
            text = self.reason.value
        return text + _finalized(self.then)


@dataclass(frozen=True)
class Done:
    step: Step
    enqueued: int | None = None  # successor tasks sent (None: this step sends none itself)
    then: Outcome | None = None  # the step that followed in the same task

    def __str__(self) -> str:
        if self.step is Step.PREPARE:
            return f"prepared, {self.enqueued} shards enqueued"
        if self.step is Step.GENERATE and self.enqueued == 0:
            return "generated; its load is left to the sweeper"
        return {Step.GENERATE: "generated", Step.LOAD: "loaded", Step.FINALIZE: "finalized"}[
            self.step
        ] + _finalized(self.then)


@dataclass(frozen=True)
class Failed:
    """The step ran and failed the run for a reason the run records (not an exception)."""

    why: str

    def __str__(self) -> str:
        return f"failed: {self.why}"


Outcome = Done | Skipped | Failed


def _finalized(then: Outcome | None) -> str:
    return ", run finalized" if then == Done(Step.FINALIZE) else ""
