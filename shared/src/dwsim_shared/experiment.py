"""The experiment schema language (docs/schema-language.md) as pydantic models.

`Experiment.model_validate(json)` checks shapes and single-field rules;
`experiment_checks.parse_experiment()` adds the checks that need the whole document and
reports every problem with its JSON path, e.g. ``tables[2].columns[5].max_value``.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from dwsim_shared.engines import (
    DEFAULT_SOURCE_DIALECT,
    SOURCE_DIALECTS,
    check_source_dialect,
    check_warehouse_name,
    warehouse_names,
)
from dwsim_shared.errors import InvalidInput

EXPERIMENT_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]{0,126}$")

# Canonical type -> accepted spellings (upper case, single spaces). Generation knows only
# canonical names; `source_type` keeps what a DDL said, for faithful physical DDL.
TYPE_ALIASES: dict[str, tuple[str, ...]] = {
    "SMALLINT": ("SMALLINT", "INT2", "TINYINT", "BYTEINT"),
    "INT": ("INT", "INTEGER", "INT4", "MEDIUMINT"),
    "BIGINT": ("BIGINT", "INT8"),
    "DECIMAL": ("DECIMAL", "NUMERIC", "NUMBER", "DEC"),
    "FLOAT": ("FLOAT", "FLOAT4", "FLOAT8", "DOUBLE", "DOUBLE PRECISION", "REAL"),
    "VARCHAR": ("VARCHAR", "TEXT", "STRING", "CHARACTER VARYING", "NVARCHAR", "NVARCHAR2",
                "VARCHAR2", "CHAR VARYING", "NATIONAL CHARACTER VARYING"),
    "CHAR": ("CHAR", "CHARACTER", "NCHAR", "BPCHAR"),
    "DATE": ("DATE",),
    "TIME": ("TIME", "TIME WITHOUT TIME ZONE"),
    "TIMESTAMP": ("TIMESTAMP", "DATETIME", "TIMESTAMP_NTZ", "TIMESTAMP WITHOUT TIME ZONE"),
    "TIMESTAMPTZ": ("TIMESTAMPTZ", "TIMESTAMP_TZ", "TIMESTAMP_LTZ", "TIMESTAMP WITH TIME ZONE",
                    "TIMESTAMP WITH LOCAL TIME ZONE"),
    "BOOLEAN": ("BOOLEAN", "BOOL"),
    "VARIANT": ("VARIANT",),
    "SUPER": ("SUPER",),
    "JSON": ("JSON", "JSONB"),
    "ARRAY": ("ARRAY",),
    "OBJECT": ("OBJECT",),
}  # fmt: skip
_CANONICAL = {alias: canon for canon, aliases in TYPE_ALIASES.items() for alias in aliases}
DataType = Literal[
    "SMALLINT", "INT", "BIGINT", "DECIMAL", "FLOAT", "VARCHAR", "CHAR", "DATE", "TIME",
    "TIMESTAMP", "TIMESTAMPTZ", "BOOLEAN", "VARIANT", "SUPER", "JSON", "ARRAY", "OBJECT",
]  # fmt: skip
INTEGER_TYPES = frozenset({"SMALLINT", "INT", "BIGINT"})
NUMERIC_TYPES = INTEGER_TYPES | {"DECIMAL", "FLOAT"}
STRING_TYPES = frozenset({"VARCHAR", "CHAR"})
TEMPORAL_TYPES = frozenset({"DATE", "TIMESTAMP", "TIMESTAMPTZ"})
SEMI_STRUCTURED_TYPES = frozenset({"VARIANT", "SUPER", "JSON", "ARRAY", "OBJECT"})
INTEGER_LIMITS = {"SMALLINT": 2**15 - 1, "INT": 2**31 - 1, "BIGINT": 2**63 - 1}
DEFAULT_NULL_RATE = 0.1
DEFAULT_DECIMAL = (18, 0)
MAX_DECIMAL_PRECISION = 38

# Parameters each distribution accepts (the first of each group is the documented name).
DISTRIBUTION_PARAMETERS: dict[str, frozenset[str]] = {
    "uniform": frozenset(),
    "normal": frozenset({"mean", "stddev"}),
    "exponential": frozenset({"scale", "rate"}),
    "beta": frozenset({"alpha", "beta"}),
    "lognormal": frozenset({"mean", "sigma"}),
    "poisson": frozenset({"lambda", "lam"}),
    "zipf": frozenset({"s", "a"}),
}
_TYPE_WITH_ARGS = re.compile(
    r"^\s*([A-Za-z_][A-Za-z0-9_ ]*?)\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?\s*$"
)


def canonical_type(spelled: str) -> str | None:
    """The canonical name of a type spelling (`"double precision"` -> `FLOAT`), or None."""
    return _CANONICAL.get(" ".join(spelled.upper().split()))


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Distribution(_Model):
    type: Literal["uniform", "normal", "exponential", "beta", "lognormal", "poisson", "zipf"]
    parameters: dict[str, float] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _valid_parameters(self) -> Distribution:
        p = self.parameters
        allowed = DISTRIBUTION_PARAMETERS[self.type]
        unknown = sorted(set(p) - allowed)
        if unknown:
            names = ", ".join(sorted(allowed)) or "none"
            raise ValueError(f"{self.type} takes parameters {names}, not {', '.join(unknown)}")
        positive = {
            "normal": ("stddev",), "exponential": ("scale", "rate"), "beta": ("alpha", "beta"),
            "lognormal": ("sigma",), "poisson": ("lambda", "lam"),
        }.get(self.type, ())  # fmt: skip
        for name in positive:
            if name in p and not p[name] > 0:
                raise ValueError(f"{self.type} parameter {name} must be > 0, not {p[name]:g}")
        if self.type == "zipf":
            for name in ("s", "a"):
                if name in p and not p[name] > 1:
                    raise ValueError(f"zipf parameter {name} must be > 1, not {p[name]:g}")
        return self


class Sequence(_Model):
    start: int = 1
    step: int = 1

    @field_validator("step")
    @classmethod
    def _nonzero(cls, value: int) -> int:
        if value == 0:
            raise ValueError("step must not be 0")
        return value


class ParentSelection(_Model):
    """How a foreign key picks parent rows: evenly, or a few hot parents (Zipf with exponent s)."""

    type: Literal["uniform", "zipf"] = "uniform"
    s: Annotated[float, Field(gt=0)] = 1.2


class ForeignKey(_Model):
    references_table: str
    references_column: str
    nullable: bool = False
    parent_selection: ParentSelection | None = None


class TableForeignKey(_Model):
    """A table-level (possibly multi-column) foreign key."""

    columns: list[str] = Field(min_length=1)
    references_table: str
    references_columns: list[str] = Field(min_length=1)
    nullable: bool = False
    parent_selection: ParentSelection | None = None

    @model_validator(mode="after")
    def _same_width(self) -> TableForeignKey:
        if len(self.columns) != len(self.references_columns):
            raise ValueError(
                f"{len(self.columns)} columns reference {len(self.references_columns)} columns"
            )
        return self


class Column(_Model):
    name: str
    data_type: DataType
    required: bool = True
    is_unique: bool = False
    varchar_length: Annotated[int, Field(ge=1, le=65535)] | None = None
    precision: Annotated[int, Field(ge=1, le=MAX_DECIMAL_PRECISION)] | None = None
    scale: Annotated[int, Field(ge=0, le=MAX_DECIMAL_PRECISION)] | None = None
    faker_rule: str | None = None
    min_value: float | None = None
    max_value: float | None = None
    date_start: dt.date | None = None
    date_end: dt.date | None = None
    distribution: Distribution | None = None
    foreign_key: ForeignKey | None = None
    null_rate: Annotated[float, Field(ge=0, le=1)] | None = None
    choices: list[Any] | None = Field(default=None, min_length=1)
    weights: list[Annotated[float, Field(ge=0)]] | None = None
    sequence: Sequence | None = None
    pattern: str | None = None
    default: Any = None
    source_type: str | None = None
    inferred: list[str] | None = None

    @field_validator("name")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if not IDENTIFIER.match(value):
            raise ValueError(f"{value!r} is not a valid column name (letters, digits, _, $)")
        return value

    @model_validator(mode="before")
    @classmethod
    def _split_type_arguments(cls, data: Any) -> Any:
        """`"VARCHAR(100)"` -> VARCHAR + varchar_length 100; `"NUMBER(38,0)"` -> DECIMAL(38, 0)."""
        if not isinstance(data, dict) or not isinstance(data.get("data_type"), str):
            return data
        match = _TYPE_WITH_ARGS.match(data["data_type"])
        if match is None:
            return data
        spelled, first, second = match.groups()
        canonical = _CANONICAL.get(" ".join(spelled.upper().split()))
        data = {**data, "data_type": canonical or data["data_type"]}
        if canonical is None or first is None:
            return data
        if canonical in STRING_TYPES:
            data.setdefault("varchar_length", int(first))
        elif canonical == "DECIMAL":
            data.setdefault("precision", int(first))
            if second is not None:
                data.setdefault("scale", int(second))
        return data

    @field_validator("data_type", mode="before")
    @classmethod
    def _canonical_type(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        spelled = " ".join(value.upper().split())
        if spelled not in _CANONICAL:
            close = difflib.get_close_matches(spelled, list(_CANONICAL), n=2)
            hint = f" (did you mean {' or '.join(close)}?)" if close else ""
            raise ValueError(
                f"unsupported data_type {value!r}{hint}; supported: {', '.join(TYPE_ALIASES)}"
            )
        return _CANONICAL[spelled]

    @property
    def nullable(self) -> bool:
        """False for a required column; a foreign key marked nullable makes its column nullable."""
        return not self.required or bool(self.foreign_key and self.foreign_key.nullable)

    @property
    def effective_null_rate(self) -> float:
        if not self.nullable:
            return 0.0
        return DEFAULT_NULL_RATE if self.null_rate is None else self.null_rate

    @property
    def decimal_precision_scale(self) -> tuple[int, int]:
        precision = self.precision or DEFAULT_DECIMAL[0]
        return precision, self.scale if self.scale is not None else DEFAULT_DECIMAL[1]


class Table(_Model):
    name: str
    target_rows: Annotated[int, Field(ge=0)] = 1000
    columns: list[Column] = Field(min_length=1)
    primary_key: list[str] | None = None
    composite_keys: list[list[str]] | None = None
    unique_constraints: list[list[str]] | None = None
    foreign_keys: list[TableForeignKey] | None = None
    warehouse_options: dict[str, Any] | None = None
    warnings: list[str] | None = None

    @field_validator("name")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if not IDENTIFIER.match(value):
            raise ValueError(f"{value!r} is not a valid table name (letters, digits, _, $)")
        return value

    def column(self, name: str) -> Column | None:
        lowered = name.lower()
        return next((c for c in self.columns if c.name.lower() == lowered), None)

    def unique_keys(self) -> list[list[str]]:
        """Every set of columns that must be unique: primary key, unique constraints, composite keys."""
        keys = [self.primary_key] if self.primary_key else []
        keys += self.unique_constraints or []
        keys += self.composite_keys or []
        keys += [[c.name] for c in self.columns if c.is_unique]
        return keys

    def joint_keys(self) -> list[list[str]]:
        """The multi-column keys the generator must make jointly unique: those not already
        implied by a unique column in them or by a smaller joint key they contain."""
        singles = {k[0].lower() for k in self.unique_keys() if len(k) == 1}
        kept: list[list[str]] = []
        for key in sorted((k for k in self.unique_keys() if len(k) > 1), key=len):
            names = {n.lower() for n in key}
            if names & singles or any({n.lower() for n in other} <= names for other in kept):
                continue
            kept.append(key)
        return kept

    def is_unique_column(self, col: Column) -> bool:
        """Unique alone: by its own flag, or as a single-column primary key or unique constraint."""
        name = col.name.lower()
        return any(len(k) == 1 and k[0].lower() == name for k in self.unique_keys())

    def is_unique_set(self, names: list[str]) -> bool:
        """Whether these columns (in any order) are one of the table's unique keys."""
        wanted = sorted(n.lower() for n in names)
        return any(sorted(k.lower() for k in key) == wanted for key in self.unique_keys())


def _dialect_enum(schema: dict[str, Any]) -> None:
    schema["enum"] = list(SOURCE_DIALECTS)


def _warehouse_enum(schema: dict[str, Any]) -> None:
    schema["anyOf"] = [{"enum": warehouse_names(), "type": "string"}, {"type": "null"}]


class Experiment(_Model):
    name: str
    description: str | None = None
    # Names from the engine registry (`dwsim_shared.engines`), read when the JSON schema is made.
    source_dialect: str = Field(default=DEFAULT_SOURCE_DIALECT, json_schema_extra=_dialect_enum)
    target_warehouse: str | None = Field(default=None, json_schema_extra=_warehouse_enum)
    locale: str = "en_US"
    seed: Annotated[int, Field(ge=0, lt=2**63)] | None = None
    # The instant generation rules that read "now" see (Faker's date_time, past_date, ...);
    # unset: DEFAULT_REFERENCE_TIME, so a seed means the same data on any day.
    reference_time: dt.datetime | None = None
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

    @field_validator("reference_time")
    @classmethod
    def _plausible_instant(cls, value: dt.datetime | None) -> dt.datetime | None:
        # Faker draws between the Unix epoch and "now", and up to decades past it.
        if value is not None and not 1971 <= value.year <= 2999:
            raise ValueError("reference_time must lie between the years 1971 and 2999")
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

    @field_validator("source_dialect")
    @classmethod
    def _known_dialect(cls, value: str) -> str:
        return check_source_dialect(value)

    @field_validator("target_warehouse")
    @classmethod
    def _known_warehouse(cls, value: str | None) -> str | None:
        return None if value is None else check_warehouse_name(value)

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


def problems_from_validation(error: ValidationError) -> list[dict[str, str]]:
    problems = []
    for item in error.errors():
        # Drop pydantic's union / validator markers from the path (e.g. "function-after[...]").
        loc = tuple(p for p in item["loc"] if not (isinstance(p, str) and "[" in p))
        message = item["msg"].removeprefix("Value error, ")
        problems.append({"path": format_loc(loc), "message": message})
    return problems


def invalid_input(error: ValidationError, prefix: tuple[int | str, ...] = ()) -> InvalidInput:
    """A pydantic error as `InvalidInput` whose problems carry JSON paths."""
    problems = problems_from_validation(error)
    if prefix:
        problems = [{**p, "path": format_loc(prefix) + "." + p["path"]} for p in problems]
    return InvalidInput(summary(problems), problems=problems)


def summary(problems: list[dict[str, str]]) -> str:
    first = problems[0]
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return f"{first['path']}: {first['message']}{more}"
