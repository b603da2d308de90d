"""Run every service as a local process: `make up`, `make demo` and the end-to-end tests.

The same `Stack` starts the embedded defaults (nothing but Python) or, with
`DWSIM_*` variables, the distributed path against Redis, PostgreSQL and S3.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Process:
    name: str
    argv: list[str]
    log_path: Path
    popen: subprocess.Popen[bytes] | None = None

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


@dataclass
class Stack:
    """Gateway, query service, generator and loader workers as child processes."""

    env: dict[str, str] = field(default_factory=dict)
    gateway_port: int = 0
    query_port: int = 0
    # The query service's Redshift endpoint (when DWSIM_REDSHIFT_URL is set); 0: a free port,
    # so stacks side by side (tests) never contend for 5439.
    redshift_endpoint_port: int = 0
    # The project's Snowflake emulator as a process of the stack (`make up`'s embedded
    # default): its address and a generated login go to every service through DWSIM_SNOWFLAKE_*.
    snowflake_emulator: bool = False
    # The query service's Snowflake endpoint (when the emulator is configured); 0: a free port.
    snowflake_endpoint_port: int = 0
    generator_workers: int = 1
    generator_concurrency: int = 1
    loader_workers: int = 1
    loader_concurrency: int = 1
    log_dir: Path | None = None
    processes: list[Process] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.gateway_port = self.gateway_port or free_port()
        self.query_port = self.query_port or free_port()
        home = Path(
            self.env.get("DWSIM_HOME") or os.environ.get("DWSIM_HOME") or ".dwsim"
        ).resolve()
        self.env["DWSIM_HOME"] = str(home)
        self.env.setdefault("DWSIM_QUERY_SERVICE_URL", f"http://127.0.0.1:{self.query_port}")
        self.redshift_endpoint_port = int(
            self.env.setdefault(
                "DWSIM_REDSHIFT_ENDPOINT_PORT",
                os.environ.get("DWSIM_REDSHIFT_ENDPOINT_PORT")
                or str(self.redshift_endpoint_port or free_port()),
            )
        )
        self.snowflake_endpoint_port = int(
            self.env.setdefault(
                "DWSIM_SNOWFLAKE_ENDPOINT_PORT",
                os.environ.get("DWSIM_SNOWFLAKE_ENDPOINT_PORT")
                or str(self.snowflake_endpoint_port or free_port()),
            )
        )
        if self.snowflake_emulator:
            self.env.update({
                "DWSIM_SNOWFLAKE_HOST": "127.0.0.1",
                "DWSIM_SNOWFLAKE_PORT": self.env.get("DWSIM_SNOWFLAKE_PORT") or str(free_port()),
                "DWSIM_SNOWFLAKE_PROTOCOL": "http",
                "DWSIM_SNOWFLAKE_USER": self.env.get("DWSIM_SNOWFLAKE_USER") or "dwsim",
                # The emulator takes only this login (and the readers and writers derived from
                # it); a new one each start, as its data is in memory only.
                "DWSIM_SNOWFLAKE_PASSWORD": self.env.get("DWSIM_SNOWFLAKE_PASSWORD")
                or secrets.token_urlsafe(24),
            })  # fmt: skip
        self.log_dir = self.log_dir or home / "logs"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    def child_env(self) -> dict[str, str]:
        env = {**os.environ, **self.env}
        env.setdefault("PYTHONUNBUFFERED", "1")
        return env

    def _specs(self) -> list[tuple[str, list[str]]]:
        py = sys.executable
        specs = [
            ("snowflake-emulator", [py, "-m", "dwsim_shared.emulator_server", "--host",
                                    "127.0.0.1", "-p", self.env["DWSIM_SNOWFLAKE_PORT"]]),
        ] if self.snowflake_emulator else []  # fmt: skip
        specs += [
            ("query-service", [py, "-m", "uvicorn", "dwsim_query.app:create_app", "--factory",
                               "--host", "127.0.0.1", "--port", str(self.query_port),
                               "--log-level", "warning"]),
            ("api-gateway", [py, "-m", "uvicorn", "dwsim_gateway.main:create_app", "--factory",
                             "--host", "127.0.0.1", "--port", str(self.gateway_port),
                             "--log-level", "warning"]),
        ]  # fmt: skip
        for kind, queue, count, concurrency in (
            ("generator", "generate", self.generator_workers, self.generator_concurrency),
            ("loader", "load", self.loader_workers, self.loader_concurrency),
        ):
            for i in range(count):
                specs.append((
                    f"{kind}-worker-{i + 1}",
                    [py, "-m", "celery", "-A", f"dwsim_{kind}.worker", "worker", "-Q", queue,
                     "--concurrency", str(concurrency), "-n", f"{kind}{i + 1}-{os.getpid()}@%h",
                     "--loglevel", "INFO", "--without-mingle", "--without-gossip"],
                ))  # fmt: skip
        return specs

    def migrate(self) -> None:
        """Apply the state migrations once, before any service starts."""
        result = subprocess.run(
            [sys.executable, "-m", "dwsim_shared.admin.main", "migrate"],
            env=self.child_env(), capture_output=True, text=True, check=False,
        )  # fmt: skip
        if result.returncode != 0:
            raise RuntimeError(f"migration failed:\n{result.stdout}\n{result.stderr}")

    def start(self, timeout_s: float = 90) -> Stack:
        assert self.log_dir is not None
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.migrate()
        for name, argv in self._specs():
            self.processes.append(self._spawn(Process(name, argv, self.log_dir / f"{name}.log")))
        try:
            self.wait_healthy(timeout_s)
        except BaseException:
            self.stop()
            raise
        return self

    def _spawn(self, process: Process) -> Process:
        with open(process.log_path, "ab") as log:
            process.popen = subprocess.Popen(
                process.argv, env=self.child_env(), stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        return process

    def restart(self, process: Process) -> None:
        """Start an exited process again with the same command line and log."""
        self._spawn(process)

    def add_worker(self, kind: str) -> Process:
        """One more `generator` or `loader` worker process (it joins the running stack)."""
        assert self.log_dir is not None
        queue = {"generator": "generate", "loader": "load"}[kind]
        count = sum(p.name.startswith(f"{kind}-worker-") for p in self.processes) + 1
        name = f"{kind}-worker-{count}"
        argv = [sys.executable, "-m", "celery", "-A", f"dwsim_{kind}.worker", "worker", "-Q",
                queue, "--concurrency", "1", "-n", f"{kind}{count}-{os.getpid()}@%h",
                "--loglevel", "INFO", "--without-mingle", "--without-gossip"]  # fmt: skip
        process = self._spawn(Process(name, argv, self.log_dir / f"{name}.log"))
        self.processes.append(process)
        return process

    def process(self, name: str) -> Process:
        return next(p for p in self.processes if p.name == name)

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Signal a service and every process it started (a worker and its pool children)."""
        popen = self.process(name).popen
        assert popen is not None
        os.killpg(popen.pid, sig)
        popen.wait(30)

    def wait_healthy(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        last = "no answer"
        while time.monotonic() < deadline:
            for process in self.processes:
                assert process.popen is not None
                if process.popen.poll() is not None:
                    raise RuntimeError(
                        f"{process.name} exited with {process.popen.returncode}:\n{process.tail()}"
                    )
            try:
                answer = httpx.get(f"{self.url}/health", timeout=5)
                if answer.status_code == 200:
                    return
                last = answer.text
            except httpx.HTTPError as error:
                last = str(error)
            time.sleep(0.3)
        raise RuntimeError(f"the gateway did not become healthy in {timeout_s:g} s: {last}")

    def stop(self, timeout_s: float = 15) -> None:
        for process in self.processes:
            if process.popen and process.popen.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.popen.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        for process in self.processes:
            if process.popen is None:
                continue
            try:
                process.popen.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.popen.pid, signal.SIGKILL)
                process.popen.wait()
        self.processes.clear()

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()
