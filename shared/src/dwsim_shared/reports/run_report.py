"""Run the plan's checks in the warehouse, one query per table, and keep the result on the run.

The loader calls `report_run` once the run's counts reconcile; `POST .../runs/{id}/report`
calls it again on demand. A failed check turns COMPLETED into COMPLETED_WITH_WARNINGS (and a
passing recomputation turns it back): the data stays, the evidence is shown, nothing is hidden.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import select

from dwsim_shared.errors import Conflict, DWSimError, NotFound
from dwsim_shared.experiment import Experiment
from dwsim_shared.generation.plan import GenerationPlan, TablePlan, compile_plan
from dwsim_shared.reports.checks import (
    EXACT_ROWS,
    SAMPLE_HOW,
    SAMPLE_ROWS,
    PlannedCheck,
    Query,
    TableChecks,
    fallback_sql,
    one_statement,
)
from dwsim_shared.reports.contract import TableFacts, contract_facts
from dwsim_shared.reports.loaded import LoadedTable, loaded_tables
from dwsim_shared.runs.queries import live_run
from dwsim_shared.runs.transitions import move_run
from dwsim_shared.runtime import Runtime
from dwsim_shared.state.models import (
    COMPLETED_RUN_STATUSES,
    RunRow,
    RunShardRow,
    RunStatus,
    utcnow,
)
from dwsim_shared.warehouses.base import Warehouse

log = logging.getLogger(__name__)
REPORTABLE = COMPLETED_RUN_STATUSES
QUERY_TIMEOUT_S = 600.0
# The fast path's queries run on this many connections at once.
REPORT_THREADS = 2
# Report dialects (`Warehouse.report_dialect`) whose exact report costs no more than the fast
# path: Snowflake's SQL, sent as any query (a statement's HTTP and SQL translation, about
# 0.15 s on the emulator, outweighed DuckDB's hash GROUP BY and NOT IN probes, while the
# digests' long expressions cost translation time): the exact scan for every table there.
# The emulator's report is DuckDB's own SQL ("duckdb", its engine-read route, no translation):
# the fast path, as on the other engines.
EXACT_ENGINES = {"snowflake"}
# Report dialects where a table's queries (its scan, its samples) go as one statement: a
# statement's own cost there is more than what parallel queries save.
ONE_STATEMENT_ENGINES = {"snowflake"}


def verdict(report: dict[str, Any] | None) -> str | None:
    """One line for the run status: "42 checks passed" or "2 of 42 checks failed: ..."."""
    if not report:
        return None
    if report.get("error"):
        return f"report could not run: {report['error']}"
    total, failed = report["total"], report["failed"]
    if not failed:
        return f"{total} checks passed"
    names = sorted({f"{c['table']}.{c['column']} {c['check']}" if c.get("column") else f"{c['table']} {c['check']}"
                    for c in report["checks"] if not c["pass"]})  # fmt: skip
    more = f" (and {len(names) - 3} more)" if len(names) > 3 else ""
    return f"{failed} of {total} checks failed: {', '.join(names[:3])}{more}"


class _Sessions:
    """The report's statements, each thread's on one engine session it keeps until the report
    ends, instead of a login per statement (about 0.1 s each on the Snowflake emulator). The
    sessions belong to a copy of the warehouse per thread, so no other user of the warehouse
    (a query in the same gateway) ever shares them, and no two threads share one."""

    def __init__(self, warehouse: Warehouse) -> None:
        self.warehouse = warehouse
        self.local = threading.local()
        self.stack = contextlib.ExitStack()
        self.lock = threading.Lock()

    def __call__(self) -> Warehouse:
        own: Warehouse | None = getattr(self.local, "warehouse", None)
        if own is None:
            own = copy.copy(self.warehouse)
            with self.lock:
                self.stack.enter_context(own.kept_sessions())
            self.local.warehouse = own
        return own

    def __enter__(self) -> _Sessions:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stack.close()


def compute_report(
    plan: GenerationPlan, warehouse: Warehouse, experiment_name: str,
    *, sample_rows: int = SAMPLE_ROWS, seed: int | None = None, exact_rows: int = EXACT_ROWS,
    loaded: dict[str, LoadedTable] | None = None,
    contract: Callable[[], dict[str, TableFacts]] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Every check of every table: the exact ones from one scan of each table, the statistical
    ones from a sample of `sample_rows` rows when the table is larger (and labelled so).

    With the run's `seed`, a table of more than `exact_rows` rows takes the fast path: its keys
    and foreign keys are proven against the generation contract by digests computed in the
    same one scan (a check that cannot be proven so runs its exact query), and its per-value
    checks (ranges, lengths, choices, required NULLs) are read from the sample, labelled so.
    Plans compiled with the run's shard size let multi-column foreign keys take it too.

    `loaded`: what the run's loaders recorded of each shard (`reports.loaded`), given only by
    the report a run makes right after publishing its own loads: a fast table's keys and
    foreign keys are then proven from those facts and the warehouse's COUNT(*), no key read.

    `contract`: the contract's facts of this plan, seed and `exact_rows` (`run_contract`),
    when the caller started computing them earlier (the finalize step does, before it counts
    and publishes); the report then only waits for what is left of them."""
    # (`background`: the contract's facts, computed while the warehouse answers)
    with _Sessions(warehouse) as sessions, ThreadPoolExecutor(max_workers=1) as background:
        return _compute_report(plan, warehouse, sessions, background, experiment_name,
                               sample_rows=sample_rows, seed=seed, exact_rows=exact_rows,
                               loaded=loaded, early=contract)  # fmt: skip


def _compute_report(
    plan: GenerationPlan, warehouse: Warehouse, sessions: _Sessions,
    background: ThreadPoolExecutor, experiment_name: str,
    *, sample_rows: int, seed: int | None, exact_rows: int,
    loaded: dict[str, LoadedTable] | None,
    early: Callable[[], dict[str, TableFacts]] | None = None,
) -> dict[str, Any]:  # fmt: skip
    started = time.perf_counter()
    checks: list[dict[str, Any]] = []
    queries = 0
    table_seconds: dict[str, float] = {}
    facts = None
    # With the loaders' facts no key is read in the warehouse: the emulator gains too.
    fast = warehouse.report_dialect not in EXACT_ENGINES or bool(loaded)
    contract: Callable[[], dict[str, TableFacts]] | None = None
    timing: dict[str, float] = {}

    def timed_contract() -> dict[str, TableFacts]:
        begun = time.perf_counter()
        try:
            if early is not None:  # started before the report: only what is left is waited
                timing["contract_started_early"] = 1
                return early()
            return contract_facts(plan, seed, lambda name: plan.rows(name) > exact_rows)  # type: ignore[arg-type]
        finally:
            timing["contract"] = round(time.perf_counter() - begun, 3)

    if seed is not None and fast and any(t.rows > exact_rows for t in plan.tables.values()):
        if loaded and all(
            (found := loaded.get(name)) is not None and found.sets is not None
            for name in plan.tables
        ):
            # Every table's loads kept their facts: no query needs the contract, only the
            # verdicts do, so it is computed meanwhile, while the warehouse answers.
            future = background.submit(timed_contract)
            contract = future.result
        else:
            facts = timed_contract()
            loaded = None
    verified: set[tuple[str, ...]] = set()
    dialect = warehouse.report_dialect
    ordered = facts is not None or contract is not None
    order = parents_first(plan) if ordered else list(plan.tables.values())

    def built(table_plan: TablePlan) -> list[Query]:
        return TableChecks(
            plan, table_plan, lambda name: warehouse.physical_table(experiment_name, name),
            facts, verified, exact_rows, dialect, loaded, contract,
        ).build().queries(dialect, sample_rows)  # fmt: skip

    def run(query: Query) -> tuple[list[Any], float]:
        job_started = time.perf_counter()
        return _one_row(sessions(), experiment_name, query.sql), time.perf_counter() - job_started

    def run_together(table_queries: list[Query]) -> list[tuple[list[Any], float]]:
        """A table's queries in one statement; each query's values, the time split evenly."""
        job_started = time.perf_counter()
        row = _one_row(sessions(), experiment_name, one_statement(table_queries, dialect))
        share = (time.perf_counter() - job_started) / len(table_queries)
        out, at = [], 0
        for query in table_queries:
            out.append((row[at : at + query.width], share))
            at += query.width
        return out

    def send(table_plan: TablePlan) -> list[tuple[Query, Any]]:
        table_queries = built(table_plan)
        if together and len(table_queries) > 1:
            future = pool.submit(run_together, table_queries)
            return [(q, _Part(future, i)) for i, q in enumerate(table_queries)]
        return [(q, pool.submit(run, q)) for q in table_queries]

    together = dialect in ONE_STATEMENT_ENGINES
    answers: dict[str, list[tuple[Query, tuple[list[Any], float]]]] = {}
    # The scans run side by side (each thread on its own session; the engines release the
    # GIL, and an engine's per-statement cost, HTTP and translation on the emulator, overlaps
    # the other's scan), the largest table's first, each sent as soon as its checks are built
    # (building is Python: the moments of a law, Faker's pools), so building the next overlaps
    # the scans; the verdicts follow in `order` (parents first on the fast path).
    with ThreadPoolExecutor(max_workers=REPORT_THREADS) as pool:
        pending = {t.table.name: send(t) for t in sorted(order, key=lambda t: -t.rows)}
        for name, sent in pending.items():
            answers[name] = [(q, future.result()) for q, future in sent]
    jobs = [(t, q, answer) for t in order for q, answer in answers[t.table.name]]
    for table_plan, query, (values, seconds) in jobs:
        queries += 1
        name = table_plan.table.name
        source = warehouse.physical_table(experiment_name, name)
        for outcome in query.evaluate(values):
            exact = False
            if isinstance(outcome, PlannedCheck):  # a fast check that could not decide
                check = outcome
                assert check.fallback is not None
                fallback_started = time.perf_counter()
                exact_values = _one_row(
                    sessions(), experiment_name, fallback_sql(check, source, dialect)
                )
                seconds += time.perf_counter() - fallback_started
                queries += 1
                observed, passed = check.fallback[1](exact_values)
                exact = True
            else:
                check, observed, passed = outcome
            entry = {
                "table": check.table, "column": check.column, "check": check.check,
                "what": check.what, "expected": check.expected, "observed": observed,
                "pass": bool(passed),
            }  # fmt: skip
            if check.method and not exact:
                entry["proof"] = check.method() if callable(check.method) else check.method
            if check.sampled and not exact:
                entry["sampled"] = _sampled(query.sample_rows, table_plan.rows)
            checks.append(entry)
        table_seconds[name] = round(table_seconds.get(name, 0.0) + seconds, 3)
    failed = sum(1 for c in checks if not c["pass"])
    report: dict[str, Any] = {
        "plan_digest": plan.digest,
        "computed_at": utcnow().isoformat(),
        "seconds": round(time.perf_counter() - started, 3),
        "queries": queries,
        "table_seconds": table_seconds,
        "total": len(checks),
        "passed": len(checks) - failed,
        "failed": failed,
        "checks": checks,
    }
    if "contract" in timing:
        report["contract_seconds"] = timing["contract"]
    if "contract_started_early" in timing:
        report["contract_started_early"] = True
    return report


class _Part:
    """One query's share of a statement that ran a table's queries together."""

    def __init__(self, future: Any, index: int) -> None:
        self.future, self.index = future, index

    def result(self) -> tuple[list[Any], float]:
        return self.future.result()[self.index]


def _one_row(warehouse: Warehouse, experiment_name: str, sql: str) -> list[Any]:
    return warehouse.report_row(experiment_name, sql, timeout_s=QUERY_TIMEOUT_S)


def parents_first(plan: GenerationPlan) -> list[TablePlan]:
    """The tables with each foreign key's parent before its child (plan order otherwise; a
    cycle keeps plan order, and a child reached first just runs its exact probe)."""
    order: list[TablePlan] = []
    seen: set[str] = set()

    def visit(table_plan: TablePlan, path: set[str]) -> None:
        name = table_plan.table.name.lower()
        if name in seen or name in path:
            return
        for parent in _parents(table_plan):
            if parent in plan.tables and parent != name:
                visit(plan.tables[parent], path | {name})
        seen.add(name)
        order.append(table_plan)

    for table_plan in plan.tables.values():
        visit(table_plan, set())
    return order


def _parents(table_plan: TablePlan) -> list[str]:
    table = table_plan.table
    out = [c.foreign_key.references_table.lower() for c in table.columns if c.foreign_key]
    return out + [fk.references_table.lower() for fk in table.foreign_keys or []]


def _sampled(sample_rows: int | None, table_rows: int) -> dict[str, Any]:
    if sample_rows is None:
        return {"rows": table_rows, "how": "every row (the table is no larger than the sample)"}
    return {"rows": sample_rows, "how": SAMPLE_HOW.format(rows=f"{sample_rows:,}")}


def _status_after(report: dict[str, Any]) -> RunStatus:
    ok = not report.get("error") and report.get("failed") == 0
    return RunStatus.COMPLETED if ok else RunStatus.COMPLETED_WITH_WARNINGS


def _run_plan(session: Any, run_id: int) -> tuple[RunRow, Experiment, GenerationPlan]:
    """A run's row, its experiment and the plan it was generated from."""
    run = session.get(RunRow, run_id)
    if run is None:
        raise NotFound(f"run {run_id} does not exist")
    experiment = Experiment.model_validate(run.schema_json)
    return run, experiment, compile_plan(experiment, run.row_targets, run.shard_size)


def run_contract(rt: Runtime, run_id: int) -> dict[str, TableFacts]:
    """The generation contract's facts of a run (its plan, seed and the report's exact-rows
    threshold), as `compute_report` would compute them: the finalize step starts this on a
    thread before it counts and publishes, so the report that follows does not wait for it."""
    with rt.session() as session:
        run, _, plan = _run_plan(session, run_id)
        seed = run.seed
    if seed is None:
        return {}
    exact_rows = rt.settings.report_exact_rows
    return contract_facts(plan, seed, lambda name: plan.rows(name) > exact_rows)


def published_report(
    rt: Runtime, run_id: int, contract: Callable[[], dict[str, TableFacts]] | None = None
) -> tuple[dict[str, Any], RunStatus, str]:
    """The checks of a run whose data was just published (they read the live tables), the
    status they earn, and the plan's digest. Never raises: a report that cannot run is a report
    saying why, and earns warnings, so the run still finishes.

    `contract`: the run's `run_contract`, started earlier by the caller (its result waited for)."""
    with rt.session() as session:
        run, experiment, plan = _run_plan(session, run_id)
        warehouse_name, seed = run.warehouse, run.seed
        shards = session.execute(
            select(RunShardRow.table_name, RunShardRow.rows_loaded, RunShardRow.load_facts).where(
                RunShardRow.run_id == run_id
            )
        ).all()
    # The loads this run just published are what its tables hold (nothing else writes them
    # between the load and this report): the loaders' facts prove the keys.
    loaded = loaded_tables((t, rows, facts) for t, rows, facts in shards)
    report = _checked(plan, rt.warehouse(warehouse_name), experiment.name, run_id, seed,
                      rt.settings.report_exact_rows, loaded, contract)  # fmt: skip
    return report, _status_after(report), plan.digest


def _checked(
    plan: GenerationPlan, warehouse: Warehouse, experiment: str, run_id: int,
    seed: int | None = None, exact_rows: int = EXACT_ROWS,
    loaded: dict[str, LoadedTable] | None = None,
    contract: Callable[[], dict[str, TableFacts]] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The report, or (in the loader) a report saying why it could not run."""
    try:
        return compute_report(plan, warehouse, experiment, seed=seed, exact_rows=exact_rows,
                              loaded=loaded, contract=contract)  # fmt: skip
    except Exception as error:  # any failure: the run must still finish, with the reason shown
        log.warning("validation report of run %s failed", run_id, exc_info=True)
        reason = (
            str(error) if isinstance(error, DWSimError) else "a check query failed in the warehouse"
        )
        return {"plan_digest": plan.digest, "computed_at": utcnow().isoformat(), "error": reason,
                "total": 0, "passed": 0, "failed": 0, "checks": []}  # fmt: skip


def report_run(rt: Runtime, run_id: int, *, recompute: bool = False) -> dict[str, Any] | None:
    """Compute and store a completed run's report; the status follows its verdict.

    In the loader (`recompute=False`) a report that cannot run is stored as such and the run is
    marked with warnings; asked for by a user, the error is raised to them instead.
    """
    with rt.session() as session:
        run = session.get(RunRow, run_id)
        if run is None or run.status not in REPORTABLE:
            if recompute and run is not None:
                raise Conflict(
                    f"run {run.number} is {run.status}; a report needs a completed run",
                    run_id=run.number,
                )
            return None
        if recompute:
            _check_latest(session, run)
        experiment = Experiment.model_validate(run.schema_json)
        plan = compile_plan(experiment, run.row_targets, run.shard_size)
        warehouse_name, seed = run.warehouse, run.seed
    warehouse = rt.warehouse(warehouse_name)
    exact_rows = rt.settings.report_exact_rows
    if recompute:
        report = compute_report(plan, warehouse, experiment.name, seed=seed, exact_rows=exact_rows)
    else:
        report = _checked(plan, warehouse, experiment.name, run_id, seed, exact_rows)
    with rt.session() as session:
        run = session.get(RunRow, run_id)
        if run is None or run.status not in REPORTABLE:
            return None
        run.report = report
        run.plan_digest = run.plan_digest or plan.digest
        move_run(run, _status_after(report))
        session.commit()
    return report


def _check_latest(session: Any, run: RunRow) -> None:
    """Only the live run's tables are in the warehouse: an older run's were replaced."""
    live = live_run(session, run.experiment_id)
    if live is None or live.id != run.id:
        raise Conflict(
            f"run {run.number} is not the live run (run {live.number if live else None} replaced "
            "its tables); its report cannot be recomputed",
            run_id=run.number,
        )
