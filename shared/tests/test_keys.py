"""Composite keys jointly unique without extra columns; multi-column and skewed foreign keys;
keyed permutations."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pyarrow as pa
import pytest

from dwsim_shared.experiment_checks import parse_experiment
from dwsim_shared.generation import generate_shard
from dwsim_shared.generation.permutation import permute, zipf_ranks
from dwsim_shared.runs.plan import plan_shards


def fk(table: str, column: str = "id") -> dict[str, str]:
    return {"references_table": table, "references_column": column}


TPCH = parse_experiment({
    "name": "tpch",
    "tables": [
        {"name": "part", "target_rows": 200, "primary_key": ["p_partkey"],
         "columns": [{"name": "p_partkey", "data_type": "INT"}]},
        {"name": "supplier", "target_rows": 10, "primary_key": ["s_suppkey"],
         "columns": [{"name": "s_suppkey", "data_type": "INT", "min_value": 1, "max_value": 1000}]},
        {"name": "partsupp", "target_rows": 800, "primary_key": ["ps_partkey", "ps_suppkey"], "columns": [
            {"name": "ps_partkey", "data_type": "INT", "foreign_key": fk("part", "p_partkey")},
            {"name": "ps_suppkey", "data_type": "INT", "foreign_key": fk("supplier", "s_suppkey")},
            {"name": "ps_availqty", "data_type": "INT"}]},
        {"name": "orders", "target_rows": 500, "primary_key": ["o_orderkey"],
         "columns": [{"name": "o_orderkey", "data_type": "BIGINT"}]},
        {"name": "lineitem", "target_rows": 3000, "primary_key": ["l_orderkey", "l_linenumber"],
         "foreign_keys": [{"columns": ["l_partkey", "l_suppkey"], "references_table": "partsupp",
                           "references_columns": ["ps_partkey", "ps_suppkey"]}],
         "columns": [
            {"name": "l_orderkey", "data_type": "BIGINT", "foreign_key": fk("orders", "o_orderkey")},
            {"name": "l_partkey", "data_type": "INT"},
            {"name": "l_suppkey", "data_type": "INT"},
            {"name": "l_linenumber", "data_type": "INT", "min_value": 1, "max_value": 7}]},
    ],
})  # fmt: skip


def table(name: str, shard_size: int = 700) -> pa.Table:
    rows = TPCH.table(name).target_rows  # type: ignore[union-attr]
    return pa.concat_tables(
        generate_shard(TPCH, name, seed=3, row_start=p.row_start, row_count=p.row_count)
        for p in plan_shards({name: rows}, shard_size)
    )


def pairs(data: pa.Table, a: str, b: str) -> list[tuple[object, object]]:
    return list(zip(data[a].to_pylist(), data[b].to_pylist(), strict=True))


def test_composite_primary_keys_are_jointly_unique_without_extra_columns() -> None:
    partsupp = table("partsupp")
    assert partsupp.column_names == ["ps_partkey", "ps_suppkey", "ps_availqty"]
    assert len(set(pairs(partsupp, "ps_partkey", "ps_suppkey"))) == 800
    lineitem = table("lineitem")
    keys = pairs(lineitem, "l_orderkey", "l_linenumber")
    assert len(set(keys)) == 3000
    assert {n for _, n in keys} <= set(range(1, 8))


def test_composite_key_components_are_valid_foreign_keys() -> None:
    parts = set(table("part")["p_partkey"].to_pylist())
    suppliers = set(table("supplier")["s_suppkey"].to_pylist())
    partsupp = table("partsupp")
    assert set(partsupp["ps_partkey"].to_pylist()) <= parts
    assert set(partsupp["ps_suppkey"].to_pylist()) <= suppliers
    orders = set(table("orders")["o_orderkey"].to_pylist())
    assert set(table("lineitem")["l_orderkey"].to_pylist()) <= orders


def test_multi_column_foreign_key_points_at_one_parent_row() -> None:
    valid = set(pairs(table("partsupp"), "ps_partkey", "ps_suppkey"))
    references = pairs(table("lineitem"), "l_partkey", "l_suppkey")
    assert set(references) <= valid
    assert len(set(references)) > 600  # spread over many partsupp rows


def test_unique_range_values_are_permuted_not_sequential() -> None:
    suppliers = table("supplier")["s_suppkey"].to_pylist()
    assert len(set(suppliers)) == 10 and all(1 <= s <= 1000 for s in suppliers)
    assert suppliers != sorted(suppliers)


@pytest.mark.parametrize("domain", [1, 2, 3, 10, 1000, 12345, 2**20 + 7])
def test_permute_is_a_bijection(domain: int) -> None:
    values = permute(np.arange(domain), domain, key=42)
    assert sorted(values.tolist()) == list(range(domain))


def test_permute_works_on_huge_domains_and_depends_on_the_key() -> None:
    indices = np.arange(1000, dtype=np.int64) * 997_000_003
    a = permute(indices, 10**18, key=1)
    assert len(set(a.tolist())) == 1000 and a.max() < 10**18
    assert not np.array_equal(a, permute(indices, 10**18, key=2))


def test_zipf_parent_selection_makes_hot_parents() -> None:
    ranks = zipf_ranks(np.random.default_rng(0).random(100_000), 1_000_000_000, 1.5)
    counts = Counter(ranks.tolist())
    assert ranks.max() < 1_000_000_000
    assert counts[0] > counts[1] > counts[3] > 1000  # a few parents take most children
    document = {
        "name": "hot",
        "tables": [
            {"name": "p", "target_rows": 1000, "columns": [{"name": "id", "data_type": "INT", "is_unique": True}]},
            {"name": "c", "target_rows": 20_000, "columns": [{"name": "p_id", "data_type": "INT", "foreign_key": {
                **fk("p"), "parent_selection": {"type": "zipf", "s": 1.3}}}]},
        ],
    }  # fmt: skip
    child = generate_shard(parse_experiment(document), "c", seed=1, row_start=0, row_count=20_000)
    top = Counter(child["p_id"].to_pylist()).most_common(1)[0][1]
    assert top > 2_000  # uniform would give about 20 per parent
