"""What a result's columns are called and typed in the source warehouse, and its values encoded
as that warehouse answers them (booleans as booleans, decimals exact at their scale).

Names follow the source: Redshift (PostgreSQL's rules) folds to lower case, names a column
reference by its column, a function call by its function (`count`, `sum`) and anything else
`?column?`; Snowflake names unquoted identifiers in upper case and an expression by its text as
written, upper-cased (`COUNT(*)`). Types are the source's words for the type the source gives
the column (`numeric(38,2)` for a Redshift SUM of a DECIMAL(12,2), `NUMBER(38,8)` for a
Snowflake AVG of a NUMBER(12,2)).
"""

from __future__ import annotations

import decimal
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.tokens import Token, TokenType

T = exp.DataType.Type
INTEGERS = frozenset({T.TINYINT, T.SMALLINT, T.INT, T.BIGINT})
FLOATS = frozenset({T.FLOAT, T.DOUBLE})
# Expressions whose decimal scale follows a rule this module knows (a column, a cast, an
# aggregate over a column).
SCALED = (exp.Column, exp.Cast, exp.TryCast, exp.Sum, exp.Avg, exp.Min, exp.Max)
_FUNCTION_NAME = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_$]*)\s*(\(|$)")
# Keywords that end a SELECT list at its own depth.
_LIST_END = frozenset({
    TokenType.FROM, TokenType.WHERE, TokenType.GROUP_BY, TokenType.HAVING, TokenType.ORDER_BY,
    TokenType.LIMIT, TokenType.UNION, TokenType.EXCEPT, TokenType.INTERSECT, TokenType.QUALIFY,
    TokenType.WINDOW, TokenType.INTO, TokenType.FETCH, TokenType.OFFSET,
})  # fmt: skip
# PostgreSQL names a cast of an unnamed value by its type's internal name.
_PG_TYPE_NAMES = {
    T.SMALLINT: "int2", T.INT: "int4", T.BIGINT: "int8", T.DECIMAL: "numeric",
    T.FLOAT: "float4", T.DOUBLE: "float8", T.VARCHAR: "varchar", T.CHAR: "bpchar",
    T.TEXT: "text", T.BOOLEAN: "bool", T.DATE: "date", T.TIMESTAMP: "timestamp",
    T.TIMESTAMPTZ: "timestamptz", T.TIME: "time",
}  # fmt: skip


@dataclass(frozen=True)
class ResultColumn:
    name: str
    type: str  # in the source dialect's words; "unknown" when it cannot be told
    kind: str = "other"  # boolean | decimal | integer | other: how values are encoded
    scale: int | None = None  # a decimal's scale, when the source's rules fix it
    integral: bool = False  # the source's type has scale 0: a whole value is an integer

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "type": self.type}


# --- names -------------------------------------------------------------------------------


def _projection_texts(sql: str, dialect: str) -> list[str] | None:
    """The text of each item of the outermost SELECT list, as the user wrote it."""
    try:
        tokens: list[Token] = sqlglot.Dialect.get_or_raise(dialect).tokenize(sql)
    except SqlglotError:
        return None
    depth, start, best = 0, None, None
    for index, each in enumerate(tokens):
        if each.token_type == TokenType.L_PAREN:
            depth += 1
        elif each.token_type == TokenType.R_PAREN:
            depth -= 1
        elif each.token_type == TokenType.SELECT and (best is None or depth < best):
            start, best = index, depth
    if start is None or best is None:
        return None
    items: list[str] = []
    depth, first = 0, start + 1
    while first < len(tokens) and tokens[first].token_type in (TokenType.DISTINCT, TokenType.ALL):
        first += 1
    if first + 1 < len(tokens) and tokens[first].token_type == TokenType.TOP:
        first += 2  # Snowflake's TOP <n> is no part of the first item's name
    begin = first
    for index in range(first, len(tokens) + 1):
        token: Token | None = tokens[index] if index < len(tokens) else None
        ends = token is None or (
            depth == 0
            and (token.token_type in _LIST_END or token.token_type == TokenType.SEMICOLON)
        )
        if token is not None and token.token_type == TokenType.R_PAREN and depth == 0:
            ends = True
        if ends or (token is not None and depth == 0 and token.token_type == TokenType.COMMA):
            if index > begin:
                items.append(sql[tokens[begin].start : tokens[index - 1].end + 1])
            begin = index + 1
            if ends:
                break
            continue
        if token is not None and token.token_type == TokenType.L_PAREN:
            depth += 1
        elif token is not None and token.token_type == TokenType.R_PAREN:
            depth -= 1
    return items


def _fold(identifier: exp.Identifier | None, name: str, source: str) -> str:
    if source == "snowflake":
        return name if identifier is not None and identifier.quoted else name.upper()
    return name.lower()  # Redshift folds even quoted names (enable_case_sensitive_identifier off)


# Calls Redshift names otherwise than as written ("The default column name for an NVL
# expression is COALESCE", r_NVL_function).
_REDSHIFT_CALL_NAMES = {"nvl": "coalesce"}


def _redshift_name(node: exp.Expression, text: str) -> str:
    if isinstance(node, exp.Column) and not isinstance(node.this, exp.Star):
        return node.name.lower()
    if isinstance(node, exp.Cast | exp.TryCast):
        inner = _redshift_name(node.this, "")
        if inner != "?column?":
            return inner
        return _PG_TYPE_NAMES.get(node.to.this, "?column?")
    if isinstance(node, exp.Case):
        return "case"
    if isinstance(node, exp.Func | exp.Window):
        match = _FUNCTION_NAME.match(text)
        if match:
            name = match.group(1).lower()
            return _REDSHIFT_CALL_NAMES.get(name, name)
    return "?column?"


def _unquoted_upper(text: str) -> str:
    """Upper case outside double quotes (Snowflake keeps a quoted name as written)."""
    parts = text.split('"')
    return '"'.join(p.upper() if i % 2 == 0 else p for i, p in enumerate(parts))


def _name(projection: Any, text: str | None, source: str) -> str | None:
    """The source's name for one SELECT item, or None for a star (named by what it expands to)."""
    if isinstance(projection, exp.Star) or (
        isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star)
    ):
        return None
    if isinstance(projection, exp.Alias):
        identifier = projection.args.get("alias")
        return _fold(identifier, projection.alias, source)
    if isinstance(projection, exp.Column):
        return _fold(projection.this, projection.name, source)
    if source == "snowflake":
        return _unquoted_upper(text) if text else projection.sql("snowflake").upper()
    return _redshift_name(projection, text or projection.sql("postgres"))


def projection_names(
    tree: exp.Expression, sql: str, dialect: str, source: str
) -> list[str | None] | None:
    """Per outermost SELECT item (as parsed, before any rewrite), its result name; None marks a
    star. None when the query has no SELECT list to read."""
    if not isinstance(tree, exp.Query):
        return None
    projections = tree.selects
    texts = _projection_texts(sql, dialect)
    if texts is None or len(texts) != len(projections):
        texts = [None] * len(projections)  # type: ignore[list-item]
    return [_name(p, t, source) for p, t in zip(projections, texts, strict=True)]


def name_derived_columns(tree: exp.Expression, dialect: str, source: str) -> exp.Expression:
    """Under a star of the outermost SELECT, a derived table's or CTE's unnamed expression
    keeps the name the source gives it (`SPLIT('127.0.0.1', '.')`, `upper`), as an alias: the
    star expands to that name (the qualifier named it after its first argument, `127.0.0.1`).
    A name two columns of one SELECT share is left as it was."""
    if not isinstance(tree, exp.Query):
        return tree
    outer = tree
    while isinstance(outer, exp.SetOperation):
        outer = outer.this
    if not isinstance(outer, exp.Select) or not any(
        isinstance(p, exp.Star) or (isinstance(p, exp.Column) and isinstance(p.this, exp.Star))
        for p in outer.expressions
    ):
        return tree
    inner: list[exp.Expression] = [cte.this for cte in tree.find_all(exp.CTE)]
    for source_node in [outer.args.get("from_"), *outer.args.get("joins", [])]:
        found = source_node.this if isinstance(source_node, exp.From | exp.Join) else None
        if isinstance(found, exp.Subquery):
            inner.append(found.this)
    for query in inner:
        while isinstance(query, exp.SetOperation):  # the first operand names a set operation
            query = query.this
        if not isinstance(query, exp.Select):
            continue
        given = [
            None
            if isinstance(p, exp.Alias | exp.Column | exp.Star)
            else _name(p, p.sql(dialect), source)
            for p in query.expressions
        ]
        taken = [
            (n if n is not None else _fold(None, p.alias_or_name, source)).lower()
            for n, p in zip(given, query.expressions, strict=True)
        ]
        for index, name in enumerate(given):
            if name is None or taken.count(name.lower()) > 1:
                continue
            query.expressions[index] = exp.alias_(query.expressions[index], name, quoted=True)
            query.expressions[index].parent = query
    return tree


def _expanded(names: list[str | None] | None, typed: list[Any], source: str) -> list[str]:
    """Names for the typed (qualified, star-expanded) SELECT list."""
    own = [_fold(None, p.alias_or_name, source) for p in typed]
    if names is None:
        return own
    stars = names.count(None)
    if stars == 0:
        return [str(n) for n in names] if len(names) == len(typed) else own
    if stars > 1:
        # Several stars: the expanded columns are named by their columns; the items before
        # the first star and after the last keep their own names (their places are known).
        head = names.index(None)
        tail = len(names) - 1 - names[::-1].index(None)
        after = len(names) - 1 - tail
        if head + after > len(typed):
            return own
        edges = [*(str(n) for n in names[:head]), *own[head : len(typed) - after]]
        return edges + [str(n) for n in names[tail + 1 :]]
    width = len(typed) - (len(names) - 1)
    out: list[str] = []
    for name in names:
        if name is None:
            out.extend(own[len(out) : len(out) + width])
        else:
            out.append(name)
    return out if len(out) == len(typed) else own


# --- types -------------------------------------------------------------------------------


def _params(dtype: exp.DataType) -> list[int]:
    out = []
    for param in dtype.expressions:
        value = param.this if isinstance(param, exp.DataTypeParam) else param
        if isinstance(value, exp.Literal) and value.is_int:
            out.append(int(value.name))
    return out


def decimal_scale(dtype: exp.DataType | None) -> int | None:
    """The scale of a DECIMAL type that states one (a bare DECIMAL has none to trust)."""
    if dtype is None or dtype.this != T.DECIMAL:
        return None
    params = _params(dtype)
    return (params[1] if len(params) > 1 else 0) if params else None


def _decimal(precision: int, scale: int) -> exp.DataType:
    return exp.DataType.build(f"DECIMAL({precision}, {scale})")


def _unwrapped(node: Any) -> Any:
    """The expression under its alias, and an aggregate under its window (same type)."""
    target = node.this if isinstance(node, exp.Alias) else node
    if isinstance(target, exp.Window) and isinstance(target.this, exp.AggFunc):
        return target.this
    inner = target.this if isinstance(target, exp.Subquery) else None
    if isinstance(inner, exp.Select) and len(inner.expressions) == 1:  # a scalar subquery
        return _unwrapped(inner.expressions[0])
    return target


_DECIMAL_TEXT = re.compile(r"\d+\.\d*|\.\d+|\d+")


def _exact_type(node: Any) -> exp.DataType | None:
    """The exact NUMERIC type both sources give a decimal literal (4.5 is NUMERIC(2,1), not a
    DOUBLE) and +, -, *, MOD and ROUND(x, n) over exact operands; None where any operand is not
    exact (a FLOAT) or the rule is not known here."""
    if isinstance(node, exp.Paren | exp.Neg):
        return _exact_type(node.this)
    if isinstance(node, exp.Literal):
        if node.is_string or not _DECIMAL_TEXT.fullmatch(node.this):
            return None
        whole, _, fraction = node.this.partition(".")
        digits = len(whole.lstrip("0")) + len(fraction)
        return _decimal(max(digits, len(fraction), 1), len(fraction))
    if isinstance(node, exp.Round):
        inner, places = _exact_type(node.this), node.args.get("decimals")
        if inner is None or not (
            places is None or (isinstance(places, exp.Literal) and places.is_int)
        ):
            return None
        scale = min(decimal_scale(inner) or 0, max(int(places.this) if places else 0, 0))
        return _decimal(38, scale)
    if isinstance(node, exp.Add | exp.Sub | exp.Mul | exp.Mod):
        left, right = _exact_type(node.this), _exact_type(node.expression)
        if left is None or right is None:
            return None
        a, b = decimal_scale(left) or 0, decimal_scale(right) or 0
        return _decimal(38, a + b if isinstance(node, exp.Mul) else max(a, b))
    kind = node.type if isinstance(node, exp.Expression) else None
    if kind is not None and (kind.this in INTEGERS or decimal_scale(kind) is not None):
        return kind if kind.this == T.DECIMAL else _decimal(38, 0)
    return None


def source_type(node: Any, source: str) -> exp.DataType | None:
    """The type the source warehouse gives an expression where its rules differ from the
    annotator's (aggregates over integers and decimals)."""
    target = _unwrapped(node)
    if isinstance(target, exp.Count):
        return exp.DataType.build("BIGINT")
    if source == "snowflake" and isinstance(target, exp.Array | exp.Struct | exp.JSONObject):
        return exp.DataType.build("ARRAY" if isinstance(target, exp.Array) else "OBJECT")
    if isinstance(target, exp.Sum | exp.Avg | exp.Min | exp.Max):
        argument = target.this
        if isinstance(argument, exp.Distinct) and len(argument.expressions) == 1:
            argument = argument.expressions[0]
        arg_type = argument.type if isinstance(argument, exp.Expression) else None
        if arg_type is None:
            return target.type
        if isinstance(target, exp.Min | exp.Max):
            return arg_type
        if arg_type.this in INTEGERS:
            if source == "snowflake" and isinstance(target, exp.Avg):
                return _decimal(38, 6)
            return exp.DataType.build("BIGINT")
        if arg_type.this == T.DECIMAL:
            if not isinstance(argument, exp.Column | exp.Cast | exp.TryCast):
                return exp.DataType.build("DECIMAL")  # the argument's own scale is not known
            params = _params(arg_type)
            scale = params[1] if len(params) > 1 else 0
            if source == "snowflake" and isinstance(target, exp.Avg):
                scale = max(scale, min(scale + 6, 12))
            return _decimal(38, scale)
        if arg_type.this in FLOATS:
            return exp.DataType.build("DOUBLE")
    if target.type is not None and target.type.this in FLOATS:
        exact = _exact_type(target)  # the annotator reads a decimal literal as a DOUBLE
        if exact is not None:
            return exact
    if (
        source != "snowflake"
        and isinstance(target, exp.TsOrDsAdd | exp.DateAdd)
        and (target.type is None or target.type.this == T.UNKNOWN)
    ):
        # Redshift's DATEADD and ADD_MONTHS answer a TIMESTAMP (r_DATEADD_function.html)
        inner = target.this.type if isinstance(target.this, exp.Expression) else None
        if inner is not None and inner.this in (T.TIME, T.TIMETZ):
            return inner
        return exp.DataType.build("TIMESTAMP")
    return target.type


def _redshift_words(dtype: exp.DataType) -> str:
    params = _params(dtype)
    kind = dtype.this
    if kind == T.DECIMAL:
        return (
            f"numeric({params[0]},{params[1] if len(params) > 1 else 0})" if params else "numeric"
        )
    if kind in (T.VARCHAR, T.NVARCHAR, T.TEXT):
        return f"character varying({params[0]})" if params else "character varying"
    if kind in (T.CHAR, T.NCHAR):
        return f"character({params[0]})" if params else "character"
    return {
        T.TINYINT: "smallint", T.SMALLINT: "smallint", T.INT: "integer", T.BIGINT: "bigint",
        T.FLOAT: "double precision", T.DOUBLE: "double precision", T.BOOLEAN: "boolean",
        T.DATE: "date", T.TIMESTAMP: "timestamp without time zone",
        T.TIMESTAMPNTZ: "timestamp without time zone",
        T.TIMESTAMPTZ: "timestamp with time zone", T.TIME: "time without time zone",
        T.TIMETZ: "time with time zone", T.JSON: "super", T.SUPER: "super",
        T.INTERVAL: "interval", T.VARBINARY: "varbyte", T.BINARY: "varbyte",
    }.get(kind, "unknown")  # fmt: skip


def _snowflake_words(dtype: exp.DataType) -> str:
    params = _params(dtype)
    kind = dtype.this
    if kind == T.DECIMAL:
        return (
            f"NUMBER({params[0]},{params[1] if len(params) > 1 else 0})"
            if params
            else "NUMBER(38,0)"
        )
    if kind in INTEGERS:
        return "NUMBER(38,0)"
    if kind in (T.VARCHAR, T.NVARCHAR, T.TEXT, T.CHAR, T.NCHAR):
        return f"VARCHAR({params[0]})" if params else "VARCHAR(16777216)"
    return {
        T.FLOAT: "FLOAT", T.DOUBLE: "FLOAT", T.BOOLEAN: "BOOLEAN", T.DATE: "DATE",
        T.TIMESTAMP: "TIMESTAMP_NTZ", T.TIMESTAMPNTZ: "TIMESTAMP_NTZ",
        T.TIMESTAMPTZ: "TIMESTAMP_TZ", T.TIMESTAMPLTZ: "TIMESTAMP_LTZ", T.TIME: "TIME",
        T.VARIANT: "VARIANT", T.JSON: "VARIANT", T.ARRAY: "ARRAY", T.OBJECT: "OBJECT",
        T.MAP: "OBJECT", T.STRUCT: "OBJECT", T.VARBINARY: "BINARY", T.BINARY: "BINARY",
    }.get(kind, "unknown")  # fmt: skip


SEMI_STRUCTURED = (T.VARIANT, T.ARRAY, T.OBJECT, T.JSON)


def describe(
    names: list[str | None] | None, typed_tree: exp.Expression, source: str
) -> list[ResultColumn]:
    """Each result column's source name and type, from the typed (annotated) tree."""
    if not isinstance(typed_tree, exp.Query):
        return []
    typed = typed_tree.selects
    out = []
    for name, projection in zip(_expanded(names, typed, source), typed, strict=True):
        dtype = source_type(projection, source)
        if dtype is None or dtype.this in (T.UNKNOWN, T.NULL):
            out.append(ResultColumn(name, "unknown"))
            continue
        words = _snowflake_words(dtype) if source == "snowflake" else _redshift_words(dtype)
        if dtype.this == T.BOOLEAN:
            out.append(ResultColumn(name, words, "boolean"))
        elif dtype.this in INTEGERS:
            out.append(ResultColumn(name, words, "integer"))
        elif dtype.this == T.DECIMAL:
            params = _params(dtype)
            scale = (params[1] if len(params) > 1 else 0) if params else None
            integral = scale == 0
            # Only where the source's rule for the scale is known is a value rounded to it.
            if not isinstance(_unwrapped(projection), SCALED):
                scale = None
            out.append(ResultColumn(name, words, "decimal", scale, integral))
        elif source == "snowflake" and dtype.this in SEMI_STRUCTURED:
            out.append(ResultColumn(name, words, "variant"))
        else:
            out.append(ResultColumn(name, words))
    return out


# --- values ------------------------------------------------------------------------------


def _exact(value: Any, scale: int | None) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return value
        number = decimal.Decimal(repr(value))  # shortest text that reads back as this float
    elif isinstance(value, int | decimal.Decimal):
        number = decimal.Decimal(value)
    elif isinstance(value, str):
        try:
            number = decimal.Decimal(value)
        except decimal.InvalidOperation:
            return value
    else:
        return value
    if scale == 0 and number == number.to_integral_value():
        return int(number)
    if scale is not None:
        number = number.quantize(decimal.Decimal(1).scaleb(-scale), decimal.ROUND_HALF_UP)
    return number


def encode_value(value: Any, column: ResultColumn | None) -> Any:
    """One value as the source answers it: a BOOLEAN a bool, a DECIMAL an exact Decimal."""
    if column is None or value is None:
        return value
    if column.kind == "boolean" and isinstance(value, int | float) and not isinstance(value, bool):
        return bool(value)
    if column.kind == "decimal":
        number = _exact(value, column.scale)
        if (
            column.integral
            and isinstance(number, decimal.Decimal)
            and number == number.to_integral_value()
        ):
            return int(number)  # NUMBER(p,0): the connector answers an int
        return number
    if column.kind == "integer" and isinstance(value, float) and value.is_integer():
        return int(value)  # the emulator sums integers in DOUBLE
    if column.kind == "variant":
        return _variant_text(value)
    return value


def _variant_text(value: Any) -> Any:
    """An ARRAY or OBJECT as Snowflake prints it: JSON indented by two, keys sorted (a scalar
    stays the JSON text the engine answers: '"z"', 3)."""
    parsed = value
    if isinstance(value, str):
        if not value.lstrip().startswith(("[", "{")):
            return value
        try:
            parsed = json.loads(value)
        except ValueError:
            return value
    if isinstance(parsed, list | dict):
        return json.dumps(parsed, indent=2, sort_keys=True, ensure_ascii=False)
    return value


def encode_rows(rows: Iterable[Sequence[Any]], columns: list[ResultColumn]) -> list[list[Any]]:
    if not columns:
        return [list(row) for row in rows]
    return [
        [encode_value(v, columns[i] if i < len(columns) else None) for i, v in enumerate(row)]
        for row in rows
    ]


def stored_column(name: str, data_type: str, scale: int | None = None) -> ResultColumn:
    """How a table's own column is encoded (table previews), from its declared type."""
    if data_type == "BOOLEAN":
        return ResultColumn(name, "boolean", "boolean")
    if data_type == "DECIMAL":
        return ResultColumn(name, "decimal", "decimal", scale)
    if data_type in ("SMALLINT", "INT", "BIGINT"):
        return ResultColumn(name, "integer", "integer")
    return ResultColumn(name, "other")
