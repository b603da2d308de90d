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


EMULATOR_FOLDER = "snowflake-emulator"


def emulator_db_path(home: Path) -> Path:
    """Where `make up`'s emulator keeps its databases (one DuckDB file each)."""
    return home / EMULATOR_FOLDER / "databases"


def emulator_password(home: Path) -> str:
    """The embedded emulator's password: generated on the first start, then read from
    DWSIM_HOME/snowflake-emulator/password (0600; never logged) so the services, the endpoint's
    derived logins and the data kept under DWSIM_HOME agree across restarts."""
    folder = home / EMULATOR_FOLDER
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = folder / "password"
    try:
        kept: str | None = path.read_text().strip()
    except FileNotFoundError:
        kept = None
    if kept:
        path.chmod(0o600)
        return kept
    fresh = folder / f"password.{os.getpid()}.tmp"
    fd = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_urlsafe(24) + "\n")
    try:
        if kept is None:
            os.link(fresh, path)  # never over one another start wrote meanwhile: theirs stands
        else:  # an empty file (a write cut short) is replaced
            os.replace(fresh, path)
    except FileExistsError:
        pass
    finally:
        fresh.unlink(missing_ok=True)
    return path.read_text().strip()


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
                # it); generated once and kept, as its data is (emulator_password).
                "DWSIM_SNOWFLAKE_PASSWORD": self.env.get("DWSIM_SNOWFLAKE_PASSWORD")
                or emulator_password(home),
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
        home = Path(self.env["DWSIM_HOME"])
        # Its databases are files under DWSIM_HOME: a restart (make up again, or the supervisor
        # after a crash) serves the published experiments again. Every client of this emulator
        # (the loader, the query service and its endpoint) runs on this host: PUT copies into
        # its stage folder (--local-stage); direct clients reach it only through the endpoint,
        # which refuses PUT, GET and COPY.
        specs = [
            ("snowflake-emulator", [py, "-m", "dwsim_shared.emulator_server", "--host",
                                    "127.0.0.1", "-p", self.env["DWSIM_SNOWFLAKE_PORT"],
                                    "--db-path", str(emulator_db_path(home)), "--local-stage"]),
        ] if self.snowflake_emulator else []  # fmt: skip
        specs += [
            ("query-service", [py, "-m", "uvicorn", "dwsim_query.app:create_app", "--factory",
                               "--host", "127.0.0.1", "--port", str(self.query_port),
                               "--timeout-keep-alive", "30", "--log-level", "warning"]),
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

    def stop(self, timeout_s: float = 15, *, graceful: bool = True) -> None:
        """SIGTERM every service (and SIGKILL what still runs after `timeout_s`). Not
        `graceful`: SIGKILL at once, for a throwaway stack (a test's) whose state nobody reads
        again: an idle Celery worker takes ~1 s of CPU and 9-13 s on a loaded machine to shut
        down."""
        for process in self.processes:
            if process.popen and process.popen.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.popen.pid, signal.SIGTERM if graceful else signal.SIGKILL)
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
