"""Helpers shared by the benchmark families: isolated workloads, peak RSS, BENCH lines."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Options:
    """What the command line lets a user change; `None` means the benchmark's own default."""

    rows: int | None = None
    baseline_rows: int | None = None
    repeats: int = 7


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def run_isolated(target: str, **params: Any) -> dict[str, Any]:
    """Run `benchmarks.<module>:<function>(**params)` in a fresh interpreter and return its result.

    A fresh process per workload keeps each peak RSS its own: the baseline's
    memory never counts against the project's, nor the other way round.
    """
    with tempfile.TemporaryDirectory(prefix="dwsim-bench-") as tmp:
        out = Path(tmp) / "result.json"
        command = [sys.executable, "-m", "benchmarks._worker", target, json.dumps(params), str(out)]
        subprocess.run(command, cwd=REPO_ROOT, check=True)
        return json.loads(out.read_text())


def rate(rows: int, seconds: float) -> int:
    return round(rows / seconds) if seconds > 0 else 0


def say(message: str) -> None:
    """A human-readable progress line (BENCH lines come last)."""
    print(message, flush=True)


def bench_line(record: dict[str, Any]) -> str:
    return "BENCH " + json.dumps(record)
