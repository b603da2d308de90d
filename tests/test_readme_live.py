"""The README's "Running it" block, run verbatim by bash against a live stack.

Every line runs as written, in order, under `set -e`, in a folder that holds the repository's
`docs/` (the commands' relative paths) and `.venv/bin/dw-sim`. Two things differ from a user's
shell, and only through the environment, never by editing a command:
- `make up` cannot run inside a test (it starts the services and waits for Ctrl-C): that one
  line is replaced by the session's live stack (tests/conftest.py), which is already up;
- the stack listens on a free port, not :8000: `.venv/bin/dw-sim` is a two-line shim that runs
  the real CLI with `DWSIM_URL` set to the stack's URL (the block's own `export DWSIM_URL=...`
  runs as written; the shim's value wins).
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import BACKENDS, LiveStack

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[1]
MAKE_UP = "make up"


def readme_block() -> str:
    return (ROOT / "README.md").read_text().split("## Running it", 1)[1].split("```")[1]


# One back end is enough (the block is the CLI's; the engines are covered elsewhere): the
# session's first, with its id in the node id so xdist runs it beside that stack's other tests.
@pytest.mark.parametrize("live", BACKENDS[:1], indirect=True)
def test_running_it_block_runs_verbatim(live: LiveStack, tmp_path: Path) -> None:
    lines = readme_block().splitlines()[1:]  # after the fence's "sh"
    assert lines[0].startswith(MAKE_UP + " "), lines[0]
    script = "\n".join([": the live stack stands in for make up", *lines[1:]])

    (tmp_path / "docs").symlink_to(ROOT / "docs")
    shim = tmp_path / ".venv" / "bin" / "dw-sim"
    shim.parent.mkdir(parents=True)
    real = Path(sys.executable).parent / "dw-sim"
    shim.write_text(f'#!/bin/sh\nDWSIM_URL="$DWSIM_TEST_STACK_URL" exec {real} "$@"\n')
    shim.chmod(0o755)
    env = {**os.environ, "DWSIM_TEST_STACK_URL": live.url}
    env.pop("DWSIM_URL", None)

    started = time.monotonic()
    done = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", script],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    took = time.monotonic() - started
    assert done.returncode == 0, (
        f"exit {done.returncode} after {took:.0f} s\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    )
    out = done.stdout

    # What the block promises, seen in its output and files.
    assert "Traceback" not in out + done.stderr
    document = (tmp_path / "dw.json").read_text()
    assert '"name": "dw"' in document
    with (tmp_path / "tiers.csv").open() as tiers:
        header, *rows = list(csv.reader(tiers))
    assert header[0].lower() == "tier" and rows
    with (tmp_path / "orders.csv").open() as orders:
        assert sum(1 for _ in orders) == 500_000 + 1  # the whole result, streamed
    client = live.client
    runs = client.get("/api/experiments/dw/runs").json()["runs"]
    by_number = {r["run_id"]: r for r in runs}
    assert by_number[1]["seed"] == "42" and by_number[1]["status"].startswith("COMPLETED")
    assert by_number[2]["seed"] == "7" and by_number[2]["status"] == "ABORTED"
    assert by_number[3]["kind"] == "load" and by_number[3]["status"].startswith("COMPLETED")
    tables = client.get("/api/experiments/dw/tables").json()["tables"]
    assert {t["name"]: t["row_count"] for t in tables}["customers"] == 100_000
    assert {e["name"] for e in client.get("/api/experiments").json()["experiments"]} >= {
        "shop", "dw", "events"
    }  # fmt: skip
