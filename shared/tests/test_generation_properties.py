"""Property tests over random valid experiments: every rule holds on every row, in any sharding.

Checks are computed from the generated data independently of the generator's own code
(a foreign key is checked against the parent table's generated values, not its key function).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from scipy import stats

from dwsim_shared.errors import InvalidInput
from dwsim_shared.experiment import Experiment
from dwsim_shared.experiment_checks import parse_experiment
from dwsim_shared.generation import generate_shard, write_shard_parquet
from dwsim_shared.runs.plan import plan_shards

TYPES = ["SMALLINT", "INT", "BIGINT", "DECIMAL", "FLOAT", "VARCHAR", "CHAR", "DATE",
         "TIMESTAMP", "TIMESTAMPTZ", "BOOLEAN", "VARIANT"]  # fmt: skip


@st.composite
def columns(draw: st.DrawFn, index: int) -> dict[str, Any]:
    kind = draw(st.sampled_from(TYPES))
    col: dict[str, Any] = {"name": f"c{index}", "data_type": kind}
    if draw(st.booleans()):
        col["required"] = False
        col["null_rate"] = draw(st.sampled_from([0.0, 0.05, 0.3, 1.0]))
    if kind in ("SMALLINT", "INT", "BIGINT", "FLOAT", "DECIMAL") and draw(st.booleans()):
        low = draw(st.integers(-1000, 1000))
        col.update(min_value=low, max_value=low + draw(st.integers(0, 5000)))
    if kind == "DECIMAL":
        col["precision"] = draw(st.integers(6, 18))
        col["scale"] = draw(st.integers(0, 4))
    if kind in ("VARCHAR", "CHAR"):
        col["varchar_length"] = draw(st.integers(3, 40))
        rule = draw(st.sampled_from([None, "faker", "choices", "pattern"]))
        if rule == "faker":
            col["faker_rule"] = draw(st.sampled_from(["first_name", "city", "email", "word"]))
        elif rule == "choices":
            col["choices"] = ["a", "bb", "ccc"]
            col["weights"] = [1, 2, 3]
        elif rule == "pattern":
            col["pattern"] = "X-{##}"
    if kind in ("DATE", "TIMESTAMP", "TIMESTAMPTZ") and draw(st.booleans()):
        start = dt.date(2000, 1, 1) + dt.timedelta(days=draw(st.integers(0, 9000)))
        col.update(
            date_start=start.isoformat(),
            date_end=(start + dt.timedelta(days=draw(st.integers(0, 400)))).isoformat(),
        )
    if (
        kind in ("INT", "BIGINT", "VARCHAR", "DATE")
        and "choices" not in col
        and draw(st.booleans())
    ):
        col["is_unique"] = True
    return col


@st.composite
def experiments(draw: st.DrawFn) -> Experiment:
    tables: list[dict[str, Any]] = []
    for t in range(draw(st.integers(1, 3))):
        cols = [{"name": "id", "data_type": "BIGINT"}]
        cols += [draw(columns(i)) for i in range(draw(st.integers(1, 5)))]
        table: dict[str, Any] = {"name": f"t{t}", "target_rows": draw(st.integers(0, 2500)),
                                 "primary_key": ["id"], "columns": cols}  # fmt: skip
        if t > 0 and draw(st.booleans()):
            parent = draw(st.integers(0, t - 1))
            nullable = draw(st.booleans())
            cols.append({"name": "parent_id", "data_type": "BIGINT", "required": not nullable,
                         "foreign_key": {"references_table": f"t{parent}", "references_column": "id",
                                         "nullable": nullable}})  # fmt: skip
        if draw(st.booleans()):
            table["unique_constraints"] = [["id", cols[1]["name"]]]
        tables.append(table)
    try:
        return parse_experiment(
            {"name": "prop", "seed": draw(st.integers(0, 2**40)), "tables": tables}
        )
    except InvalidInput:
        assume(False)
        raise


def generate_all(exp: Experiment, shard_size: int) -> dict[str, pa.Table]:
    out = {}
    for table in exp.tables:
        parts = [
            generate_shard(
                exp, table.name, seed=exp.seed or 0, row_start=p.row_start, row_count=p.row_count
            )
            for p in plan_shards({table.name: table.target_rows}, shard_size)
        ]
        out[table.name] = pa.concat_tables(parts)
    return out


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(exp=experiments(), shard_size=st.integers(7, 3000))
def test_every_rule_holds_on_every_row(exp: Experiment, shard_size: int) -> None:
    data = generate_all(exp, shard_size)
    for table in exp.tables:
        rows = data[table.name]
        assert rows.num_rows == table.target_rows
        for key in table.unique_keys():
            combos = list(zip(*(rows[table.column(k).name].to_pylist() for k in key), strict=True))  # type: ignore[union-attr]
            non_null = [c for c in combos if None not in c]
            assert len(set(non_null)) == len(non_null), f"{table.name} key {key} repeats"
        for col in table.columns:
            values = rows[col.name]
            if not col.nullable:
                assert values.null_count == 0, f"{table.name}.{col.name} has NULLs"
            if col.null_rate == 1.0:
                assert values.null_count == rows.num_rows
            present = pc.drop_null(values)
            if len(present) == 0:
                continue
            if (col.min_value is not None and col.data_type != "DECIMAL") or (
                col.data_type == "DECIMAL" and col.min_value is not None
            ):
                low, high = pc.min_max(present.cast(pa.float64())).values()
                assert col.min_value - 1e-9 <= low.as_py() and high.as_py() <= col.max_value + 1e-9  # type: ignore[operator]
            if col.varchar_length is not None:
                assert pc.max(pc.utf8_length(present)).as_py() <= col.varchar_length
            if col.choices is not None:
                assert set(present.to_pylist()) <= set(col.choices)
            if col.date_start is not None and col.data_type == "DATE":
                assert (
                    col.date_start <= pc.min(present).as_py()
                    and pc.max(present).as_py() <= col.date_end
                )
            if col.foreign_key is not None:
                parent_values = set(data[col.foreign_key.references_table]["id"].to_pylist())
                assert set(present.to_pylist()) <= parent_values


@pytest.mark.parametrize("rate", [0.02, 0.1, 0.5])
def test_null_rate_within_two_percent_at_100k_rows(rate: float) -> None:
    exp = parse_experiment({"name": "nulls", "tables": [{"name": "t", "target_rows": 100_000, "columns": [
        {"name": "v", "data_type": "INT", "required": False, "null_rate": rate}]}]})  # fmt: skip
    data = generate_all(exp, 30_000)["t"]
    assert abs(data["v"].null_count / 100_000 - rate) <= 0.02


def _values(distribution: dict[str, Any], low: float = -1e9, high: float = 1e9) -> np.ndarray:
    exp = parse_experiment({"name": "dist", "seed": 5, "tables": [{"name": "t", "target_rows": 50_000, "columns": [
        {"name": "v", "data_type": "FLOAT", "min_value": low, "max_value": high, "distribution": distribution}]}]})  # fmt: skip
    return generate_all(exp, 20_000)["t"]["v"].to_numpy()


def test_distributions_pass_kolmogorov_smirnov() -> None:
    normal = _values({"type": "normal", "parameters": {"mean": 50, "stddev": 5}})
    assert stats.kstest(normal, stats.norm(50, 5).cdf).pvalue > 0.001
    expo = _values({"type": "exponential", "parameters": {"scale": 3}}, low=0)
    assert stats.kstest(expo, stats.expon(0, 3).cdf).pvalue > 0.001
    beta = _values({"type": "beta", "parameters": {"alpha": 2, "beta": 5}}, low=0, high=1)
    assert stats.kstest(beta, stats.beta(2, 5).cdf).pvalue > 0.001
    uniform = _values({"type": "uniform"}, low=10, high=20)
    assert stats.kstest(uniform, stats.uniform(10, 10).cdf).pvalue > 0.001
    lognormal = _values({"type": "lognormal", "parameters": {"mean": 1, "sigma": 0.5}}, low=0)
    assert stats.kstest(lognormal, stats.lognorm(0.5, scale=np.exp(1)).cdf).pvalue > 0.001
    # The wrong law is rejected: the test has power.
    assert stats.kstest(normal, stats.norm(51, 5).cdf).pvalue < 0.001


DETERMINISM = parse_experiment({
    "name": "det",
    "tables": [
        {"name": "p", "target_rows": 30_000, "primary_key": ["id"], "columns": [
            {"name": "id", "data_type": "BIGINT"},
            {"name": "email", "data_type": "VARCHAR", "varchar_length": 60, "faker_rule": "email", "is_unique": True},
            {"name": "score", "data_type": "FLOAT", "distribution": {"type": "normal", "parameters": {"mean": 1, "stddev": 2}}},
            {"name": "day", "data_type": "DATE", "required": False}]},
        {"name": "c", "target_rows": 50_000, "columns": [
            {"name": "p_id", "data_type": "BIGINT", "foreign_key": {"references_table": "p", "references_column": "id"}}]},
    ],
})  # fmt: skip


def _shard_digest(job: tuple[str, int, int, str]) -> tuple[str, int, str]:
    table, start, count, folder = job
    path = Path(folder) / f"{table}-{start}.parquet"
    write_shard_parquet(
        generate_shard(DETERMINISM, table, seed=77, row_start=start, row_count=count), path
    )
    return table, start, hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_bytes_whatever_the_worker_count_and_order(tmp_path: Path) -> None:
    jobs = [
        (p.table, p.row_start, p.row_count) for p in plan_shards({"p": 30_000, "c": 50_000}, 10_000)
    ]
    one = tmp_path / "one"
    one.mkdir()
    sequential = {(t, s): d for t, s, d in map(_shard_digest, [(*j, str(one)) for j in jobs])}
    two = tmp_path / "two"
    two.mkdir()
    with ProcessPoolExecutor(max_workers=2) as pool:
        parallel = {
            (t, s): d
            for t, s, d in pool.map(_shard_digest, [(*j, str(two)) for j in reversed(jobs)])
        }
    assert parallel == sequential
