"""DDL import: a golden corpus of real-looking DDL files, each next to its expected model (or
expected error), and the contract of `import_ddl`.

Corpus layout (`ddl/corpus/`), like sqlglot's fixtures: `<dialect>_<name>.sql`, with
`<stem>.expected.json` (the experiment's `to_json()`) and `<stem>.expected_warnings.json`, or
`<stem>.expected_error.json` (`{"line", "column", "near"}`) for a file with a syntax error.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from dwsim_shared.ddl import SUPPORTED_DIALECTS, import_ddl
from dwsim_shared.errors import BadRequest, InvalidInput
from dwsim_shared.generation import generate_shard

CORPUS = Path(__file__).parent / "ddl" / "corpus"


@dataclass(frozen=True)
class Case:
    """One corpus file and what it should import to."""

    sql_path: Path

    @property
    def stem(self) -> str:
        return self.sql_path.stem

    @property
    def dialect(self) -> str:
        return self.stem.split("_", 1)[0]

    @property
    def sql(self) -> str:
        return self.sql_path.read_text()

    def expected(self, suffix: str) -> Any:
        return json.loads((CORPUS / f"{self.stem}.{suffix}.json").read_text())

    @property
    def broken(self) -> bool:
        return (CORPUS / f"{self.stem}.expected_error.json").exists()

    def run(self) -> Any:
        return import_ddl(self.sql, self.dialect, name=self.stem)


def load_cases(broken: bool) -> list[Any]:
    cases = [Case(p) for p in sorted(CORPUS.glob("*.sql"))]
    return [pytest.param(c, id=c.stem) for c in cases if c.broken == broken]


VALID = load_cases(broken=False)
BROKEN = load_cases(broken=True)


def test_the_corpus_covers_both_dialects() -> None:
    dialects = [p.values[0].dialect for p in VALID]
    assert len(VALID) >= 10
    assert {"redshift", "snowflake"} <= set(dialects)
    assert {p.values[0].dialect for p in BROKEN} >= {"redshift", "snowflake"}


@pytest.mark.parametrize("case", VALID)
def test_valid_ddl_imports_to_the_expected_model(case: Case) -> None:
    result = case.run()
    assert result.experiment.to_json() == case.expected("expected")
    assert result.warnings == case.expected("expected_warnings")


@pytest.mark.parametrize("case", BROKEN)
def test_a_syntax_error_names_line_column_and_text(case: Case) -> None:
    with pytest.raises(BadRequest) as caught:
        case.run()
    error = caught.value
    assert error.status == 400
    assert error.details == case.expected("expected_error")
    assert f"line {error.details['line']}, column {error.details['column']}" in error.message
    line = case.sql.splitlines()[error.details["line"] - 1]
    column = error.details["column"]
    assert line[column - 1 :].startswith(error.details["near"])


# Statements that are not tables: every one must be named (with its line) in a warning.
OTHER_STATEMENT = re.compile(
    r"^(GRANT|INSERT|COPY|ANALYZE|SET|USE|DROP|CREATE (OR REPLACE )?(VIEW|SCHEMA|DATABASE|INDEX|"
    r"EXTENSION))\b",
    re.IGNORECASE | re.MULTILINE,
)


@pytest.mark.parametrize("case", VALID)
def test_every_skipped_statement_is_named_with_its_line(case: Case) -> None:
    warnings = case.run().warnings
    for match in OTHER_STATEMENT.finditer(case.sql):
        line = case.sql.count("\n", 0, match.start()) + 1
        keyword = match.group(1).split()[0].upper()
        assert any(f"skipped {keyword}" in w and f"at line {line}:" in w for w in warnings), (
            f"no warning names the {match.group(1)} at line {line}: {warnings}"
        )


def test_skipped_statement_warnings_say_what_was_skipped() -> None:
    sql = (CORPUS / "redshift_retail_star.sql").read_text()
    warnings = import_ddl(sql, "redshift", name="star").warnings
    assert warnings == [
        "skipped CREATE SCHEMA at line 4: CREATE SCHEMA IF NOT EXISTS retail",
        "skipped GRANT at line 79: GRANT USAGE ON SCHEMA retail TO GROUP analysts",
        "skipped GRANT at line 80: GRANT SELECT ON ALL TABLES IN SCHEMA retail TO GROUP analysts",
        "skipped CREATE VIEW at line 82: CREATE VIEW retail.v_daily_sales AS SELECT "
        "d.full_date, SUM(f.sales_amount) A...",
    ]


@pytest.mark.parametrize("case", VALID)
def test_imported_models_can_be_generated(case: Case) -> None:
    experiment = case.run().experiment
    for table in experiment.tables:
        rows = min(table.target_rows, 20)
        data = generate_shard(experiment, table.name, seed=7, row_start=0, row_count=rows)
        assert data.num_rows == rows
        assert data.column_names == [c.name for c in table.columns]


# --- the contract of import_ddl ----------------------------------------------------------------

SIMPLE = """
CREATE TABLE shop.customers (id INT PRIMARY KEY, email VARCHAR(100));
CREATE TABLE shop.orders (id INT PRIMARY KEY, customer_id INT REFERENCES shop.customers (id));
"""


def test_an_unknown_dialect_names_the_supported_ones() -> None:
    with pytest.raises(InvalidInput) as caught:
        import_ddl(SIMPLE, "bigquery", name="shop")
    assert all(d in caught.value.message for d in SUPPORTED_DIALECTS)


def test_sql_without_create_table_is_refused() -> None:
    with pytest.raises(InvalidInput, match="no CREATE TABLE statement found"):
        import_ddl("CREATE SCHEMA s; GRANT USAGE ON SCHEMA s TO bob;", "redshift", name="shop")


def test_rows_naming_a_missing_table_is_refused() -> None:
    with pytest.raises(InvalidInput, match=r"'custmers'.*did you mean 'customers'"):
        import_ddl(SIMPLE, "redshift", name="shop", rows={"custmers": 10})


def test_rows_target_rows_and_experiment_fields() -> None:
    result = import_ddl(SIMPLE, "Snowflake", name="shop", target_rows=50, rows={"ORDERS": 500},
                        target_warehouse="sqlite", locale="de_DE", seed=42)  # fmt: skip
    exp = result.experiment
    assert [(t.name, t.target_rows) for t in exp.tables] == [("customers", 50), ("orders", 500)]
    assert (exp.source_dialect, exp.target_warehouse, exp.locale, exp.seed) == (
        "snowflake", "sqlite", "de_DE", 42,
    )  # fmt: skip
    assert import_ddl(SIMPLE, "postgres", name="shop").experiment.tables[0].target_rows == 1000


def test_the_physical_table_is_exactly_the_ddl() -> None:
    sql = """CREATE TABLE t (b VARCHAR(10), a NUMBER(10,2) NOT NULL, PRIMARY KEY (a, b));"""
    table = import_ddl(sql, "snowflake", name="shop").experiment.tables[0]
    assert [(c.name, c.data_type, c.source_type) for c in table.columns] == [
        ("b", "VARCHAR", "VARCHAR(10)"), ("a", "DECIMAL", "NUMBER(10,2)"),
    ]  # fmt: skip
    assert table.primary_key == ["a", "b"]
    assert all(c.required for c in table.columns)


def test_identity_columns_are_required_unique_sequences() -> None:
    sql = "CREATE TABLE t (id BIGINT IDENTITY(10, 5), v INT);"
    col = import_ddl(sql, "redshift", name="shop").experiment.tables[0].columns[0]
    assert (col.required, col.is_unique, col.sequence and col.sequence.start) == (True, True, 10)
    assert col.sequence is not None and col.sequence.step == 5


def test_quoted_names_keep_their_case_and_unquoted_names_are_lower_cased() -> None:
    sql = 'CREATE TABLE DB.SCH."MyTable" ("MixedCase" INT, UPPER_COL INT);'
    table = import_ddl(sql, "snowflake", name="shop").experiment.tables[0]
    assert table.name == "MyTable"
    assert [c.name for c in table.columns] == ["MixedCase", "upper_col"]


def test_warnings_of_a_table_are_also_in_the_result() -> None:
    sql = "CREATE TABLE t (id INT, p INT REFERENCES elsewhere (id));"
    result = import_ddl(sql, "redshift", name="shop")
    [table] = result.experiment.tables
    assert table.warnings == [
        "FOREIGN KEY (p) references elsewhere, which this DDL does not create: dropped"
    ]
    assert result.warnings == [f"t: {table.warnings[0]}"]


def test_skipped_statements_are_not_logged_by_sqlglot(caplog: pytest.LogCaptureFixture) -> None:
    import_ddl("GRANT ALL ON SCHEMA s TO GROUP g; CREATE TABLE t (a INT);", "redshift", name="x")
    assert not [r for r in caplog.records if r.name.startswith("sqlglot")]


def test_checks_become_rules_or_warnings() -> None:
    sql = """CREATE TABLE t (
        a INT CHECK (a > 0.5), b DECIMAL(5,2) CHECK (b > 0 AND b <= 10),
        c VARCHAR(5) CHECK (c IN ('x', 'y')), d INT CHECK (d IS NOT NULL),
        e INT CHECK (e % 2 = 0), f INT CHECK (f < 99999999999));"""
    result = import_ddl(sql, "postgres", name="shop")
    a, b, c, d, e, f = result.experiment.tables[0].columns
    assert (a.min_value, b.min_value, b.max_value, f.max_value) == (1, 0.01, 10, 2**31 - 1)
    assert (c.choices, c.inferred, d.required, e.min_value) == (["x", "y"], None, True, None)
    assert result.warnings == ["t: CHECK (e % 2 = 0) is not enforced by generation"]


def test_tables_with_the_same_name_in_two_schemas_are_both_kept() -> None:
    sql = "CREATE TABLE a.t (x INT); CREATE TABLE b.t (y INT); CREATE TABLE b.t (z INT);"
    result = import_ddl(sql, "snowflake", name="shop")
    assert [t.name for t in result.experiment.tables] == ["t", "b_t"]
    assert result.warnings == [
        "skipped CREATE TABLE at line 1 (table b.t is already created at line 1): "
        "CREATE TABLE b.t (z INT)",
        "b_t: table b.t is named 'b_t': a.t already has that name",
    ]
