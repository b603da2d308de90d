"""Errors the CLI reports, each with the exit code it ends the process with."""

from __future__ import annotations

from typing import Any

EXIT_OK = 0
EXIT_CLIENT_ERROR = 1
EXIT_SERVER_ERROR = 2
EXIT_RUN_NOT_COMPLETED = 3
EXIT_WAIT_TIMEOUT = 4
EXIT_INTERRUPTED = 130


class CliError(Exception):
    """Base of every error `main` turns into a message on stderr and an exit code."""

    exit_code = EXIT_CLIENT_ERROR


class LocalInputError(CliError):
    """The user's input could not be read or parsed before anything was sent."""


class ApiError(CliError):
    """The gateway answered with a 4xx or 5xx status."""

    def __init__(self, status: int, code: str, message: str, details: dict[str, Any]) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details

    @property
    def exit_code(self) -> int:  # type: ignore[override]
        return EXIT_CLIENT_ERROR if self.status < 500 else EXIT_SERVER_ERROR


class GatewayUnreachable(CliError):
    """No HTTP answer at all: connection refused, DNS failure, network timeout."""

    exit_code = EXIT_SERVER_ERROR

    def __init__(self, url: str, reason: str, *, connected: bool = False) -> None:
        prefix = "request to the gateway at" if connected else "cannot reach the gateway at"
        hint = "" if connected else " (is it running? DWSIM_URL or --url sets where it is)"
        super().__init__(f"{prefix} {url}: {reason}{hint}")
        self.url = url
        self.reason = reason


class BadAnswer(CliError):
    """The gateway answered 2xx with a body that is not JSON."""

    exit_code = EXIT_SERVER_ERROR


class RunNotCompleted(CliError):
    """A waited-for run ended FAILED or ABORTED."""

    exit_code = EXIT_RUN_NOT_COMPLETED


class WaitTimeout(CliError):
    """A waited-for run was still active when `--timeout` elapsed."""

    exit_code = EXIT_WAIT_TIMEOUT

    def __init__(self, message: str, last_run: dict[str, Any]) -> None:
        super().__init__(message)
        self.last_run = last_run
