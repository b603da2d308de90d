"""Any valid model round-trips JSON -> model -> JSON unchanged (property tests), and so does
every model the DDL importer produces."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from dwsim_shared.ddl import import_ddl
from dwsim_shared.errors import InvalidInput
from dwsim_shared.experiment import INTEGER_LIMITS, Experiment
from dwsim_shared.experiment_checks import parse_experiment

CORPUS = Path(__file__).parent / "ddl" / "corpus"
NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True)
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=20)
SCALAR = st.one_of(st.none(), st.booleans(), st.integers(-(10**6), 10**6), TEXT,
                   st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False))  # fmt: skip
FAKER_RULES = ["email", "city", "first_name", "company", "word", "country_code"]
DISTRIBUTIONS: dict[str, st.SearchStrategy[dict[str, float]]] = {
    "uniform": st.just({}),
    "normal": st.fixed_dictionaries({"mean": st.floats(-100, 100), "stddev": st.floats(0.1, 50)}),
    "exponential": st.fixed_dictionaries({"scale": st.floats(0.1, 50)}),
    "beta": st.fixed_dictionaries({"alpha": st.floats(0.1, 5), "beta": st.floats(0.1, 5)}),
    "lognormal": st.fixed_dictionaries({"mean": st.floats(-2, 2), "sigma": st.floats(0.1, 2)}),
    "poisson": st.fixed_dictionaries({"lambda": st.floats(0.1, 50)}),
    "zipf": st.fixed_dictionaries({"s": st.floats(1.1, 3)}),
}
DATES = st.dates(dt.date(1950, 1, 1), dt.date(2030, 12, 31))


@st.composite
def ordered(draw: st.DrawFn, values: st.SearchStrategy[Any]) -> tuple[Any, Any]:
    low, high = draw(values), draw(values)
    return (low, high) if low <= high else (high, low)


@st.composite
def distributions(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(sorted(DISTRIBUTIONS)))
    return {"type": kind, "parameters": draw(DISTRIBUTIONS[kind])}


@st.composite
def numeric_rules(draw: st.DrawFn, kind: str) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if kind in INTEGER_LIMITS:
        limit = INTEGER_LIMITS[kind]
        bounds = ordered(st.integers(-limit - 1, limit))
        if draw(st.booleans()):
            fields["sequence"] = {"start": draw(st.integers(0, 1000)),
                                  "step": draw(st.integers(1, 10))}  # fmt: skip
    elif kind == "DECIMAL":
        precision = draw(st.integers(1, 38))
        scale = draw(st.integers(0, min(precision, 6)))
        fields.update(precision=precision, scale=scale)
        largest = min(10 ** (precision - scale) - 10.0**-scale, 1e9)
        bounds = ordered(st.floats(-largest, largest, allow_nan=False))
    else:
        bounds = ordered(st.floats(-1e9, 1e9, allow_nan=False))
    if draw(st.booleans()):
        fields["min_value"], fields["max_value"] = draw(bounds)
    if draw(st.booleans()):
        fields["distribution"] = draw(distributions())
    return fields


@st.composite
def string_rules(draw: st.DrawFn) -> dict[str, Any]:
    length = draw(st.integers(4, 200))
    fields: dict[str, Any] = {"varchar_length": length}
    rule = draw(st.sampled_from(["none", "faker", "choices", "pattern"]))
    if rule == "faker":
        fields["faker_rule"] = draw(st.sampled_from(FAKER_RULES))
    elif rule == "choices":
        choices = draw(st.lists(st.text("abcxyz", min_size=1, max_size=4), min_size=1, max_size=5))
        fields["choices"] = choices
        if draw(st.booleans()):
            fields["weights"] = draw(st.lists(st.floats(0.1, 10), min_size=len(choices),
                                              max_size=len(choices)))  # fmt: skip
    elif rule == "pattern":
        fields["pattern"] = "ID-{" + "#" * draw(st.integers(1, length - 3)) + "}"
    return fields


@st.composite
def columns(draw: st.DrawFn, name: str) -> dict[str, Any]:
    kind = draw(st.sampled_from(["SMALLINT", "INT", "BIGINT", "DECIMAL", "FLOAT", "VARCHAR",
                                 "CHAR", "DATE", "TIMESTAMP", "TIMESTAMPTZ", "TIME", "BOOLEAN",
                                 "VARIANT", "SUPER", "JSON", "ARRAY", "OBJECT"]))  # fmt: skip
    col: dict[str, Any] = {"name": name, "data_type": kind, "required": draw(st.booleans())}
    if kind in ("SMALLINT", "INT", "BIGINT", "DECIMAL", "FLOAT"):
        col.update(draw(numeric_rules(kind)))
    elif kind in ("VARCHAR", "CHAR"):
        col.update(draw(string_rules()))
    elif kind in ("DATE", "TIMESTAMP", "TIMESTAMPTZ") and draw(st.booleans()):
        col["date_start"], col["date_end"] = (d.isoformat() for d in draw(ordered(DATES)))
    if not col["required"] and draw(st.booleans()):
        col["null_rate"] = draw(st.floats(0, 1))
    if draw(st.booleans()):
        col["default"] = draw(SCALAR)
    if draw(st.booleans()):
        col["source_type"] = kind
    if draw(st.booleans()):
        col["inferred"] = draw(st.lists(st.sampled_from(["faker_rule", "min_value"]), max_size=2))
    return col


@st.composite
def tables(draw: st.DrawFn, index: int, parents: list[str]) -> dict[str, Any]:
    key: dict[str, Any] = {"name": "id", "data_type": "BIGINT", "required": True}
    if draw(st.booleans()):
        key["sequence"] = {"start": draw(st.integers(1, 100)), "step": draw(st.integers(1, 5))}
    code = {"name": "code", "data_type": "VARCHAR", "varchar_length": 20, "required": True}
    cols = [key, code]
    foreign_keys = []
    for parent in parents:
        link = draw(st.sampled_from(["none", "column", "table"]))
        nullable = draw(st.booleans())
        if link == "column":
            cols.append({"name": f"{parent}_id", "data_type": "BIGINT", "required": not nullable,
                         "foreign_key": {"references_table": parent, "references_column": "id",
                                         "nullable": nullable}})  # fmt: skip
            if draw(st.booleans()):
                selection = draw(st.sampled_from([{"type": "uniform"}, {"type": "zipf", "s": 1.5}]))
                cols[-1]["foreign_key"]["parent_selection"] = selection
        elif link == "table":
            cols += [{"name": f"{parent}_id", "data_type": "BIGINT"},
                     {"name": f"{parent}_code", "data_type": "VARCHAR", "varchar_length": 20}]  # fmt: skip
            foreign_keys.append({"columns": [f"{parent}_id", f"{parent}_code"],
                                 "references_table": parent, "references_columns": ["id", "code"],
                                 "nullable": nullable})  # fmt: skip
    count = draw(st.integers(0, 4))
    cols += [draw(columns(f"c{i}")) for i in range(count)]
    table: dict[str, Any] = {
        "name": f"t{index}",
        "target_rows": draw(st.integers(1, 500)),
        "columns": cols,
        "primary_key": ["id"],
        "unique_constraints": [["id", "code"]],
    }
    if foreign_keys:
        table["foreign_keys"] = foreign_keys
    if draw(st.booleans()):
        table["warehouse_options"] = draw(st.dictionaries(NAMES, SCALAR, max_size=3))
    if draw(st.booleans()):
        table["warnings"] = draw(st.lists(TEXT, max_size=2))
    return table


@st.composite
def experiments(draw: st.DrawFn) -> Experiment:
    count = draw(st.integers(1, 4))
    names: list[str] = []
    docs = []
    for i in range(count):
        docs.append(draw(tables(i, list(names))))
        names.append(f"t{i}")
    document: dict[str, Any] = {
        "name": draw(NAMES),
        "source_dialect": draw(st.sampled_from(["redshift", "snowflake", "postgres", "sqlite"])),
        "locale": draw(st.sampled_from(["en_US", "de_DE", "fr_FR"])),
        "tables": docs,
    }
    if draw(st.booleans()):
        document["target_warehouse"] = draw(st.sampled_from(["sqlite", "redshift", "snowflake"]))
    if draw(st.booleans()):
        document["seed"] = draw(st.integers(0, 2**63 - 1))
    if draw(st.booleans()):
        document["description"] = draw(TEXT)
    try:
        return parse_experiment(document)
    except InvalidInput:
        assume(False)
        raise


ROUNDTRIP = settings(max_examples=100, deadline=None,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])  # fmt: skip


@ROUNDTRIP
@given(experiments())
def test_json_model_json_is_unchanged(exp: Experiment) -> None:
    document = exp.to_json()
    assert Experiment.model_validate(document).to_json() == document


@ROUNDTRIP
@given(experiments())
def test_the_document_survives_serialization_and_full_validation(exp: Experiment) -> None:
    document = exp.to_json()
    over_the_wire = json.loads(json.dumps(document))
    assert parse_experiment(over_the_wire).to_json() == document


@pytest.mark.parametrize(
    "sql_path",
    [p for p in sorted(CORPUS.glob("*.sql")) if not p.with_name(f"{p.stem}.expected_error.json").exists()],
    ids=lambda p: p.stem,
)  # fmt: skip
def test_imported_models_round_trip(sql_path: Path) -> None:
    dialect = sql_path.stem.split("_", 1)[0]
    document = import_ddl(sql_path.read_text(), dialect, name="imported").experiment.to_json()
    assert parse_experiment(json.loads(json.dumps(document))).to_json() == document
