"""The validation report on the three warehouses: every check passes on a clean load, and the
right checks fail after rows are deleted or duplicated through SQL."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg2
import pytest

from dwsim_shared.experiment import Experiment
from dwsim_shared.experiment_checks import parse_experiment
from dwsim_shared.generation import generate_shard, write_shard_parquet
from dwsim_shared.generation.plan import compile_plan
from dwsim_shared.reports import compute_report, verdict
from dwsim_shared.reports.contract import contract_facts
from dwsim_shared.settings import Settings
from dwsim_shared.testing.fixtures import snowflake_settings
from dwsim_shared.warehouses import Warehouse, make_warehouse
from dwsim_shared.warehouses.base import ShardRef

EXPERIMENT = parse_experiment({
    "name": "rep",
    "tables": [
        {"name": "stores", "target_rows": 40, "primary_key": ["store_id"], "columns": [
            {"name": "store_id", "data_type": "INT", "sequence": {"start": 1, "step": 1}},
            {"name": "code", "data_type": "CHAR(6)", "is_unique": True},
            {"name": "region", "data_type": "VARCHAR(10)", "choices": ["north", "south", "east"]},
        ]},
        {"name": "products", "target_rows": 50, "primary_key": ["product_id"], "columns": [
            {"name": "product_id", "data_type": "BIGINT", "min_value": 1000, "max_value": 9999},
            {"name": "price", "data_type": "DECIMAL(10,2)", "min_value": 1, "max_value": 500,
             "distribution": {"type": "lognormal", "parameters": {"mean": 3, "sigma": 0.6}}},
        ]},
        {"name": "sales", "target_rows": 3000, "primary_key": ["store_id", "product_id", "sale_date"],
         "columns": [
            {"name": "store_id", "data_type": "INT",
             "foreign_key": {"references_table": "stores", "references_column": "store_id"}},
            {"name": "product_id", "data_type": "BIGINT",
             "foreign_key": {"references_table": "products", "references_column": "product_id"}},
            {"name": "sale_date", "data_type": "DATE"},
            {"name": "units", "data_type": "INT", "min_value": 1, "max_value": 40,
             "distribution": {"type": "exponential", "parameters": {"scale": 4}}},
            {"name": "note", "data_type": "VARCHAR(30)", "required": False, "null_rate": 0.3},
            {"name": "ref", "data_type": "VARCHAR(12)", "pattern": "S-{#####}"},
        ]},
    ],
})  # fmt: skip
SEED = 11


def load(warehouse: Warehouse, experiment: Experiment, tmp_path: Path) -> None:
    warehouse.prepare(experiment)
    for table in experiment.tables:
        data = generate_shard(
            experiment, table.name, seed=SEED, row_start=0, row_count=table.target_rows
        )
        path = tmp_path / f"{table.name}.parquet"
        write_shard_parquet(data, path)
        warehouse.load_shard(experiment, table, path, ShardRef(1, table.name, 0))


Execute = Callable[[str], None]


@pytest.fixture(params=["sqlite", pytest.param("redshift", marks=pytest.mark.integration),
                        pytest.param("snowflake", marks=pytest.mark.integration)])  # fmt: skip
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Warehouse, Execute]:
    """A warehouse and a way to run writing SQL in it (which the adapter itself never allows)."""
    if request.param == "sqlite":
        warehouse = make_warehouse("sqlite", Settings(home=tmp_path))

        def execute(sql: str) -> None:
            with sqlite3.connect(warehouse.path(EXPERIMENT.name)) as conn:  # type: ignore[attr-defined]
                conn.execute(sql)

        return warehouse, execute
    if request.param == "redshift":
        url = request.getfixturevalue("postgres_db")
        warehouse = make_warehouse("redshift", Settings(home=tmp_path, redshift_url=url))

        def execute_pg(sql: str) -> None:
            with psycopg2.connect(url) as conn, conn.cursor() as cur:
                cur.execute(sql)

        return warehouse, execute_pg
    server = request.getfixturevalue("snowflake_server")
    settings = Settings.model_validate({"home": tmp_path, **snowflake_settings(server)})
    warehouse = make_warehouse("snowflake", settings)

    def execute_sf(sql: str) -> None:
        with warehouse._cursor() as cur:  # type: ignore[attr-defined]
            cur.execute(sql)

    return warehouse, execute_sf


def failing(report: dict[str, Any]) -> set[tuple[str, str | None, str]]:
    return {(c["table"], c["column"], c["check"]) for c in report["checks"] if not c["pass"]}


def test_clean_run_passes_then_broken_tables_fail_the_right_checks(engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    warehouse, execute = engine
    load(warehouse, EXPERIMENT, tmp_path)
    plan = compile_plan(EXPERIMENT)
    report = compute_report(plan, warehouse, EXPERIMENT.name)
    assert report["failed"] == 0, [c for c in report["checks"] if not c["pass"]]
    assert report["queries"] == 3  # one query per table
    kinds = {c["check"] for c in report["checks"]}
    assert kinds >= {"row_count", "unique", "foreign_key", "null_fraction", "range", "length",
                     "choices", "distribution"}  # fmt: skip
    assert verdict(report) == f"{report['total']} checks passed"
    assert report["plan_digest"] == plan.digest

    def table(name: str) -> str:
        return warehouse.physical_table(EXPERIMENT.name, name).sql(
            dialect=warehouse.sqlglot_dialect
        )

    # A duplicated sale (composite key), a deleted store (orphans), an out-of-range unit count.
    execute(f"INSERT INTO {table('sales')} SELECT * FROM {table('sales')} WHERE store_id = 1")
    execute(f"DELETE FROM {table('stores')} WHERE store_id = 2")
    execute(
        f"UPDATE {table('products')} SET price = 900 WHERE product_id = (SELECT MIN(product_id) FROM {table('products')})"
    )
    execute(f"UPDATE {table('sales')} SET units = 40 WHERE units < 3")  # in range, wrong law
    broken = compute_report(plan, warehouse, EXPERIMENT.name)
    assert failing(broken) == {
        ("sales", None, "row_count"),
        ("sales", None, "unique"),
        ("stores", None, "row_count"),
        ("sales", "store_id", "foreign_key"),
        ("products", "price", "range"),
        ("sales", "units", "distribution"),
    }
    assert "checks failed" in (verdict(broken) or "")
    orphans = next(
        c for c in broken["checks"] if c["check"] == "foreign_key" and c["column"] == "store_id"
    )
    assert orphans["observed"]["orphans"] > 0
    # said in English: "every store_id value exists in stores.store_id", not "is a stores.(…)"
    assert orphans["what"] == "every store_id value exists in stores.store_id"


def test_the_loader_stores_the_report_with_the_status_and_recomputes_on_demand(
    tmp_path: Path,
) -> None:
    from dwsim_shared.errors import BadRequest, Conflict
    from dwsim_shared.reports import published_report, report_run
    from dwsim_shared.runs.create import create_run
    from dwsim_shared.runs.service import mark_published
    from dwsim_shared.runtime import Runtime
    from dwsim_shared.state.db import migrate
    from dwsim_shared.state.models import ExperimentRow, RunRow, utcnow

    rt = Runtime(Settings(home=tmp_path))
    migrate(rt.engine)
    warehouse = rt.warehouse("sqlite")
    load(warehouse, EXPERIMENT, tmp_path)
    targets = {t.name: t.target_rows for t in EXPERIMENT.tables}
    with rt.session() as session:
        row = ExperimentRow(name=EXPERIMENT.name, source_dialect="redshift", target_warehouse="sqlite",
                            schema_json=EXPERIMENT.to_json(), warnings=[])  # fmt: skip
        session.add(row)
        session.commit()
        run = create_run(session, row, EXPERIMENT, warehouse="sqlite", seed=SEED,
                         row_targets=targets, shard_size=10_000)  # fmt: skip
        run.status = "RUNNING"
        session.commit()
        run_id = run.id
        assert run.plan_digest == compile_plan(EXPERIMENT, targets).digest

    report, status, digest = published_report(rt, run_id)  # what the loader's finalize does
    with rt.session() as session:
        mark_published(
            session, run_id, now=utcnow(), status=status, report=report, plan_digest=digest
        )
    with rt.session() as session:
        run = session.get(RunRow, run_id)
        assert run is not None and run.status == "COMPLETED"
        assert run.report is not None and run.report["failed"] == 0 and run.report["total"] > 20

    with sqlite3.connect(warehouse.path(EXPERIMENT.name)) as conn:  # type: ignore[attr-defined]
        conn.execute('DROP TABLE "products"')
    with pytest.raises(BadRequest):  # asked for by a user: the reason is theirs to see
        report_run(rt, run_id, recompute=True)
    stored = report_run(rt, run_id)  # in the loader: stored as a report that could not run
    assert stored is not None and "products" in stored["error"]
    with rt.session() as session:
        run = session.get(RunRow, run_id)
        assert run is not None and run.status == "COMPLETED_WITH_WARNINGS"
        assert verdict(run.report).startswith("report could not run")  # type: ignore[union-attr]

    with rt.session() as session:
        later = create_run(session, session.get(ExperimentRow, row.id), EXPERIMENT, warehouse="sqlite",  # type: ignore[arg-type]
                           seed=1, row_targets=targets, shard_size=10_000)  # fmt: skip
        later.status = "COMPLETED"
        later.published_at = utcnow()  # its data replaced the first run's
        session.commit()
    with pytest.raises(Conflict, match="not the live run"):
        report_run(rt, run_id, recompute=True)
    rt.close()


def test_sampled_checks_are_labelled_and_exact_checks_still_see_every_row(
    engine, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """With a sample smaller than `sales`, its null fractions and moments are read from the
    sample and say so; its key, foreign keys, ranges and count are still checked on every row:
    one broken row fails them, whichever rows the sample holds."""
    warehouse, execute = engine
    load(warehouse, EXPERIMENT, tmp_path)
    plan = compile_plan(EXPERIMENT)
    report = compute_report(plan, warehouse, EXPERIMENT.name, sample_rows=1000)
    assert report["failed"] == 0, [c for c in report["checks"] if not c["pass"]]
    assert report["queries"] == 4  # one exact scan per table, and the sample of `sales`
    by = {(c["table"], c["column"], c["check"]): c for c in report["checks"]}
    for sampled in [("sales", "note", "null_fraction"), ("sales", "units", "distribution")]:
        assert by[sampled]["sampled"]["rows"] == 1000
        assert "1,000 rows" in by[sampled]["sampled"]["how"]
    whole = compute_report(plan, warehouse, EXPERIMENT.name)  # the sample would hold them all
    assert whole["queries"] == 3
    assert {c["sampled"]["rows"] for c in whole["checks"] if "sampled" in c} == {3000}
    exact = [
        ("sales", None, "row_count"),
        ("sales", None, "unique"),
        ("sales", "units", "range"),
        ("sales", "store_id", "foreign_key"),
        ("sales", "ref", "length"),
        ("sales", "sale_date", "null_fraction"),
    ]  # a required column: never NULL, exactly
    for key in exact:
        assert "sampled" not in by[key], key

    def table(name: str) -> str:
        return warehouse.physical_table(EXPERIMENT.name, name).sql(
            dialect=warehouse.sqlglot_dialect
        )

    sales = table("sales")
    pairs = warehouse.run_query(
        EXPERIMENT.name,
        f"SELECT store_id, product_id FROM {sales} GROUP BY store_id, product_id "
        "ORDER BY store_id DESC, product_id DESC LIMIT 3",
        row_cap=3,
        timeout_s=30,
    ).rows

    def one_row(pair: Any) -> str:  # the sale of this (store, product) with its first date
        store, product = int(pair[0]), int(pair[1])
        return (f"store_id = {store} AND product_id = {product} AND sale_date = (SELECT MIN(sale_date) "
                f"FROM {sales} WHERE store_id = {store} AND product_id = {product})")  # fmt: skip

    # A broken key, the count unchanged: one sale duplicated, another deleted.
    execute(f"INSERT INTO {sales} SELECT * FROM {sales} WHERE {one_row(pairs[0])}")
    execute(f"DELETE FROM {sales} WHERE {one_row(pairs[1])}")
    broken = compute_report(plan, warehouse, EXPERIMENT.name, sample_rows=1000)
    assert failing(broken) == {("sales", None, "unique")}
    assert next(c for c in broken["checks"] if c["check"] == "unique" and c["table"] == "sales")[
        "observed"
    ] == {"duplicates": 1}
    # One orphan store and one unit count out of range, in a single row.
    execute(f"UPDATE {sales} SET store_id = 99999, units = 41 WHERE {one_row(pairs[2])}")
    broken = compute_report(plan, warehouse, EXPERIMENT.name, sample_rows=1000)
    assert failing(broken) == {
        ("sales", None, "unique"), ("sales", "store_id", "foreign_key"), ("sales", "units", "range"),
    }  # fmt: skip
    # A wrong count: one more sale deleted.
    execute(f"DELETE FROM {sales} WHERE store_id = 99999")
    broken = compute_report(plan, warehouse, EXPERIMENT.name, sample_rows=1000)
    assert failing(broken) == {("sales", None, "unique"), ("sales", None, "row_count")}


def _fk(table: str, column: str) -> dict[str, str]:
    return {"references_table": table, "references_column": column}


# TPC-H's keys in small: composite primary keys, a multi-column foreign key into one of them.
KEYED = parse_experiment({
    "name": "rep",
    "tables": [
        {"name": "part", "target_rows": 200, "primary_key": ["p_partkey"],
         "columns": [{"name": "p_partkey", "data_type": "INT"},
                     {"name": "p_size", "data_type": "INT", "min_value": 1, "max_value": 50}]},
        {"name": "supplier", "target_rows": 10, "primary_key": ["s_suppkey"],
         "columns": [{"name": "s_suppkey", "data_type": "INT", "min_value": 1, "max_value": 1000}]},
        {"name": "partsupp", "target_rows": 800, "primary_key": ["ps_partkey", "ps_suppkey"], "columns": [
            {"name": "ps_partkey", "data_type": "INT", "foreign_key": _fk("part", "p_partkey")},
            {"name": "ps_suppkey", "data_type": "INT", "foreign_key": _fk("supplier", "s_suppkey")},
            {"name": "ps_availqty", "data_type": "INT", "min_value": 1, "max_value": 9999}]},
        {"name": "orders", "target_rows": 500, "primary_key": ["o_orderkey"],
         "columns": [{"name": "o_orderkey", "data_type": "BIGINT"}]},
        {"name": "lineitem", "target_rows": 3000, "primary_key": ["l_orderkey", "l_linenumber"],
         "foreign_keys": [{"columns": ["l_partkey", "l_suppkey"], "references_table": "partsupp",
                           "references_columns": ["ps_partkey", "ps_suppkey"]}],
         "columns": [
            {"name": "l_orderkey", "data_type": "BIGINT", "foreign_key": _fk("orders", "o_orderkey")},
            {"name": "l_partkey", "data_type": "INT"},
            {"name": "l_suppkey", "data_type": "INT"},
            {"name": "l_linenumber", "data_type": "INT", "min_value": 1, "max_value": 7},
            {"name": "l_quantity", "data_type": "INT", "min_value": 1, "max_value": 50}]},
    ],
})  # fmt: skip
KEYED_SHARD = 700


def load_in_shards(warehouse: Warehouse, tmp_path: Path) -> None:
    """As the workers do: shards of `KEYED_SHARD` rows, each written by `write_rows_parquet`."""
    from dwsim_shared.generation.shard import write_rows_parquet
    from dwsim_shared.runs.plan import plan_shards

    warehouse.prepare(KEYED)
    for table in KEYED.tables:
        for shard in plan_shards({table.name: table.target_rows}, KEYED_SHARD):
            path = tmp_path / f"{table.name}-{shard.shard_index}.parquet"
            write_rows_parquet(KEYED, table.name, path, seed=SEED, row_start=shard.row_start,
                               row_count=shard.row_count)  # fmt: skip
            warehouse.load_shard(KEYED, table, path, ShardRef(1, table.name, shard.shard_index))


def test_keys_proven_against_the_contract_still_catch_a_broken_key_fk_and_count(
    engine, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """Tables past `exact_rows` prove their keys and foreign keys by digests against the
    generation contract (labelled with the proof), read per-value checks from the sample
    (labelled sampled), and still fail on one deleted row, one duplicated composite key, one
    orphan of a single-column and one of a multi-column foreign key, with exact numbers."""
    warehouse, execute = engine
    load_in_shards(warehouse, tmp_path)
    plan = compile_plan(KEYED, shard_size=KEYED_SHARD)
    report = compute_report(plan, warehouse, KEYED.name, seed=SEED, exact_rows=100,
                            sample_rows=1000)  # fmt: skip
    assert report["failed"] == 0, [c for c in report["checks"] if not c["pass"]]
    by = {(c["table"], c["column"], c["check"]): c for c in report["checks"]}
    proven = {key for key, c in by.items() if "proof" in c}
    # EXACT_ENGINES (a real Snowflake account): the exact scan throughout. The emulator runs
    # the report in DuckDB's own SQL (`report_dialect`), where the fast path pays off.
    if warehouse.report_dialect == "snowflake":
        assert proven == set() and report["queries"] == 5
        assert not any("sampled" in c for c in report["checks"])
    else:
        assert {
            ("partsupp", None, "unique"), ("orders", "o_orderkey", "unique"),
            ("lineitem", None, "unique"), ("lineitem", "l_orderkey", "foreign_key"),
            ("lineitem", None, "foreign_key"),
        } <= proven  # fmt: skip
        assert "sampled" not in by[("lineitem", None, "unique")]
        assert by[("lineitem", "l_quantity", "range")]["sampled"]["rows"] == 1000
        assert by[("supplier", "s_suppkey", "unique")].get("proof") is None  # small: exact
        assert report["queries"] == 5 + 1  # a scan per table, and lineitem's value sample

    def table(name: str) -> str:
        return warehouse.physical_table(KEYED.name, name).sql(dialect=warehouse.sqlglot_dialect)

    def fails() -> set[tuple[str, str | None, str]]:
        broken = compute_report(plan, warehouse, KEYED.name, seed=SEED, exact_rows=100,
                                sample_rows=1000)  # fmt: skip
        fails.last = broken  # type: ignore[attr-defined]
        return failing(broken)

    def observed(check: tuple[str, str | None, str]) -> Any:
        return next(c["observed"] for c in fails.last["checks"]  # type: ignore[attr-defined]
                    if (c["table"], c["column"], c["check"]) == check)  # fmt: skip

    lineitem = table("lineitem")
    rows = warehouse.run_query(
        KEYED.name,
        f"SELECT l_orderkey, l_linenumber, l_partkey FROM {lineitem} "
        "ORDER BY l_orderkey DESC, l_linenumber DESC LIMIT 4",
        row_cap=4, timeout_s=30,
    ).rows  # fmt: skip
    keys = [(int(r[0]), int(r[1])) for r in rows]

    def where(key: tuple[int, int]) -> str:
        return f"l_orderkey = {key[0]} AND l_linenumber = {key[1]}"

    # A wrong count: one row deleted.
    execute(f"DELETE FROM {lineitem} WHERE {where(keys[0])}")
    assert fails() == {("lineitem", None, "row_count")}
    # A broken composite key, the count right again: another row duplicated.
    execute(f"INSERT INTO {lineitem} SELECT * FROM {lineitem} WHERE {where(keys[1])}")
    assert fails() == {("lineitem", None, "unique")}
    assert observed(("lineitem", None, "unique")) == {"duplicates": 1}
    # A single-column orphan.
    execute(f"UPDATE {lineitem} SET l_orderkey = 99999 WHERE {where(keys[2])}")
    assert fails() == {("lineitem", None, "unique"), ("lineitem", "l_orderkey", "foreign_key")}
    assert observed(("lineitem", "l_orderkey", "foreign_key")) == {"orphans": 1}
    # A multi-column orphan whose values each lie within the parent's bounds.
    pairs = {(int(a), int(b)) for a, b in warehouse.run_query(
        KEYED.name, f"SELECT ps_partkey, ps_suppkey FROM {table('partsupp')}", row_cap=10_000,
        timeout_s=30).rows}  # fmt: skip
    part = int(rows[3][2])
    missing = next(s for _, s in sorted(pairs) if (part, s) not in pairs)
    execute(f"UPDATE {lineitem} SET l_suppkey = {missing} WHERE {where(keys[3])}")
    assert fails() == {
        ("lineitem", None, "unique"), ("lineitem", "l_orderkey", "foreign_key"),
        ("lineitem", None, "foreign_key"),
    }  # fmt: skip
    assert observed(("lineitem", None, "foreign_key")) == {"orphans": 1}


def test_the_loader_proves_large_tables_with_the_runs_seed_and_shards(tmp_path: Path) -> None:
    """`published_report` compiles the plan with the run's shard size and passes its seed: the
    tables past `DWSIM_REPORT_EXACT_ROWS` are proven against the contract, and pass."""
    from dwsim_shared.reports import published_report, run_contract
    from dwsim_shared.runs.create import create_run
    from dwsim_shared.runtime import Runtime
    from dwsim_shared.state.db import migrate
    from dwsim_shared.state.models import ExperimentRow

    rt = Runtime(Settings(home=tmp_path, report_exact_rows=100))
    migrate(rt.engine)
    load_in_shards(rt.warehouse("sqlite"), tmp_path)
    targets = {t.name: t.target_rows for t in KEYED.tables}
    with rt.session() as session:
        row = ExperimentRow(name=KEYED.name, source_dialect="redshift", target_warehouse="sqlite",
                            schema_json=KEYED.to_json(), warnings=[])  # fmt: skip
        session.add(row)
        session.commit()
        run = create_run(session, row, KEYED, warehouse="sqlite", seed=SEED,
                         row_targets=targets, shard_size=KEYED_SHARD)  # fmt: skip
        session.commit()
        run_id = run.id
    report, status, _ = published_report(rt, run_id)
    assert report["failed"] == 0 and status == "COMPLETED", report
    proven = {(c["table"], c["column"], c["check"]) for c in report["checks"] if "proof" in c}
    assert ("lineitem", None, "foreign_key") in proven  # the shards' picks, regenerated
    assert ("lineitem", None, "unique") in proven
    # As the finalize does it: the run's contract computed beforehand, the same verdicts.
    early, status, _ = published_report(rt, run_id, lambda: run_contract(rt, run_id))
    assert early["failed"] == 0 and status == "COMPLETED" and early["contract_started_early"]
    assert {
        (c["table"], c["column"], c["check"]) for c in early["checks"] if "proof" in c
    } == proven
    rt.close()


def test_a_runs_report_proves_keys_from_the_loaded_shards_facts(engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The report a run makes gets its shards' facts (recorded as each loaded): keys and
    foreign keys are proven from them and the warehouse's COUNT(*), no key read; the COUNT
    differing from the ledger's rows sends each such check to its exact query."""
    from dwsim_shared.generation.shard import write_rows_parquet
    from dwsim_shared.reports.loaded import load_with_facts, loaded_tables
    from dwsim_shared.runs.plan import plan_shards

    warehouse, execute = engine
    warehouse.prepare(KEYED)
    shards = []
    for table in KEYED.tables:
        for shard in plan_shards({table.name: table.target_rows}, KEYED_SHARD):
            path = tmp_path / f"{table.name}-{shard.shard_index}.parquet"
            write_rows_parquet(KEYED, table.name, path, seed=SEED, row_start=shard.row_start,
                               row_count=shard.row_count)  # fmt: skip
            ref = ShardRef(1, table.name, shard.shard_index)
            rows, facts = load_with_facts(warehouse, KEYED, table, path, ref)
            shards.append((table.name, rows, facts))
    plan = compile_plan(KEYED, shard_size=KEYED_SHARD)
    loaded = loaded_tables(shards)

    def report() -> dict[str, Any]:
        return compute_report(plan, warehouse, KEYED.name, seed=SEED, exact_rows=100,
                              sample_rows=1000, loaded=loaded)  # fmt: skip

    first = report()
    assert first["failed"] == 0, [c for c in first["checks"] if not c["pass"]]
    from_loads = {(c["table"], c["column"], c["check"]) for c in first["checks"]
                  if "the loader's" in c.get("proof", "")}  # fmt: skip
    assert from_loads == {
        ("partsupp", None, "unique"), ("orders", "o_orderkey", "unique"),
        ("lineitem", None, "unique"), ("lineitem", "l_orderkey", "foreign_key"),
        ("lineitem", None, "foreign_key"), ("part", "p_partkey", "unique"),
        ("partsupp", "ps_partkey", "foreign_key"),
    }  # fmt: skip

    # A contract started before the report (as the finalize starts it) is the one judged
    # with: the run's own gives the same proofs; another seed's contract matches no composite
    # key's load, so each such check goes to its exact query (which passes: the data is the run's).
    def started_early(seed: int) -> dict[str, Any]:
        facts = contract_facts(plan, seed, lambda name: plan.rows(name) > 100)
        return compute_report(plan, warehouse, KEYED.name, seed=SEED, exact_rows=100,
                              sample_rows=1000, loaded=loaded, contract=lambda: facts)  # fmt: skip

    same = started_early(SEED)
    assert same["failed"] == 0 and same["contract_started_early"]
    assert {(c["table"], c["column"], c["check"]) for c in same["checks"]
            if "the loader's" in c.get("proof", "")} == from_loads  # fmt: skip
    other = started_early(SEED + 1)
    assert other["failed"] == 0, [c for c in other["checks"] if not c["pass"]]
    decided = {(c["table"], c["column"], c["check"]): c for c in other["checks"]}
    # (the composite keys' walks and picks are the seed's; a dense 1..N key is every seed's)
    seeded = [("partsupp", None, "unique"), ("lineitem", None, "unique"),
              ("lineitem", None, "foreign_key")]  # fmt: skip
    assert all("proof" not in decided[k] for k in seeded)
    assert decided[("lineitem", None, "unique")]["observed"] == {"duplicates": 0}
    lineitem = warehouse.physical_table(KEYED.name, "lineitem").sql(
        dialect=warehouse.sqlglot_dialect
    )
    # An edit made after the load (which a run's own report never sees: the tables are
    # read-only) still shows: the count differs from the ledger's, the exact queries decide.
    execute(f"DELETE FROM {lineitem} WHERE l_linenumber = 1")
    broken = report()
    assert failing(broken) == {("lineitem", None, "row_count")}
    decided = {(c["table"], c["column"], c["check"]): c for c in broken["checks"]}
    assert "proof" not in decided[("lineitem", None, "unique")]
    assert decided[("lineitem", None, "unique")]["observed"] == {"duplicates": 0}
