"""query.translate: what the SQL compatibility layer costs per query.

The realism corpus (22 TPC-H queries and the analytic reports, in Redshift and Snowflake SQL,
query-service/tests/corpus/) is parsed, checked, typed against the TPC-H schema, rewritten and
transpiled for each engine by the query service's own pipeline. Baseline: sqlglot's bare
`transpile` of the same text (parse + generate, no checks, no rewrites), in the same run.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import sqlglot
import yaml
from sqlglot import exp

from benchmarks.measure import REPO_ROOT, Options
from dwsim_shared.engines import adapters

CORPUS = REPO_ROOT / "query-service" / "tests" / "corpus"
DDL = REPO_ROOT / "shared" / "tests" / "ddl" / "corpus" / "redshift_tpch.sql"
ENGINES = tuple(a.sqlglot_dialect for a in adapters())


def _queries() -> list[tuple[str, str]]:
    out = []
    for path in sorted(CORPUS.glob("*.yaml")):
        for query in yaml.safe_load(path.read_text(encoding="utf-8")):
            for dialect in ("redshift", "snowflake"):
                out.append((dialect, query.get(dialect) or query["sql"]))
    return out


def _median_ms(work: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def translate(options: Options) -> list[dict[str, Any]]:
    import dwsim_shared.warehouses.sqlite  # noqa: F401  (registers the strictsqlite dialect)
    from dwsim_query.compat.experiment_schema import schema_of
    from dwsim_query.pipeline import prepare_query
    from dwsim_shared.ddl import import_ddl

    experiment = import_ddl(DDL.read_text(encoding="utf-8"), "redshift", name="tpch").experiment
    schema = schema_of(experiment)
    known = [t.name for t in experiment.tables]

    def resolve(name: str) -> exp.Table:
        return exp.table_(exp.to_identifier(name.lower(), quoted=True), db="dwsim_tpch")

    queries = _queries()
    repeats = options.repeats or 5
    ours, bare = [], []
    for dialect, sql in queries:
        for engine in ENGINES:
            target = "sqlite" if engine == "strictsqlite" else engine

            def ours_once(sql: str = sql, dialect: str = dialect, engine: str = engine) -> str:
                return prepare_query(sql, dialect, engine, resolve, known, schema).sql

            def bare_once(
                sql: str = sql, dialect: str = dialect, target: str = target
            ) -> list[str]:
                return sqlglot.transpile(sql, read=dialect, write=target)

            ours.append(_median_ms(ours_once, repeats))
            bare.append(_median_ms(bare_once, repeats))
    median_ours, median_bare = statistics.median(ours), statistics.median(bare)
    return [
        {
            "name": "query.translate",
            "queries": len(queries),
            "engines": len(ENGINES),
            "median_ms_per_query": round(median_ours, 2),
            "p95_ms_per_query": round(sorted(ours)[int(len(ours) * 0.95)], 2),
            "baseline": "sqlglot_transpile",
            "baseline_median_ms": round(median_bare, 2),
            "ratio": round(median_ours / median_bare, 2),
        }
    ]


BENCHMARKS: dict[str, Callable[[Options], list[dict[str, Any]]]] = {"query.translate": translate}
