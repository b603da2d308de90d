"""`python -m dwsim_cli` as a subprocess, over real HTTP to a tiny stdlib server."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

SEEN: list[dict[str, object]] = []


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        SEEN.append({"path": self.path, "auth": self.headers.get("Authorization")})
        if self.path == "/api/experiments":
            self._answer(200, {"experiments": [{"name": "shop", "tables": [], "last_run": None}]})
        else:
            self._answer(404, {"error": "not_found", "message": "no experiment 'x'", "details": {}})

    def _answer(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    SEEN.clear()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _cli(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dwsim_cli", *argv],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", **(env or {})},
    )


def test_module_entry_point_talks_http(server_url: str) -> None:
    done = _cli(
        "experiment", "list", "--json", env={"DWSIM_URL": server_url, "DWSIM_API_TOKEN": "tk"}
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["experiments"][0]["name"] == "shop"
    assert SEEN == [{"path": "/api/experiments", "auth": "Bearer tk"}]


def test_module_entry_point_reports_api_errors(server_url: str) -> None:
    done = _cli("--url", server_url, "experiment", "show", "x")
    assert done.returncode == 1
    assert done.stderr == "error: no experiment 'x'\n"
    assert done.stdout == ""


def test_connection_refused_exits_2_with_a_clear_message() -> None:
    with socket.socket() as sock:  # a port nobody listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    done = _cli("--url", url, "runs", "list", "shop")
    assert done.returncode == 2
    assert done.stderr.startswith(f"error: cannot reach the gateway at {url}: ")
