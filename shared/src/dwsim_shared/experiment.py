"""The experiment schema language (see docs/schema-language.md): pydantic models and checks.

`Experiment.model_validate(json)` checks shapes and single-field rules;
`parse_experiment()` adds the checks that need the whole document (foreign keys
to real columns, unique ranges large enough for the row count, ...) and reports
every problem with its JSON path, e.g. ``tables[2].columns[5].max_value``.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from dwsim_shared.errors import InvalidInput

EXPERIMENT_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,126}$")

# Canonical type -> accepted spellings. Generation and physical DDL know only canonical names.
TYPE_ALIASES: dict[str, tuple[str, ...]] = {
    "SMALLINT": ("SMALLINT", "INT2"),
    "INT": ("INT", "INTEGER", "INT4"),
    "BIGINT": ("BIGINT", "INT8"),
    "FLOAT": ("FLOAT", "FLOAT8", "DOUBLE", "DOUBLE PRECISION", "REAL", "FLOAT4"),
    "VARCHAR": ("VARCHAR", "TEXT", "STRING", "CHARACTER VARYING"),
    "DATE": ("DATE",),
    "TIMESTAMP": ("TIMESTAMP", "DATETIME", "TIMESTAMP_NTZ"),
    "BOOLEAN": ("BOOLEAN", "BOOL"),
}
_CANONICAL = {alias: canon for canon, aliases in TYPE_ALIASES.items() for alias in aliases}
DataType = Literal["SMALLINT", "INT", "BIGINT", "FLOAT", "VARCHAR", "DATE", "TIMESTAMP", "BOOLEAN"]
INTEGER_TYPES = frozenset({"SMALLINT", "INT", "BIGINT"})
INTEGER_LIMITS = {"SMALLINT": 2**15 - 1, "INT": 2**31 - 1, "BIGINT": 2**63 - 1}
DEFAULT_NULL_RATE = 0.1


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Distribution(_Model):
    type: Literal["uniform", "normal", "exponential", "beta", "lognormal", "poisson", "zipf"]
    parameters: dict[str, float] = Field(default_factory=dict)


class Sequence(_Model):
    start: int = 1
    step: int = 1

    @field_validator("step")
    @classmethod
    def _nonzero(cls, value: int) -> int:
        if value == 0:
            raise ValueError("step must not be 0")
        return value


class ForeignKey(_Model):
    references_table: str
    references_column: str
    nullable: bool = False


class Column(_Model):
    name: str
    data_type: DataType
    required: bool = True
    is_unique: bool = False
    varchar_length: Annotated[int, Field(ge=1, le=65535)] | None = None
    faker_rule: str | None = None
    min_value: float | None = None
    max_value: float | None = None
    date_start: dt.date | None = None
    date_end: dt.date | None = None
    distribution: Distribution | None = None
    foreign_key: ForeignKey | None = None
    null_rate: Annotated[float, Field(ge=0, le=1)] | None = None
    choices: list[Any] | None = None
    weights: list[Annotated[float, Field(ge=0)]] | None = None
    sequence: Sequence | None = None
    inferred: list[str] | None = None

    @field_validator("name")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if not IDENTIFIER.match(value):
            raise ValueError(f"{value!r} is not a valid column name (letters, digits, _)")
        return value

    @field_validator("data_type", mode="before")
    @classmethod
    def _canonical_type(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        spelled = " ".join(value.upper().split())
        if spelled not in _CANONICAL:
            supported = ", ".join(sorted(_CANONICAL))
            raise ValueError(f"unsupported data_type {value!r}; supported: {supported}")
        return _CANONICAL[spelled]

    @model_validator(mode="after")
    def _consistent(self) -> Column:
        if (
            self.min_value is not None
            and self.max_value is not None
            and self.min_value > self.max_value
        ):
            raise ValueError(
                f"min_value {self.min_value:g} is greater than max_value {self.max_value:g}"
            )
        if self.date_start and self.date_end and self.date_start > self.date_end:
            raise ValueError(f"date_start {self.date_start} is after date_end {self.date_end}")
        if self.weights is not None:
            if self.choices is None:
                raise ValueError("weights given without choices")
            if len(self.weights) != len(self.choices):
                raise ValueError(
                    f"{len(self.weights)} weights for {len(self.choices)} choices; give one per choice"
                )
            if sum(self.weights) <= 0:
                raise ValueError("weights must not all be 0")
        if self.choices is not None and len(self.choices) == 0:
            raise ValueError("choices must not be empty")
        if self.null_rate and self.required:
            raise ValueError("null_rate > 0 on a required column; set required to false")
        return self

    @property
    def nullable(self) -> bool:
        """False for a required column; a foreign key marked nullable makes its column nullable."""
        return not self.required or bool(self.foreign_key and self.foreign_key.nullable)

    @property
    def effective_null_rate(self) -> float:
        if not self.nullable:
            return 0.0
        return DEFAULT_NULL_RATE if self.null_rate is None else self.null_rate


class Table(_Model):
    name: str
    target_rows: Annotated[int, Field(ge=0)] = 1000
    columns: list[Column] = Field(min_length=1)
    primary_key: list[str] | None = None
    composite_keys: list[list[str]] | None = None
    warnings: list[str] | None = None

    @field_validator("name")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if not IDENTIFIER.match(value):
            raise ValueError(f"{value!r} is not a valid table name (letters, digits, _)")
        return value

    def column(self, name: str) -> Column | None:
        lowered = name.lower()
        return next((c for c in self.columns if c.name.lower() == lowered), None)

    def is_unique_column(self, col: Column) -> bool:
        """Unique by its own flag or as the table's single-column primary key."""
        key = self.primary_key or []
        return col.is_unique or (len(key) == 1 and key[0].lower() == col.name.lower())


class Experiment(_Model):
    name: str
    description: str | None = None
    source_dialect: Literal["redshift", "snowflake", "postgres", "sqlite"] = "redshift"
    target_warehouse: Literal["sqlite", "redshift", "snowflake"] | None = None
    locale: str = "en_US"
    seed: int | None = None
    tables: list[Table] = Field(min_length=1)

    @field_validator("name")
    @classmethod
    def _experiment_name(cls, value: str) -> str:
        if not EXPERIMENT_NAME.match(value):
            raise ValueError(
                f"{value!r} is not a valid experiment name: lower-case letter, then up to 62 "
                "lower-case letters, digits or _"
            )
        return value

    @field_validator("locale")
    @classmethod
    def _known_locale(cls, value: str) -> str:
        from faker.config import AVAILABLE_LOCALES

        if value not in AVAILABLE_LOCALES:
            close = difflib.get_close_matches(value, AVAILABLE_LOCALES, n=3)
            hint = f"; did you mean {' or '.join(close)}?" if close else ""
            raise ValueError(f"unknown locale {value!r}{hint}")
        return value

    @field_validator("source_dialect", "target_warehouse", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    def table(self, name: str) -> Table | None:
        lowered = name.lower()
        return next((t for t in self.tables if t.name.lower() == lowered), None)

    def to_json(self) -> dict[str, Any]:
        """The document in the shape `POST /api/experiments` accepts."""
        return self.model_dump(mode="json", exclude_none=True)


def format_loc(loc: tuple[int | str, ...]) -> str:
    """`("tables", 2, "columns", 5, "max_value")` -> `tables[2].columns[5].max_value`."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "$"


def _problems_from_validation(error: ValidationError) -> list[dict[str, str]]:
    problems = []
    for item in error.errors():
        # Drop pydantic's tagged-union / type markers from the path (e.g. "function-after[...]").
        loc = tuple(p for p in item["loc"] if not (isinstance(p, str) and "[" in p))
        message = item["msg"].removeprefix("Value error, ")
        problems.append({"path": format_loc(loc), "message": message})
    return problems


def _document_problems(exp: Experiment) -> list[dict[str, str]]:
    """Checks that need more than one field: names, keys, references, capacities."""
    problems: list[dict[str, str]] = []

    def add(path: str, message: str) -> None:
        problems.append({"path": path, "message": message})

    seen_tables: set[str] = set()
    for t_i, table in enumerate(exp.tables):
        t_path = f"tables[{t_i}]"
        if table.name.lower() in seen_tables:
            add(f"{t_path}.name", f"duplicate table name {table.name!r}")
        seen_tables.add(table.name.lower())
        seen_columns: set[str] = set()
        for c_i, col in enumerate(table.columns):
            c_path = f"{t_path}.columns[{c_i}]"
            if col.name.lower() in seen_columns:
                add(f"{c_path}.name", f"duplicate column name {col.name!r} in table {table.name!r}")
            seen_columns.add(col.name.lower())
            problems.extend(
                {
                    "path": f"{c_path}.{p['path']}",
                    "message": f"{table.name}.{col.name}: {p['message']}",
                }
                for p in _column_capacity_problems(table, col)
            )
            if col.faker_rule is not None:
                message = _faker_rule_problem(exp.locale, col.faker_rule)
                if message:
                    add(f"{c_path}.faker_rule", f"{table.name}.{col.name}: {message}")
            if col.foreign_key:
                problems.extend(
                    {"path": f"{c_path}.foreign_key", "message": m}
                    for m in _foreign_key_problems(exp, table, col)
                )
        for key_name in ("primary_key",):
            for k_i, name in enumerate(getattr(table, key_name) or []):
                if table.column(name) is None:
                    add(
                        f"{t_path}.{key_name}[{k_i}]",
                        f"table {table.name!r} has no column {name!r}",
                    )
    return problems


def _faker_rule_problem(locale: str, rule: str) -> str | None:
    from dwsim_shared.generation.faker_pools import faker_has_rule, faker_rule_names

    if faker_has_rule(locale, rule):
        return None
    close = difflib.get_close_matches(rule, faker_rule_names(locale), n=3, cutoff=0.6)
    hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    return f"{rule!r} is not a Faker provider method for locale {locale!r}{hint}"


def _column_capacity_problems(table: Table, col: Column) -> list[dict[str, str]]:
    rows = table.target_rows
    out: list[dict[str, str]] = []
    if col.data_type in INTEGER_TYPES:
        limit = INTEGER_LIMITS[col.data_type]
        for field in ("min_value", "max_value"):
            value = getattr(col, field)
            if value is not None and not (-limit - 1 <= value <= limit):
                out.append(
                    {"path": field, "message": f"{field} {value:g} does not fit {col.data_type}"}
                )
    if not table.is_unique_column(col) or col.foreign_key:
        return out
    if col.choices is not None and len(col.choices) < rows:
        out.append(
            {
                "path": "choices",
                "message": f"unique column has {len(col.choices)} choices for {rows} rows",
            }
        )
    elif col.data_type in INTEGER_TYPES and col.sequence is None:
        low = col.min_value if col.min_value is not None else 1
        high = col.max_value if col.max_value is not None else INTEGER_LIMITS[col.data_type]
        capacity = int(high) - int(low) + 1
        if capacity < rows:
            out.append(
                {
                    "path": "max_value",
                    "message": f"unique range {low:g}..{high:g} holds {capacity} values, "
                    f"fewer than target_rows {rows}",
                }
            )
    elif col.data_type == "DATE" and col.date_start and col.date_end:
        capacity = (col.date_end - col.date_start).days + 1
        if capacity < rows:
            out.append(
                {
                    "path": "date_end",
                    "message": f"unique date range {col.date_start}..{col.date_end} holds {capacity} "
                    f"days, fewer than target_rows {rows}",
                }
            )
    elif col.data_type == "BOOLEAN" and rows > 2:
        out.append({"path": "is_unique", "message": f"a unique BOOLEAN holds 2 values, not {rows}"})
    elif col.data_type == "VARCHAR" and col.varchar_length is not None:
        # Unique strings are written as base-36 digits of the row index at least.
        capacity = 36**col.varchar_length
        if capacity < rows:
            out.append(
                {
                    "path": "varchar_length",
                    "message": f"VARCHAR({col.varchar_length}) holds at most {capacity} distinct values, "
                    f"fewer than target_rows {rows}",
                }
            )
    return out


def _foreign_key_problems(exp: Experiment, table: Table, col: Column) -> list[str]:
    assert col.foreign_key is not None
    fk = col.foreign_key
    where = f"{table.name}.{col.name}"
    parent = exp.table(fk.references_table)
    if parent is None:
        names = ", ".join(t.name for t in exp.tables)
        return [f"{where} references missing table {fk.references_table!r} (tables: {names})"]
    target = parent.column(fk.references_column)
    if target is None:
        return [f"{where} references missing column {parent.name}.{fk.references_column}"]
    if not parent.is_unique_column(target):
        return [f"{where} references {parent.name}.{target.name}, which is not unique"]
    if parent.target_rows == 0 and table.target_rows > 0 and not (fk.nullable or not col.required):
        return [f"{where} references {parent.name}, which has 0 rows"]
    return []


def parse_experiment(document: Any) -> Experiment:
    """Validate a JSON document into an `Experiment`, or raise `InvalidInput` listing every problem."""
    try:
        exp = Experiment.model_validate(document)
    except ValidationError as error:
        raise invalid_input(error) from None
    check_experiment(exp)
    return exp


def check_experiment(exp: Experiment) -> None:
    """The whole-document checks; `InvalidInput` lists every problem with its JSON path."""
    problems = _document_problems(exp)
    if problems:
        raise InvalidInput(_summary(problems), problems=problems)


def invalid_input(error: ValidationError, prefix: tuple[int | str, ...] = ()) -> InvalidInput:
    """A pydantic error as `InvalidInput` whose problems carry JSON paths."""
    problems = _problems_from_validation(error)
    if prefix:
        problems = [{**p, "path": format_loc(prefix) + "." + p["path"]} for p in problems]
    return InvalidInput(_summary(problems), problems=problems)


def _summary(problems: list[dict[str, str]]) -> str:
    first = problems[0]
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return f"{first['path']}: {first['message']}{more}"
