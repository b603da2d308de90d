"""DDL import: CREATE TABLE scripts (Redshift, Snowflake, Postgres) -> a generatable experiment.

`import_ddl(sql, dialect, name=...)` parses the script with sqlglot, one statement at a time
(`statements`), turns tables into drafts (`script`, `tables`, `types`, `options`), resolves keys
and foreign keys (`constraints`), proposes generation rules (`inference`) and validates the
result with `parse_experiment` (`assemble`), so what it returns can be generated as is.

Decisions (the contract of the import):

- Names: database and schema qualifiers are dropped (`db.sales.orders` -> `orders`). Unquoted
  identifiers are lower-cased in every dialect (Snowflake folds them to upper case, but model
  names are case-insensitive); quoted identifiers keep their case. A name the model cannot hold
  (`"Order Date"`) has other characters replaced by `_`; two tables with the same name in
  different schemas keep the first, the second becomes `<schema>_<name>`; two columns that
  differ only in case get a `_2` suffix; all with a warning. References resolve by name,
  case-insensitively, preferring the referencing table's schema. A second CREATE OR REPLACE
  of a table replaces the first; a second plain CREATE of it is skipped with a warning.
- Types: `data_type` is canonical; `source_type` is the type as the DDL spelled it (whitespace
  collapsed). Redshift: VARCHAR/TEXT without length = 256, VARCHAR(MAX) = 65535, BPCHAR = 256,
  DECIMAL without precision = (18,0). Snowflake: NUMBER/DECIMAL without precision = (38,0);
  VARCHAR/STRING/TEXT without length (or longer than 65535, e.g. 16777216) get no
  `varchar_length` (unbounded). CHAR without length = 1 everywhere. TIMESTAMP_NTZ/DATETIME ->
  TIMESTAMP, TIMESTAMP_LTZ/TZ -> TIMESTAMPTZ; SUPER, VARIANT, ARRAY, OBJECT, JSON are kept.
  Types without a model type (BINARY, GEOGRAPHY, UUID, TIMETZ, ...) get a stand-in (text,
  TIME, ...) and a warning on the table.
- Nullability: NOT NULL, primary-key and identity columns are `required: true`; others
  `required: false` with no `null_rate`, so the model's default rate (10%) applies.
- Keys: the physical table is exactly the DDL's columns, no surrogate columns. The primary key
  (one or more columns) goes to `primary_key`; single-column UNIQUE to the column's
  `is_unique`, multi-column UNIQUE to `unique_constraints`. IDENTITY(start, step),
  AUTOINCREMENT [START s INCREMENT i], GENERATED ... AS IDENTITY, SERIAL and
  `DEFAULT seq.NEXTVAL` / `nextval('seq')` become `sequence` + `is_unique: true`.
- Foreign keys: single-column ones (inline REFERENCES or table level) go to the column's
  `foreign_key`, multi-column ones to the table's `foreign_keys`; `nullable` is true when the
  key's columns are all nullable. REFERENCES without columns means the parent's primary key.
  A key whose parent is not in the script, whose target is not unique or whose types differ is
  dropped with a warning on the table; so is, in each cycle of required (NOT NULL) keys, the
  key declared last (no row of such a cycle could be generated first).
- CHECK: `col IN (...)` -> `choices`, comparisons / BETWEEN -> `min_value`/`max_value`,
  `col IS NOT NULL` -> `required` (not on foreign-key columns, no choices on unique ones; these
  rules are the DDL's, so not in `inferred`); any other CHECK becomes a warning that it is not
  enforced by generation.
- DEFAULT: a literal goes to `default`; an expression (GETDATE(), CURRENT_TIMESTAMP) to
  `warehouse_options.default_expressions`.
- Rows: `target_rows` (default 1000) for every table, `rows[table]` for one. Unless `rows`
  names the table, a single-column key that cannot hold that many values (a CHAR(1) key, a
  SMALLINT sequence) lowers the table's `target_rows`, with a warning.
- Inferred rules (`inference`): from column names (snake_case or camelCase) and types, only
  on columns outside keys, unique constraints, foreign keys, sequences and CHECK rules; Faker
  rules only when every sampled value fits the length, choices only when every value fits;
  the fields set are listed in the column's `inferred`.
- Other statements (CREATE SCHEMA/VIEW/SEQUENCE, GRANT, INSERT, USE, DROP, ...) are skipped
  with a warning naming the statement and its line; ALTER TABLE ADD CONSTRAINT / ADD COLUMN
  and COMMENT ON TABLE/COLUMN are applied. A syntax error raises `BadRequest` with details
  `line`, `column` (where the offending text starts, 1-based) and `near` (that text).

`warehouse_options` (per table, only the keys the DDL used)::

    diststyle: "KEY" | "ALL" | "EVEN" | "AUTO"     distkey: "col"
    sortkey: ["col", ...]    sortkey_style: "compound" | "interleaved" | "auto"
    backup: bool             encode_auto: true     encode: {"col": "az64", ...}
    or_replace: true         transient: true       temporary: true     external: true
    cluster_by: ["col" or SQL expression, ...]     comment: "table comment"
    column_comments: {"col": "text"}               collate: {"col": "en-ci"}
    default_expressions: {"col": "GETDATE()"}      tags: {"name": value}
    column_options: {"col": ["MASKING POLICY p"]}  other: ["SQL of other properties"]
    <property>: value      (other KEY = value properties, e.g. data_retention_time_in_days: 1)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dwsim_shared.ddl.assemble import row_targets, table_document
from dwsim_shared.ddl.constraints import (
    apply_checks,
    break_cycles,
    finish_keys,
    resolve_foreign_keys,
)
from dwsim_shared.ddl.script import read_script
from dwsim_shared.ddl.statements import split_statements
from dwsim_shared.engines import ddl_dialects
from dwsim_shared.errors import InvalidInput
from dwsim_shared.experiment import Experiment
from dwsim_shared.experiment_checks import parse_experiment

SUPPORTED_DIALECTS = ddl_dialects()

__all__ = ["SUPPORTED_DIALECTS", "ImportResult", "import_ddl"]


@dataclass
class ImportResult:
    experiment: Experiment  # validated via parse_experiment (so it is generatable)
    warnings: list[
        str
    ]  # skipped statements etc. (table-specific ones are also in tables[i].warnings)


def _dialect(dialect: str) -> str:
    lowered = dialect.lower().strip() if isinstance(dialect, str) else ""
    if lowered not in SUPPORTED_DIALECTS:
        raise InvalidInput(
            f"unsupported DDL dialect {dialect!r}; supported: {', '.join(SUPPORTED_DIALECTS)}",
            path="dialect",
        )
    return lowered


def _locale(locale: str) -> str:
    from faker.config import AVAILABLE_LOCALES

    if locale not in AVAILABLE_LOCALES:
        raise InvalidInput(f"unknown locale {locale!r}", path="locale")
    return locale


def import_ddl(
    sql: str,
    dialect: str,
    *,
    name: str,
    target_rows: int | None = None,
    rows: dict[str, int] | None = None,
    target_warehouse: str | None = None,
    locale: str = "en_US",
    seed: int | None = None,
) -> ImportResult:
    """The experiment a DDL script describes, with warnings for what it could not use.

    Raises `InvalidInput` for an unknown dialect, a script without CREATE TABLE or `rows` naming
    a table the script does not create; `BadRequest` (line, column, near) for a syntax error.
    """
    dialect = _dialect(dialect)
    locale = _locale(locale)
    script = read_script(split_statements(sql, dialect), sql, dialect)
    tables = script.tables
    if not tables:
        raise InvalidInput(
            f"no CREATE TABLE statement found in the {dialect} DDL", warnings=script.warnings
        )
    targets = row_targets(tables, target_rows, rows)
    explicit = {n.lower() for n in rows or {}}
    ruled: dict[str, set[str]] = {}
    for table in tables:
        finish_keys(table)
        ruled[table.name] = apply_checks(table, dialect)
    table_fks = resolve_foreign_keys(tables)
    break_cycles(tables, table_fks)
    documents = [
        table_document(
            table,
            table_fks[table.name],
            targets[table.name],
            table.name.lower() not in explicit,
            ruled[table.name],
            locale,
        )
        for table in tables
    ]
    document: dict[str, Any] = {
        "name": name,
        "source_dialect": dialect,
        "locale": locale,
        "tables": documents,
    }
    if target_warehouse is not None:
        document["target_warehouse"] = target_warehouse
    if seed is not None:
        document["seed"] = seed
    experiment = parse_experiment(document)
    warnings = script.warnings + [f"{t.name}: {w}" for t in tables for w in t.warnings]
    return ImportResult(experiment=experiment, warnings=warnings)
