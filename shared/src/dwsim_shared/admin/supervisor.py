"""Keep a local stack running: a service that exits unexpectedly is started again, after a
backoff that grows while it keeps failing, with a log line each time (`dw-sim-admin up`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from dwsim_shared.devstack import Process, Stack

# A process that ran this long before exiting starts again at the shortest backoff.
STABLE_S = 60.0


@dataclass
class _Watch:
    started: float
    failures: int = 0
    due: float | None = None


@dataclass
class Supervisor:
    stack: Stack
    log: Callable[[str], None] = print
    clock: Callable[[], float] = time.monotonic
    first_backoff_s: float = 1.0
    max_backoff_s: float = 30.0
    _watch: dict[str, _Watch] = field(default_factory=dict)

    def backoff(self, failures: int) -> float:
        """1, 2, 4, … seconds, capped: a service that crashes at start does not spin."""
        return min(self.max_backoff_s, self.first_backoff_s * 2 ** max(0, failures - 1))

    def check(self) -> None:
        """One look at every process: schedule a restart for each that exited, do the due ones."""
        now = self.clock()
        for process in self.stack.processes:
            watch = self._watch.setdefault(process.name, _Watch(started=now))
            if process.popen is None or process.popen.poll() is None:
                continue
            if watch.due is None:
                if now - watch.started >= STABLE_S:
                    watch.failures = 0
                watch.failures += 1
                delay = self.backoff(watch.failures)
                watch.due = now + delay
                self.log(
                    f"{process.name} exited with code {process.popen.returncode}; restarting in "
                    f"{delay:g} s (restart {watch.failures}); last lines:\n{process.tail(5)}"
                )
            if now >= watch.due:
                self._restart(process, watch, now)

    def _restart(self, process: Process, watch: _Watch, now: float) -> None:
        self.stack.restart(process)
        watch.started, watch.due = now, None
        self.log(f"{process.name} restarted (pid {process.popen.pid if process.popen else '?'})")
