"""Embedded stacks for tests and benchmarks that need one of their own, and a moved clock."""

from __future__ import annotations

import contextlib
import glob
import os
from collections.abc import Iterator
from pathlib import Path

from dwsim_shared.devstack import Stack

FAKETIME_LIBS = "/usr/lib/*/faketime/libfaketime.so.1"


class NoFakeTime(RuntimeError):
    """libfaketime (Debian's `faketime` package) is not installed."""


def faked_clock(offset: str = "+1y") -> dict[str, str]:
    """Environment that runs a Python process (and its children) with its clock moved by
    `offset`. Monotonic clocks stay real (with them faked, a thread's timed wait never ends),
    and `faketime_site/sitecustomize.py` works around libfaketime's monotonic sleep."""
    libs = sorted(glob.glob(FAKETIME_LIBS))
    if not libs:
        raise NoFakeTime("libfaketime is not installed (apt-get install faketime)")
    path = [str(Path(__file__).with_name("faketime_site")), os.environ.get("PYTHONPATH", "")]
    return {"LD_PRELOAD": libs[0], "FAKETIME": offset, "FAKETIME_DONT_FAKE_MONOTONIC": "1",
            "PYTHONPATH": os.pathsep.join(p for p in path if p)}  # fmt: skip


@contextlib.contextmanager
def embedded_stack(home: Path, extra: dict[str, str] | None = None) -> Iterator[Stack]:
    """A whole embedded stack (SQLite state and warehouse, file broker) under `home`."""
    stack = Stack(env={"DWSIM_HOME": str(home), **(extra or {})})
    stack.start(timeout_s=180)
    try:
        yield stack
    finally:
        stack.stop()
