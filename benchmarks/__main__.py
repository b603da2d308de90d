"""`python -m benchmarks [FAMILY ...] [--rows N]`: run benchmarks, print their BENCH lines."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Callable
from typing import Any

from benchmarks import api_poll, bundle, e2e, endpoint, generate, load, report, translate
from benchmarks.measure import Options, Skipped, bench_line

# Every benchmark by name; a family is a name prefix (`generate` -> `generate.*`).
REGISTRY: dict[str, Callable[[Options], list[dict[str, Any]]]] = {
    **generate.BENCHMARKS,
    **load.BENCHMARKS,
    **e2e.BENCHMARKS,
    **report.BENCHMARKS,
    **api_poll.BENCHMARKS,
    **translate.BENCHMARKS,
    **endpoint.BENCHMARKS,
    **bundle.BENCHMARKS,
}


def _positive(text: str) -> int:
    value = int(text.replace("_", ""))
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Measure the project against its baseline; each figure ends as a BENCH line.",
        epilog="benchmarks: " + ", ".join(REGISTRY),
    )
    parser.add_argument(
        "families", nargs="*", metavar="FAMILY", help="name prefix, e.g. generate (default: all)"
    )
    parser.add_argument(
        "--rows",
        type=_positive,
        help="rows the project generates (scales up; e2e: customers, 10x rows in all)",
    )
    parser.add_argument("--baseline-rows", type=_positive, help="rows the baseline generates")
    parser.add_argument(
        "--repeats",
        type=_positive,
        help="runs whose median is taken (default: 7 for generate.fk_child_independence, 3 for load)",
    )
    return parser


def select(families: list[str]) -> list[str]:
    """Benchmark names matching any of the prefixes, in registry order (all when none given)."""
    return [name for name in REGISTRY if not families or any(map(name.startswith, families))]


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    unknown = [family for family in args.families if not select([family])]
    if unknown:
        parser.error(f"unknown benchmark family {unknown[0]!r}; known: {', '.join(REGISTRY)}")
    options = Options(rows=args.rows, baseline_rows=args.baseline_rows, repeats=args.repeats)
    # SIGTERM unwinds like Ctrl-C: services stop and scratch databases are dropped on the way out.
    signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))
    for name in select(args.families):
        try:
            records = REGISTRY[name](options)
        except Skipped as why:  # no server here: the other figures still run
            print(f"BENCH-SKIPPED {name}: {why}", flush=True)
            continue
        for record in records:
            print(bench_line(record), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
