"""The experiment model: shapes, paths in messages, whole-document checks."""

from __future__ import annotations

from typing import Any

import pytest

from dwsim_shared.errors import InvalidInput
from dwsim_shared.experiment import Experiment, format_loc, parse_experiment


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
