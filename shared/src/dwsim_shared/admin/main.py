"""`dw-sim-admin`: operator commands (migrate, up, demo). Users drive the system with `dw-sim`."""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import subprocess
import sys
import time
from pathlib import Path

from dwsim_shared.settings import get_settings


def cmd_migrate(_: argparse.Namespace) -> int:
    from dwsim_shared.state.db import make_engine, migrate

    settings = get_settings()
    engine = make_engine(settings.resolved_state_url, settings.dependency_timeout_s)
    migrate(engine)
    engine.dispose()
    print(f"state database is up to date: {engine.url.render_as_string(hide_password=True)}")
    return 0


def cmd_up(args: argparse.Namespace) -> int:
    with contextlib.ExitStack() as resources:
        env: dict[str, str] = {}
        settings = get_settings()
        if not settings.redshift_url and args.redshift_mock == "embedded":
            from dwsim_shared.local_postgres import embedded_redshift_mock

            try:
                env["DWSIM_REDSHIFT_URL"] = resources.enter_context(
                    embedded_redshift_mock(settings.home)
                )
            except (OSError, RuntimeError, subprocess.SubprocessError) as error:
                print(f"no Redshift mock: {error}", file=sys.stderr)
        return _run_stack(args, env)


def _run_stack(args: argparse.Namespace, env: dict[str, str]) -> int:
    from dwsim_shared.admin.supervisor import Supervisor
    from dwsim_shared.devstack import Stack, emulator_db_path

    settings = get_settings()
    stack = Stack(
        env=dict(env),
        gateway_port=settings.gateway_port,
        query_port=settings.query_service_port,
        redshift_endpoint_port=settings.redshift_endpoint_port,
        snowflake_emulator=args.snowflake_emulator == "embedded"
        and not (settings.snowflake_host or settings.snowflake_account),
        snowflake_endpoint_port=settings.snowflake_endpoint_port,
        generator_workers=args.generators,
        generator_concurrency=args.concurrency,
        loader_workers=args.loaders,
    )
    stack.start()
    print(f"DW Simulator is up: {stack.url}  (API docs {stack.url}/docs, web UI {stack.url}/ui/)")
    if redshift_url := settings.redshift_url or env.get("DWSIM_REDSHIFT_URL"):
        if "DWSIM_REDSHIFT_URL" in env:
            print(f"Redshift mock: the embedded PostgreSQL at {redshift_url}")
        print(
            f"Redshift endpoint (psql, drivers, dbt): 127.0.0.1:{stack.redshift_endpoint_port}; "
            "dw-sim experiment connect NAME shows how"
        )
    if stack.snowflake_emulator:
        print(
            f"Snowflake emulator: 127.0.0.1:{stack.env['DWSIM_SNOWFLAKE_PORT']} (data in "
            f"{emulator_db_path(Path(stack.env['DWSIM_HOME']))}); "
            f"Snowflake endpoint (connector, dbt): 127.0.0.1:{stack.snowflake_endpoint_port}"
        )
    print(f"logs in {stack.log_dir}; Ctrl-C stops everything")
    stopping = False

    def _stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    # A service that exits is started again (with backoff); only Ctrl-C / SIGTERM stop all.
    supervisor = Supervisor(stack, log=lambda line: print(line, file=sys.stderr, flush=True))
    try:
        while not stopping:
            supervisor.check()
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    print("stopping...")
    stack.stop()
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from dwsim_shared.admin.demo import run_demo

    return run_demo(rows=args.rows)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(prog="dw-sim-admin", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply state database migrations (safe to run concurrently)")
    up = sub.add_parser("up", help="run every service locally until Ctrl-C")
    # Two single-process workers rather than one with two pool children: a pool child killed
    # while idle is only recovered from in a one-process pool (worker_runtime).
    up.add_argument("--generators", type=int, default=2, help="generator worker processes")
    up.add_argument("--concurrency", type=int, default=1, help="tasks per generator worker")
    up.add_argument("--loaders", type=int, default=1, help="loader worker processes")
    up.add_argument(
        "--redshift-mock",
        choices=("embedded", "none"),
        default="embedded",
        help="without DWSIM_REDSHIFT_URL: run the Redshift mock on an embedded PostgreSQL "
        "(data in DWSIM_HOME/redshift-mock), or none",
    )
    up.add_argument(
        "--snowflake-emulator",
        choices=("embedded", "none"),
        default="embedded",
        help="without DWSIM_SNOWFLAKE_HOST or _ACCOUNT: run the project's Snowflake emulator "
        "(data in DWSIM_HOME/snowflake-emulator) and its endpoint, or none",
    )
    demo = sub.add_parser("demo", help="start everything, run the scripted scenario, stop")
    demo.add_argument("--rows", type=int, default=1_000_000, help="total rows to generate")
    args = parser.parse_args(argv)
    handlers = {"migrate": cmd_migrate, "up": cmd_up, "demo": cmd_demo}
    return handlers[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
