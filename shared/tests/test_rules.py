"""Each rule kind on its own (unit and hypothesis property tests), the registry's refusals,
the plan's digest, and the issue's three reproductions as regression tests."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dwsim_shared.errors import InvalidInput
from dwsim_shared.experiment import Column, Experiment
from dwsim_shared.experiment_checks import parse_experiment
from dwsim_shared.generation import generate_shard
from dwsim_shared.generation.plan import compile_plan
from dwsim_shared.generation.rules import RULE_KINDS, select_rule
from dwsim_shared.generation.rules.choices import distinct_choices
from dwsim_shared.generation.rules.composite import key_domains


def experiment(*columns: dict[str, Any], rows: int = 200, **table: Any) -> Experiment:
    return parse_experiment({"name": "r", "tables": [
        {"name": "t", "target_rows": rows, "columns": list(columns), **table}]})  # fmt: skip


def values(exp: Experiment, column: str, rows: int | None = None) -> list[Any]:
    count = rows if rows is not None else exp.tables[0].target_rows
    data = generate_shard(exp, "t", seed=3, row_start=0, row_count=count)
    return data[column].to_pylist()


def problems(document: dict[str, Any]) -> list[dict[str, str]]:
    with pytest.raises(InvalidInput) as caught:
        parse_experiment(document)
    return caught.value.details["problems"]


# --- the registry -------------------------------------------------------------------------------


@pytest.mark.parametrize(("fields", "kind"), [
    ({"data_type": "INT", "sequence": {"start": 5}}, "sequence"),
    ({"data_type": "VARCHAR", "choices": ["a"]}, "choices"),
    ({"data_type": "VARCHAR", "pattern": "A-{##}"}, "pattern"),
    ({"data_type": "VARCHAR", "faker_rule": "email"}, "faker"),
    ({"data_type": "FLOAT", "distribution": {"type": "normal"}}, "distribution"),
    ({"data_type": "INT", "min_value": 1, "max_value": 3}, "range"),
    ({"data_type": "INT"}, "range"),
    ({"data_type": "DATE"}, "date_range"),
    ({"data_type": "TIME"}, "date_range"),
    ({"data_type": "BOOLEAN"}, "boolean"),
    ({"data_type": "CHAR(3)"}, "text"),
    ({"data_type": "VARIANT"}, "semi_structured"),
    ({"data_type": "INT", "foreign_key": {"references_table": "p", "references_column": "id"}}, "foreign_key"),
])  # fmt: skip
def test_each_rule_is_selected_by_its_fields(fields: dict[str, Any], kind: str) -> None:
    rule = select_rule(Column.model_validate({"name": "c", **fields}))
    assert rule.kind == kind and isinstance(rule, RULE_KINDS[kind])


def test_int_with_choices_and_sequence_is_refused_with_its_path() -> None:
    found = problems({"name": "r", "tables": [{"name": "t", "columns": [
        {"name": "id", "data_type": "INT", "choices": [1, 2], "sequence": {"start": 1}}]}]})  # fmt: skip
    assert found == [{"path": "tables[0].columns[0].choices",
                      "message": "t.id: sequence and choices both decide this column's values; keep one"}]  # fmt: skip


def test_bounds_a_value_list_would_ignore_are_refused() -> None:
    found = problems({"name": "r", "tables": [{"name": "t", "columns": [
        {"name": "n", "data_type": "INT", "choices": [1, 2], "max_value": 9}]}]})  # fmt: skip
    assert found[0]["path"] == "tables[0].columns[0].max_value"


def test_a_sequence_outside_its_bounds_is_refused() -> None:
    found = problems({"name": "r", "tables": [{"name": "t", "target_rows": 50, "columns": [
        {"name": "n", "data_type": "INT", "sequence": {"start": 1}, "max_value": 10}]}]})  # fmt: skip
    assert found[0]["path"] == "tables[0].columns[0].max_value" and "50" in found[0]["message"]


# --- the three reproductions ------------------------------------------------------------------


def test_composite_key_with_duplicated_choices_stays_unique() -> None:
    exp = experiment({"name": "c", "data_type": "VARCHAR", "choices": ["a", "a", "b"]},
                     {"name": "n", "data_type": "INT"}, rows=20, primary_key=["c", "n"])  # fmt: skip
    data = generate_shard(exp, "t", seed=1, row_start=0, row_count=20).to_pylist()
    assert len({(r["c"], r["n"]) for r in data}) == 20
    assert {r["c"] for r in data} == {"a", "b"}


def test_duplicated_choices_too_few_for_a_key_are_refused() -> None:
    found = problems({"name": "r", "tables": [{"name": "t", "target_rows": 3, "primary_key": ["c"],
                      "columns": [{"name": "c", "data_type": "VARCHAR", "choices": ["a", "a", "b"]}]}]})  # fmt: skip
    assert "2 distinct choices for 3 rows" in found[0]["message"]


def test_unique_char_columns_get_codes_of_exactly_their_length() -> None:
    exp = experiment({"name": "code", "data_type": "CHAR(8)", "is_unique": True},
                     {"name": "big", "data_type": "CHAR(20)", "is_unique": True}, rows=5000)  # fmt: skip
    for column, width in (("code", 8), ("big", 20)):
        got = values(exp, column)
        assert {len(v) for v in got} == {width} and len(set(got)) == 5000


# --- rule properties (hypothesis) ---------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(start=st.integers(-1000, 1000), step=st.integers(1, 50).flatmap(lambda s: st.sampled_from([s, -s])),
       rows=st.integers(1, 300))  # fmt: skip
def test_sequence_values_are_start_plus_index_times_step(start: int, step: int, rows: int) -> None:
    exp = experiment(
        {"name": "s", "data_type": "BIGINT", "sequence": {"start": start, "step": step}}, rows=rows
    )
    assert values(exp, "s") == [start + i * step for i in range(rows)]


@settings(max_examples=40, deadline=None)
@given(low=st.integers(-10_000, 10_000), span=st.integers(0, 5_000), rows=st.integers(1, 400))
def test_unique_ranges_are_permutations_within_bounds(low: int, span: int, rows: int) -> None:
    rows = min(rows, span + 1)
    exp = experiment({"name": "k", "data_type": "INT", "min_value": low, "max_value": low + span,
                      "is_unique": True}, rows=rows)  # fmt: skip
    got = values(exp, "k")
    assert len(set(got)) == rows and all(low <= v <= low + span for v in got)


@settings(max_examples=40, deadline=None)
@given(choices=st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=1, max_size=8))
def test_choices_take_only_listed_values_and_keys_never_repeat(choices: list[str]) -> None:
    distinct = distinct_choices(choices)
    assert set(distinct) == set(choices) and len(distinct) == len(set(choices))
    exp = experiment({"name": "c", "data_type": "VARCHAR", "choices": choices}, rows=100)
    assert set(values(exp, "c")) <= set(choices)
    keyed = experiment({"name": "c", "data_type": "VARCHAR", "choices": choices, "is_unique": True},
                       rows=len(distinct))  # fmt: skip
    assert sorted(values(keyed, "c")) == sorted(distinct)


@settings(max_examples=30, deadline=None)
@given(pattern=st.text(alphabet="#?*-AB", min_size=1, max_size=8))
def test_patterns_have_their_width_and_unique_ones_never_repeat(pattern: str) -> None:
    from dwsim_shared.generation.patterns import pattern_capacity, pattern_width

    rows = min(50, pattern_capacity(pattern))
    exp = experiment(
        {"name": "p", "data_type": "VARCHAR", "pattern": pattern, "is_unique": True}, rows=rows
    )
    got = values(exp, "p")
    assert {len(v) for v in got} == {pattern_width(pattern)} and len(set(got)) == rows


@settings(max_examples=30, deadline=None)
@given(law=st.sampled_from(["normal", "exponential", "beta", "lognormal", "poisson", "zipf", "uniform"]),
       low=st.integers(-50, 50), span=st.integers(1, 500))  # fmt: skip
def test_distributions_stay_in_their_range(law: str, low: int, span: int) -> None:
    exp = experiment({"name": "x", "data_type": "FLOAT", "min_value": low, "max_value": low + span,
                      "distribution": {"type": law}}, rows=500)  # fmt: skip
    got = np.array(values(exp, "x"))
    assert got.min() >= low and got.max() <= low + span


@settings(max_examples=30, deadline=None)
@given(days=st.integers(0, 3000), rows=st.integers(1, 300))
def test_dates_stay_in_their_range_and_unique_ones_never_repeat(days: int, rows: int) -> None:
    import datetime as dt

    start = dt.date(2021, 3, 1)
    end = start + dt.timedelta(days=days)
    rows = min(rows, days + 1)
    exp = experiment({"name": "d", "data_type": "DATE", "date_start": str(start), "date_end": str(end),
                      "is_unique": True}, {"name": "t", "data_type": "TIMESTAMP", "date_start": str(start),
                      "date_end": str(end)}, rows=rows)  # fmt: skip
    got = values(exp, "d")
    assert len(set(got)) == rows and all(start <= d <= end for d in got)
    assert all(start <= t.date() <= end for t in values(exp, "t"))


@settings(max_examples=25, deadline=None)
@given(rule=st.sampled_from(["email", "city", "word"]), length=st.integers(6, 40))
def test_faker_and_text_values_fit_their_length_and_keys_never_repeat(
    rule: str, length: int
) -> None:
    exp = experiment({"name": "f", "data_type": f"VARCHAR({length})", "faker_rule": rule},
                     {"name": "u", "data_type": f"VARCHAR({length})", "faker_rule": rule, "is_unique": True},
                     {"name": "w", "data_type": f"VARCHAR({length})"}, rows=300)  # fmt: skip
    for column in ("f", "u", "w"):
        assert max(len(v) for v in values(exp, column)) <= length
    assert len(set(values(exp, "u"))) == 300


def test_booleans_and_documents() -> None:
    exp = experiment({"name": "b", "data_type": "BOOLEAN"}, {"name": "j", "data_type": "VARIANT"},
                     {"name": "a", "data_type": "ARRAY"}, rows=400)  # fmt: skip
    assert set(values(exp, "b")) == {True, False}
    assert all(v.startswith('{"id": ') for v in values(exp, "j"))
    assert all(v.startswith("[") for v in values(exp, "a"))


def test_a_unique_foreign_key_uses_each_parent_once() -> None:
    exp = parse_experiment({"name": "r", "tables": [
        {"name": "p", "target_rows": 100, "columns": [{"name": "id", "data_type": "INT", "is_unique": True}]},
        {"name": "t", "target_rows": 100, "primary_key": ["pid"], "columns": [
            {"name": "pid", "data_type": "INT", "foreign_key": {"references_table": "p", "references_column": "id"}}]},
    ]})  # fmt: skip
    parents = set(generate_shard(exp, "p", seed=3, row_start=0, row_count=100)["id"].to_pylist())
    assert set(values(exp, "pid")) == parents


# --- composite keys that spread ----------------------------------------------------------------


def test_a_date_in_a_composite_key_spreads_over_its_default_years() -> None:
    exp = parse_experiment({"name": "r", "tables": [
        {"name": "s", "target_rows": 200, "columns": [{"name": "id", "data_type": "INT", "is_unique": True}]},
        {"name": "p", "target_rows": 500, "columns": [{"name": "id", "data_type": "INT", "is_unique": True}]},
        {"name": "t", "target_rows": 300_000, "primary_key": ["sid", "pid", "day"], "columns": [
            {"name": "sid", "data_type": "INT", "foreign_key": {"references_table": "s", "references_column": "id"}},
            {"name": "pid", "data_type": "INT", "foreign_key": {"references_table": "p", "references_column": "id"}},
            {"name": "day", "data_type": "DATE"}]},
    ]})  # fmt: skip
    data = generate_shard(exp, "t", seed=3, row_start=0, row_count=300_000)
    assert pc.count_distinct(data["day"]).as_py() > 1500  # was 3: the key space filled in order
    assert (
        pc.count_distinct(data["sid"]).as_py() == 200
        and pc.count_distinct(data["pid"]).as_py() == 500
    )
    keys = pc.binary_join_element_wise(
        *(data[c].cast("string") for c in ("sid", "pid", "day")), "|"
    )
    assert pc.count_distinct(keys).as_py() == 300_000


def test_key_domains_keep_unbounded_columns_as_before() -> None:
    assert key_domains([None, None], [None, None], 1000) == [1000, 1000]
    assert key_domains([10, None], [None, None], 1000) == [10, 100]
    assert key_domains([2, None], [None, 1827], 10_000) == [2, 1827 * 3]


# --- the plan -----------------------------------------------------------------------------------


def test_the_plan_digest_is_stable_and_changes_with_a_rule() -> None:
    document = {"name": "r", "tables": [{"name": "t", "target_rows": 10, "columns": [
        {"name": "n", "data_type": "INT", "min_value": 1, "max_value": 9}]}]}  # fmt: skip
    first, again = parse_experiment(document), parse_experiment(document)
    assert compile_plan(first).digest == compile_plan(again).digest
    changed = parse_experiment({**document, "tables": [{**document["tables"][0], "columns": [
        {"name": "n", "data_type": "INT", "min_value": 1, "max_value": 8}]}]})  # fmt: skip
    assert compile_plan(changed).digest != compile_plan(first).digest
    assert compile_plan(first, {"t": 11}).digest != compile_plan(first).digest
    marked = parse_experiment({**document, "tables": [{**document["tables"][0], "columns": [
        {"name": "n", "data_type": "INT", "min_value": 1, "max_value": 9, "inferred": ["min_value"]}]}]})  # fmt: skip
    assert compile_plan(marked).digest == compile_plan(first).digest  # a marker decides nothing


def test_the_plan_holds_rules_domains_and_shards() -> None:
    exp = experiment({"name": "a", "data_type": "BOOLEAN"}, {"name": "b", "data_type": "INT", "min_value": 1,
                     "max_value": 50}, rows=90, primary_key=["a", "b"])  # fmt: skip
    plan = compile_plan(exp, shard_size=40)
    table = plan.table("t")
    assert [c.rule.kind for c in table.columns] == ["boolean", "range"]
    assert table.composite_keys[0].domains == (2, 50)
    assert [(s.row_start, s.row_count) for s in table.shards] == [(0, 40), (40, 40), (80, 10)]


def test_a_key_columns_report_range_follows_its_index_not_the_default_range() -> None:
    plain = select_rule(Column.model_validate({"name": "k", "data_type": "INT"}))
    assert plain.checks(10)[0].expected == {"min": 1, "max": 1_000_000}
    assert plain.checks(10, key_size=1_731_853)[0].expected == {"min": 1, "max": 1_731_853}
    law = select_rule(Column.model_validate({"name": "k", "data_type": "INT", "min_value": 5,
                                             "distribution": {"type": "normal"}}))  # fmt: skip
    assert [c.kind for c in law.checks(10, key_size=7)] == ["range"]
    assert law.checks(10, key_size=7)[0].expected == {"min": 5, "max": 11}
    day = select_rule(Column.model_validate({"name": "d", "data_type": "DATE"}))
    assert day.checks(10, key_size=1827 * 3)[0].expected["max"] == "2035-01-02"
