"""The experiment model: shapes, paths in messages, whole-document checks."""

from __future__ import annotations

from typing import Any

import pytest

from dwsim_shared.errors import InvalidInput
from dwsim_shared.experiment import Experiment, format_loc
from dwsim_shared.experiment_checks import parse_experiment


def doc(*columns: dict[str, Any], rows: int = 100, **table: Any) -> dict[str, Any]:
    return {
        "name": "shop",
        "tables": [{"name": "t", "target_rows": rows, "columns": list(columns), **table}],
    }


def problems(document: dict[str, Any]) -> list[dict[str, str]]:
    with pytest.raises(InvalidInput) as caught:
        parse_experiment(document)
    return caught.value.details["problems"]


def test_format_loc() -> None:
    assert format_loc(("tables", 2, "columns", 5, "max_value")) == "tables[2].columns[5].max_value"
    assert format_loc(()) == "$"


def test_type_aliases_are_canonical() -> None:
    exp = parse_experiment(
        doc({"name": "a", "data_type": "integer"}, {"name": "b", "data_type": "Text"})
    )
    assert [c.data_type for c in exp.tables[0].columns] == ["INT", "VARCHAR"]


def test_unknown_type_names_the_path_and_the_choices() -> None:
    [problem] = problems(doc({"name": "a", "data_type": "GEOGRAPHY"}))
    assert problem["path"] == "tables[0].columns[0].data_type"
    assert "GEOGRAPHY" in problem["message"] and "BIGINT" in problem["message"]


def test_bad_experiment_name() -> None:
    document = doc({"name": "a", "data_type": "INT"})
    document["name"] = "Shop-1"
    assert problems(document)[0]["path"] == "name"


def test_min_greater_than_max() -> None:
    [problem] = problems(doc({"name": "a", "data_type": "INT", "min_value": 5, "max_value": 1}))
    assert problem["path"].startswith("tables[0].columns[0]")
    assert "min_value 5 is greater than max_value 1" in problem["message"]


def test_weights_must_match_choices() -> None:
    [problem] = problems(
        doc({"name": "a", "data_type": "VARCHAR", "choices": ["x", "y"], "weights": [1]})
    )
    assert "1 weights for 2 choices" in problem["message"]


def test_unique_int_range_smaller_than_rows() -> None:
    [problem] = problems(
        doc(
            {"name": "a", "data_type": "INT", "is_unique": True, "min_value": 1, "max_value": 50},
            rows=100,
        )
    )
    assert problem["path"] == "tables[0].columns[0].max_value"
    assert (
        "t.a" in problem["message"]
        and "50 values" in problem["message"]
        and "100" in problem["message"]
    )


def test_unique_date_range_smaller_than_rows() -> None:
    column = {
        "name": "d",
        "data_type": "DATE",
        "is_unique": True,
        "date_start": "2024-01-01",
        "date_end": "2024-01-10",
    }
    [problem] = problems(doc(column, rows=11))
    assert "10 days" in problem["message"]


def test_short_varchar_cannot_hold_unique_values() -> None:
    [problem] = problems(
        doc(
            {"name": "code", "data_type": "VARCHAR", "varchar_length": 2, "is_unique": True},
            rows=10_000,
        )
    )
    assert "VARCHAR(2)" in problem["message"] and "1296" in problem["message"]


def test_primary_key_column_counts_as_unique() -> None:
    document = doc({"name": "id", "data_type": "SMALLINT"}, rows=40_000, primary_key=["id"])
    assert (
        "does not fit" in problems(document)[0]["message"]
        or "holds" in problems(document)[0]["message"]
    )


def test_foreign_key_checks() -> None:
    document = {
        "name": "shop",
        "tables": [
            {"name": "p", "columns": [{"name": "id", "data_type": "INT", "is_unique": True},
                                      {"name": "code", "data_type": "INT"}]},
            {"name": "c", "columns": [
                {"name": "a", "data_type": "INT", "foreign_key": {"references_table": "nope", "references_column": "id"}},
                {"name": "b", "data_type": "INT", "foreign_key": {"references_table": "p", "references_column": "zzz"}},
                {"name": "d", "data_type": "INT", "foreign_key": {"references_table": "p", "references_column": "code"}},
            ]},
        ],
    }  # fmt: skip
    found = problems(document)
    assert [p["path"] for p in found] == [f"tables[1].columns[{i}].foreign_key" for i in range(3)]
    assert "missing table 'nope'" in found[0]["message"]
    assert "missing column p.zzz" in found[1]["message"]
    assert "not unique" in found[2]["message"]


def test_faker_rule_near_miss_gets_a_suggestion() -> None:
    [problem] = problems(doc({"name": "e", "data_type": "VARCHAR", "faker_rule": "emial"}))
    assert problem["path"] == "tables[0].columns[0].faker_rule"
    assert "did you mean 'email'" in problem["message"]


def test_unknown_locale() -> None:
    document = {**doc({"name": "a", "data_type": "INT"}), "locale": "en_XX"}
    assert problems(document)[0]["path"] == "locale"


def test_duplicate_names() -> None:
    found = problems(doc({"name": "a", "data_type": "INT"}, {"name": "A", "data_type": "INT"}))
    assert found[0]["path"] == "tables[0].columns[1].name"


def test_null_rate_on_required_column_is_refused() -> None:
    assert (
        "null_rate"
        in problems(doc({"name": "a", "data_type": "INT", "null_rate": 0.5}))[0]["message"]
    )


def test_nullable_foreign_key_makes_the_column_nullable() -> None:
    document = {
        "name": "x",
        "tables": [
            {"name": "p", "columns": [{"name": "id", "data_type": "INT", "is_unique": True}]},
            {"name": "c", "columns": [{"name": "p_id", "data_type": "INT", "foreign_key": {
                "references_table": "p", "references_column": "id", "nullable": True}}]},
        ],
    }  # fmt: skip
    column = parse_experiment(document).tables[1].columns[0]
    assert column.nullable and column.effective_null_rate == pytest.approx(0.1)


def test_json_round_trip_is_stable() -> None:
    document = doc(
        {"name": "id", "data_type": "BIGINT", "is_unique": True},
        {"name": "score", "data_type": "FLOAT", "min_value": 0, "max_value": 1,
         "distribution": {"type": "beta", "parameters": {"alpha": 2, "beta": 5}}},
        {"name": "d", "data_type": "DATE", "date_start": "2020-01-01", "date_end": "2020-12-31"},
    )  # fmt: skip
    first = parse_experiment(document).to_json()
    assert Experiment.model_validate(first).to_json() == first
    assert first["tables"][0]["columns"][2]["date_start"] == "2020-01-01"


def test_char_too_short_for_unique_values() -> None:
    [problem] = problems(doc({"name": "c", "data_type": "CHAR(1)", "is_unique": True}, rows=37))
    assert problem["path"] == "tables[0].columns[0].varchar_length"
    assert (
        "CHAR(1) holds at most 36 distinct values, fewer than target_rows 37" in problem["message"]
    )


def test_choice_longer_than_the_column() -> None:
    [problem] = problems(
        doc({"name": "tier", "data_type": "VARCHAR(5)", "choices": ["free", "enterprise"]})
    )
    assert problem["path"] == "tables[0].columns[0].choices[1]"
    assert "'enterprise' is 10 characters, longer than VARCHAR(5)" in problem["message"]


def test_date_start_after_end_names_the_dates() -> None:
    [problem] = problems(
        doc(
            {"name": "d", "data_type": "DATE", "date_start": "2024-05-01", "date_end": "2024-01-01"}
        )
    )
    assert problem["path"] == "tables[0].columns[0].date_end"
    assert "2024-05-01 is after date_end 2024-01-01" in problem["message"]


@pytest.mark.parametrize(
    ("distribution", "expected"),
    [
        ({"type": "normal", "parameters": {"mean": 1, "stddev": 0}}, "stddev must be > 0, not 0"),
        ({"type": "beta", "parameters": {"alpha": -1, "beta": 2}}, "alpha must be > 0, not -1"),
        ({"type": "zipf", "parameters": {"s": 0.5}}, "zipf parameter s must be > 1, not 0.5"),
        (
            {"type": "exponential", "parameters": {"lambda": 2}},
            "exponential takes parameters rate, scale, not lambda",
        ),
        ({"type": "gamma"}, "Input should be"),
    ],
)
def test_invalid_distribution_parameters(distribution: dict[str, Any], expected: str) -> None:
    found = problems(doc({"name": "x", "data_type": "FLOAT", "distribution": distribution}))
    assert found[0]["path"].startswith("tables[0].columns[0].distribution")
    assert expected in found[0]["message"]


def cycle_document(nullable_link: bool) -> dict[str, Any]:
    def ref(table: str, nullable: bool = False) -> dict[str, Any]:
        return {"name": f"{table}_id", "data_type": "INT", "required": not nullable,
                "foreign_key": {"references_table": table, "references_column": "id", "nullable": nullable}}  # fmt: skip

    def key() -> dict[str, Any]:
        return {"name": "id", "data_type": "INT", "is_unique": True}

    return {"name": "cyc", "tables": [
        {"name": "a", "columns": [key(), ref("b")]},
        {"name": "b", "columns": [key(), ref("c")]},
        {"name": "c", "columns": [key(), ref("a", nullable_link)]},
        {"name": "emp", "columns": [key(), ref("emp", True)]},  # a nullable self-reference is fine
    ]}  # fmt: skip


def test_cycle_of_required_foreign_keys_is_refused_and_a_nullable_link_breaks_it() -> None:
    [problem] = problems(cycle_document(nullable_link=False))
    assert problem["path"] == "tables[0]"
    assert "required foreign keys form a cycle (a -> b -> c -> a)" in problem["message"]
    parse_experiment(cycle_document(nullable_link=True))


def test_required_self_reference_is_a_cycle() -> None:
    document = {"name": "s", "tables": [{"name": "emp", "columns": [
        {"name": "id", "data_type": "INT", "is_unique": True},
        {"name": "boss", "data_type": "INT", "foreign_key": {"references_table": "emp", "references_column": "id"}}]}]}  # fmt: skip
    assert "(emp -> emp)" in problems(document)[0]["message"]


def test_multi_column_foreign_key_must_reference_a_key() -> None:
    document = {"name": "m", "tables": [
        {"name": "p", "primary_key": ["a", "b"], "columns": [
            {"name": "a", "data_type": "INT"}, {"name": "b", "data_type": "INT"}, {"name": "c", "data_type": "INT"}]},
        {"name": "ch", "columns": [{"name": "x", "data_type": "INT"}, {"name": "y", "data_type": "INT"}],
         "foreign_keys": [{"columns": ["x", "y"], "references_table": "p", "references_columns": ["a", "c"]}]},
    ]}  # fmt: skip
    [problem] = problems(document)
    assert problem["path"] == "tables[1].foreign_keys[0]"
    assert "references p.(a, c), which is not unique" in problem["message"]
    document["tables"][1]["foreign_keys"][0]["references_columns"] = ["b", "a"]
    parse_experiment(document)


def test_foreign_key_type_must_match_the_parent() -> None:
    document = {"name": "t", "tables": [
        {"name": "p", "columns": [{"name": "id", "data_type": "INT", "is_unique": True}]},
        {"name": "c", "columns": [{"name": "p_id", "data_type": "VARCHAR", "foreign_key": {
            "references_table": "p", "references_column": "id"}}]},
    ]}  # fmt: skip
    assert "c.p_id is VARCHAR but references p.id of type INT" in problems(document)[0]["message"]


def test_composite_key_too_small_and_overlapping_keys() -> None:
    small = doc({"name": "a", "data_type": "BOOLEAN"}, {"name": "b", "data_type": "INT", "min_value": 1, "max_value": 3},
                rows=7, primary_key=["a", "b"])  # fmt: skip
    assert (
        "key (a, b) of t holds 6 combinations, fewer than target_rows 7"
        in problems(small)[0]["message"]
    )
    overlap = doc(
        *({"name": n, "data_type": "INT"} for n in "abc"),
        primary_key=["a", "b"],
        unique_constraints=[["b", "c"]],
    )
    assert "overlapping multi-column keys" in problems(overlap)[0]["message"]


def test_decimal_ranges_and_scale() -> None:
    found = problems(doc({"name": "m", "data_type": "DECIMAL(5,2)", "max_value": 5000}))
    assert found[0]["path"] == "tables[0].columns[0].max_value"
    assert "does not fit DECIMAL(5,2) (max 999.99)" in found[0]["message"]
    assert (
        "scale 4 is greater than precision 2"
        in problems(doc({"name": "m", "data_type": "DECIMAL", "precision": 2, "scale": 4}))[0][
            "message"
        ]
    )


def test_rules_must_fit_the_type() -> None:
    assert (
        "apply to numeric columns, not VARCHAR"
        in problems(doc({"name": "s", "data_type": "VARCHAR", "min_value": 1}))[0]["message"]
    )
    assert (
        "sequence needs an integer column"
        in problems(doc({"name": "s", "data_type": "DATE", "sequence": {"start": 1}}))[0]["message"]
    )
    assert "pattern 'AB-{####}' makes 7 characters, longer than VARCHAR(5)" in problems(
        doc({"name": "p", "data_type": "VARCHAR(5)", "pattern": "AB-{####}"}))[0]["message"]  # fmt: skip


def test_type_arguments_in_data_type() -> None:
    exp = parse_experiment(
        doc({"name": "a", "data_type": "NUMBER(12, 3)"}, {"name": "b", "data_type": "varchar(7)"})
    )
    a, b = exp.tables[0].columns
    assert (a.data_type, a.precision, a.scale) == ("DECIMAL", 12, 3)
    assert (b.data_type, b.varchar_length) == ("VARCHAR", 7)
