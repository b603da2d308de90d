"""Entry point of `dw-sim`: parse, send one request (or print it as curl), show the answer."""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Mapping
from typing import Any, TextIO

import httpx

from dwsim_cli.client import GatewayClient, render_curl
from dwsim_cli.commands import Context
from dwsim_cli.errors import EXIT_INTERRUPTED, EXIT_OK, CliError
from dwsim_cli.parser import parse_args
from dwsim_cli.render import format_error


def main(
    argv: list[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    transport: httpx.BaseTransport | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
    **context: Any,
) -> int:
    """Run one `dw-sim` command and return its exit code.

    Tests pass `transport` (e.g. `httpx.MockTransport`), streams, and `Context`
    overrides such as `sleep`/`clock`/`now` through `context`.
    """
    out = out or sys.stdout
    err = err or sys.stderr
    args, options = parse_args(argv, os.environ if env is None else env)
    try:
        request = args.build(args)
        if options.print_curl:
            curl = render_curl(request, options.url, options.token)
            if request.stream and getattr(args, "output", None):
                curl += f" -o {shlex.quote(args.output)}"  # the streamed CSV into the same file
            out.write(curl + "\n")
            return EXIT_OK
        with GatewayClient(options.url, options.token, transport=transport) as client:
            ctx = Context(client=client, out=out, err=err, as_json=options.as_json, **context)
            answer = client.send_stream(request) if request.stream else client.send(request)
            return int(args.show(ctx, args, answer))
    except CliError as exc:
        out.flush()
        for line in format_error(exc):
            err.write(line + "\n")
        return exc.exit_code
    except KeyboardInterrupt:
        err.write("interrupted (a started run goes on in the background)\n")
        return EXIT_INTERRUPTED
