"""Column types: a sqlglot `DataType` -> the model's `data_type` and its length, precision, scale.

What a dialect means by a type written without arguments is data (`DIALECT_DEFAULTS`), not
branches: Redshift `VARCHAR` is `VARCHAR(256)`, Snowflake `NUMBER` is `NUMBER(38,0)`, and so on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError
from sqlglot.tokens import Token, TokenType

from dwsim_shared.experiment import MAX_DECIMAL_PRECISION, canonical_type

T = exp.DataType.Type
DType = exp.DType
MAX_VARCHAR_LENGTH = 65535  # the model's limit (and Redshift's VARCHAR(MAX))
MAX_TYPE_TOKENS = 12
_TYPE_WORD = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_ ]*?)\s*(?:\(.*)?$", re.DOTALL)


@dataclass(frozen=True)
class DialectDefaults:
    """Lengths and precisions a dialect gives a type spelled without arguments."""

    varchar: int | None  # VARCHAR, NVARCHAR, CHARACTER VARYING
    text: int | None  # TEXT, STRING
    bpchar: int | None
    decimal: tuple[int, int] | None
    varchar_max: int | None  # VARCHAR(MAX)
    char: int = 1


DIALECT_DEFAULTS: dict[str, DialectDefaults] = {
    "redshift": DialectDefaults(varchar=256, text=256, bpchar=256, decimal=(18, 0),
                                varchar_max=MAX_VARCHAR_LENGTH),
    "snowflake": DialectDefaults(varchar=None, text=None, bpchar=None, decimal=(38, 0),
                                 varchar_max=None),
    "postgres": DialectDefaults(varchar=None, text=None, bpchar=None, decimal=None,
                                varchar_max=None),
}  # fmt: skip

CANONICAL: dict[DType, str] = {
    T.TINYINT: "SMALLINT", T.UTINYINT: "SMALLINT", T.SMALLINT: "SMALLINT",
    T.SMALLSERIAL: "SMALLINT", T.USMALLINT: "INT", T.MEDIUMINT: "INT", T.INT: "INT",
    T.SERIAL: "INT", T.UINT: "BIGINT", T.BIGINT: "BIGINT", T.BIGSERIAL: "BIGINT",
    T.DECIMAL: "DECIMAL", T.BIGDECIMAL: "DECIMAL", T.UDECIMAL: "DECIMAL",
    T.FLOAT: "FLOAT", T.DOUBLE: "FLOAT",
    T.VARCHAR: "VARCHAR", T.NVARCHAR: "VARCHAR", T.TEXT: "VARCHAR", T.NAME: "VARCHAR",
    T.CHAR: "CHAR", T.NCHAR: "CHAR", T.BPCHAR: "CHAR",
    T.DATE: "DATE", T.DATE32: "DATE", T.TIME: "TIME",
    T.TIMESTAMP: "TIMESTAMP", T.DATETIME: "TIMESTAMP", T.TIMESTAMPNTZ: "TIMESTAMP",
    T.TIMESTAMP_S: "TIMESTAMP", T.TIMESTAMP_MS: "TIMESTAMP", T.TIMESTAMP_NS: "TIMESTAMP",
    T.TIMESTAMPTZ: "TIMESTAMPTZ", T.TIMESTAMPLTZ: "TIMESTAMPTZ",
    T.BOOLEAN: "BOOLEAN",
    T.VARIANT: "VARIANT", T.SUPER: "SUPER", T.JSON: "JSON", T.JSONB: "JSON",
    T.ARRAY: "ARRAY", T.OBJECT: "OBJECT", T.STRUCT: "OBJECT", T.MAP: "OBJECT",
}  # fmt: skip
SERIAL_TYPES = frozenset({T.SERIAL, T.BIGSERIAL, T.SMALLSERIAL})

# Types the model has no name for: (stand-in type, length or None, why the values differ).
STAND_INS: dict[DType, tuple[str, int | None, str]] = {
    T.TIMETZ: ("TIME", None, "time zone offsets are not generated"),
    T.BINARY: ("VARCHAR", None, "binary values are generated as text"),
    T.VARBINARY: ("VARCHAR", None, "binary values are generated as text"),
    T.BLOB: ("VARCHAR", None, "binary values are generated as text"),
    T.GEOGRAPHY: ("VARCHAR", None, "spatial values are generated as text"),
    T.GEOMETRY: ("VARCHAR", None, "spatial values are generated as text"),
    T.HLLSKETCH: ("VARCHAR", None, "sketches are generated as text"),
    T.UUID: ("VARCHAR", 36, "UUIDs are generated as VARCHAR(36) text"),
    T.INTERVAL: ("VARCHAR", None, "intervals are generated as text"),
    T.VECTOR: ("ARRAY", None, "vectors are generated as JSON arrays"),
    T.MONEY: ("DECIMAL", None, "money is generated as DECIMAL(19,2)"),
    T.SMALLMONEY: ("DECIMAL", None, "money is generated as DECIMAL(10,4)"),
}
MONEY_PRECISION = {T.MONEY: (19, 2), T.SMALLMONEY: (10, 4)}


@dataclass
class ColumnType:
    """The model's view of one column type."""

    data_type: str
    varchar_length: int | None = None
    precision: int | None = None
    scale: int | None = None
    serial: bool = False  # Postgres SERIAL: an implicit sequence
    warning: str | None = None


def _int_params(kind: exp.DataType) -> list[int | str]:
    """The type's arguments: integers, or the upper-cased word (`MAX`)."""
    params: list[int | str] = []
    for param in kind.expressions:
        value = param.this if isinstance(param, exp.DataTypeParam) else param
        if isinstance(value, exp.Literal) and value.is_int:
            params.append(int(value.name))
        elif isinstance(value, exp.Var | exp.Identifier):
            params.append(value.name.upper())
    return params


def map_type(kind: exp.DataType, dialect: str, spelled: str) -> ColumnType:
    """The model type for a column type of `dialect`; `spelled` is the DDL's text, for messages."""
    defaults = DIALECT_DEFAULTS[dialect]
    params = _int_params(kind)
    first = params[0] if params else None
    if kind.this in STAND_INS:
        data_type, length, why = STAND_INS[kind.this]
        precision, scale = MONEY_PRECISION.get(kind.this, (None, None))
        warning = f"{spelled} has no model type: {why}"
        return ColumnType(data_type, length, precision, scale, warning=warning)
    # The model's own alias table wins where it knows the spelling (BYTEINT -> SMALLINT), so an
    # imported column has the type a user typing the same name would get.
    word = _TYPE_WORD.match(spelled)
    canonical = (word and canonical_type(word.group(1))) or CANONICAL.get(kind.this)
    if canonical is None:
        return ColumnType("VARCHAR", warning=f"{spelled} has no model type: generated as text")
    data_type = canonical
    result = ColumnType(data_type, serial=kind.this in SERIAL_TYPES)
    if data_type in ("VARCHAR", "CHAR"):
        if first == "MAX":
            result.varchar_length = defaults.varchar_max
        elif isinstance(first, int):
            result.varchar_length = first if first <= MAX_VARCHAR_LENGTH else None
        else:
            result.varchar_length = _default_length(kind.this, defaults)
    elif data_type == "DECIMAL":
        _decimal(result, params, defaults, spelled)
    return result


def _default_length(kind: DType, defaults: DialectDefaults) -> int | None:
    """The length a dialect gives a string type written without one."""
    if kind == T.TEXT:
        return defaults.text
    if kind == T.BPCHAR:
        return defaults.bpchar
    if kind in (T.CHAR, T.NCHAR):
        return defaults.char
    return defaults.varchar


def _decimal(
    result: ColumnType, params: list[int | str], defaults: DialectDefaults, spelled: str
) -> None:
    numbers = [p for p in params if isinstance(p, int)]
    if not numbers:
        result.precision, result.scale = defaults.decimal or (None, None)
        return
    precision, scale = numbers[0], (numbers[1:] or [0])[0]
    if not 1 <= precision <= MAX_DECIMAL_PRECISION or scale > precision:
        result.warning = (
            f"{spelled} is beyond DECIMAL({MAX_DECIMAL_PRECISION}); generated with the default "
            "precision"
        )
        return
    result.precision, result.scale = precision, scale


def spelled_type(
    sql: str, tokens: list[Token], first: int, kind: exp.DataType, dialect: str
) -> str:
    """The type as the DDL wrote it (`NUMBER(38,0)`, `double precision`), whitespace collapsed.

    `tokens[first]` is the first token after the column name; the longest run of tokens that
    parses on its own to `kind` is the type.
    """
    depth, last = 0, first
    while last < len(tokens) and last - first < MAX_TYPE_TOKENS:
        token_type = tokens[last].token_type
        if depth == 0 and token_type in (TokenType.COMMA, TokenType.R_PAREN):
            break
        depth += {TokenType.L_PAREN: 1, TokenType.R_PAREN: -1}.get(token_type, 0)
        last += 1
    for end in range(last - 1, first - 1, -1):
        text = sql[tokens[first].start : tokens[end].end + 1]
        try:
            parsed = sqlglot.parse_one(text, read=dialect, into=exp.DataType)
        except (ParseError, ValueError):
            continue
        if parsed == kind:
            return " ".join(text.split())
    return kind.sql(dialect=dialect)
