"""Redshift's own helpers written as what every engine runs: the comparison functions
(DATE_CMP, TIMESTAMP_CMP, ... -1 / 0 / 1), DATE_PART_YEAR, TIMEZONE, IS_VALID_JSON,
IS_VALID_JSON_ARRAY, JSON_EXTRACT_ARRAY_ELEMENT_TEXT, REPLICATE, DLOG1, DLOG10.

They run first in the chain (family `conditionals`), so the casts and calls they build are
carried by the date and number rewrites after them as if the user had written those."""

from __future__ import annotations

import datetime as dt

from sqlglot import exp

from dwsim_query.compat.literals import _iso as compact_iso
from dwsim_query.compat.nodes import Refusal, call, cast, is_integer, text, type_of
from dwsim_query.compat.registry import Rewrite, compat_engines, rewrite

# The comparison functions: the type each argument is compared as. A DATE compared with a
# TIMESTAMP is that date at midnight (the pages: "compares a date to a timestamp").
COMPARISONS = {
    "DATE_CMP": ("DATE", "DATE"),
    "DATE_CMP_TIMESTAMP": ("TIMESTAMP", "TIMESTAMP"),
    "DATE_CMP_TIMESTAMPTZ": ("TIMESTAMPTZ", "TIMESTAMPTZ"),
    "TIMESTAMP_CMP": ("TIMESTAMP", "TIMESTAMP"),
    "TIMESTAMP_CMP_DATE": ("TIMESTAMP", "TIMESTAMP"),
    "TIMESTAMP_CMP_TIMESTAMPTZ": ("TIMESTAMPTZ", "TIMESTAMPTZ"),
    "TIMESTAMPTZ_CMP": ("TIMESTAMPTZ", "TIMESTAMPTZ"),
    "TIMESTAMPTZ_CMP_DATE": ("TIMESTAMPTZ", "TIMESTAMPTZ"),
    "TIMESTAMPTZ_CMP_TIMESTAMP": ("TIMESTAMPTZ", "TIMESTAMPTZ"),
}
_INT = exp.DataType.build("INT")
T = exp.DataType.Type


def _compared(first: exp.Expression, second: exp.Expression) -> exp.Expression:
    """-1, 0 or 1 as `first` is before, equal to or after `second`; NULL when either is."""
    ifs = [
        exp.If(this=exp.LT(this=first.copy(), expression=second.copy()), true=exp.Literal.number(-1)),
        exp.If(this=exp.GT(this=first.copy(), expression=second.copy()), true=exp.Literal.number(1)),
        exp.If(this=exp.EQ(this=first, expression=second), true=exp.Literal.number(0)),
    ]  # fmt: skip
    built = exp.Case(ifs=ifs)
    built.type = _INT
    return built


def _typed(value: exp.Expression, to: str) -> exp.Expression:
    kind = value.type
    if isinstance(kind, exp.DataType) and kind.is_type(to):
        return value
    return cast(value, to)


def _plain_datetime_text(value: exp.Expression, name: str, node: exp.Expression) -> None:
    """The emulator casts text to a date leniently (' 12 ' is the year 12) and drops a NULL
    comparison before casting the other side, where Redshift fails on text that is not a date:
    literal text it is given must be an ISO date or timestamp."""
    if not (isinstance(value, exp.Literal) and value.is_string):
        return
    iso = compact_iso(value.name) or value.name
    try:
        dt.datetime.fromisoformat(iso)
    except ValueError:
        raise Refusal(f"{name} of {value.name!r}", node, "text that is not an ISO date") from None


def _name(node: exp.Expression) -> str | None:
    return node.name.upper() if isinstance(node, exp.Anonymous) else None


def comparisons(node: exp.Expression, engine: str) -> exp.Expression:
    name = _name(node)
    if name in COMPARISONS:
        if len(node.expressions) != 2:
            return node
        to = COMPARISONS[name]
        if engine == "sqlite" and "TIMESTAMPTZ" in to:
            raise Refusal(name, node, "SQLite keeps no time zone with a timestamp")
        first, second = node.expressions
        if engine == "snowflake":
            for value in (first, second):
                _plain_datetime_text(value, name, node)
        return _compared(_typed(first, to[0]), _typed(second, to[1]))
    if name == "BPCHARCMP" and len(node.expressions) == 2:
        # CHAR values: trailing blanks do not count (the engines compare by code point, as
        # Redshift's byte order does in UTF-8)
        first, second = (call("RTRIM", e) for e in node.expressions)
        return _compared(first, second)
    if name == "INTERVAL_CMP" and len(node.expressions) == 2:
        if engine != "postgres":
            raise Refusal(name, node, "intervals of months and days are not compared here")
        first, second = (cast(e, "INTERVAL") for e in node.expressions)
        return _compared(first, second)
    return node


def dates(node: exp.Expression) -> exp.Expression:
    name = _name(node)
    if name == "DATE_PART_YEAR" and len(node.expressions) == 1:
        year = exp.Extract(this=exp.var("YEAR"), expression=_typed(node.expressions[0], "DATE"))
        year.type = _INT
        return cast(year, "INT")
    if name == "TIMEZONE" and len(node.expressions) == 2:
        zone, value = node.expressions
        kind = value.type
        if not (isinstance(kind, exp.DataType) and kind.is_type("TIMESTAMPTZ")):
            value = _typed(value, "TIMESTAMP")
        built = exp.AtTimeZone(this=value, zone=zone)
        built.type = exp.DataType.build(
            "TIMESTAMP" if value.type and value.type.is_type("TIMESTAMPTZ") else "TIMESTAMPTZ"
        )
        return built
    return node


def _quote_literal(value: exp.Expression) -> exp.Expression:
    """QUOTE_LITERAL: in single quotes, each embedded quote and backslash doubled."""
    if is_integer(value):  # "a number is treated as a string"
        value = cast(value, "VARCHAR")
    doubled = exp.Replace(
        this=exp.Replace(this=value, expression=text("\\"), replacement=text("\\\\")),
        expression=text("'"),
        replacement=text("''"),
    )
    quoted = exp.DPipe(
        this=exp.DPipe(this=text("'"), expression=doubled, safe=True),
        expression=text("'"),
        safe=True,
    )
    quoted.type = exp.DataType.build("VARCHAR")
    return exp.Paren(this=quoted)


def _octets(value: exp.Expression, engine: str) -> exp.Expression:
    if engine == "sqlite":
        return call("dwsim_octets", value)
    return call("OCTET_LENGTH" if engine == "postgres" else "STRLEN", value)


def _octet_index(substring: exp.Expression, value: exp.Expression, engine: str) -> exp.Expression:
    """OCTETINDEX: the byte at which `substring` starts in `value` (1 for ''; 0 when absent):
    the bytes of the characters before it, plus one."""
    found = exp.StrPosition(this=value.copy(), substr=substring)
    before = exp.Substring(
        this=value,
        start=exp.Literal.number(1),
        length=exp.Sub(this=found.copy(), expression=exp.Literal.number(1)),
    )
    zero = exp.Literal.number(0)
    built = exp.Case(
        ifs=[exp.If(this=exp.EQ(this=found, expression=zero), true=zero.copy())],
        default=exp.Add(this=_octets(before, engine), expression=exp.Literal.number(1)),
    )
    built.type = _INT
    return built


def _octet_length(node: exp.Expression, value: exp.Expression, engine: str) -> exp.Expression:
    """OCTET_LENGTH (r_OCTET_LENGTH): the bytes of a VARCHAR, its trailing blanks counted. A
    CHAR counts its whole declared length (`CHAR(15)` gives 15), and a VARBYTE its bytes: both
    refused by name on SQLite and the emulator, which hold neither as Redshift does."""
    kind = type_of(value)
    if kind in (T.CHAR, T.NCHAR):
        raise Refusal("OCTET_LENGTH of a CHAR", node, "it counts the CHAR's blank padding")
    if kind not in (*exp.DataType.TEXT_TYPES, T.UNKNOWN, T.NULL, None):
        raise Refusal("OCTET_LENGTH of a value that is not VARCHAR text", node)
    built = _octets(value, engine)
    built.type = _INT
    return built


def numbers_and_strings(node: exp.Expression, engine: str) -> exp.Expression:
    """DLOG1 and DLOG10 are LN and LOG (base 10) of a DOUBLE PRECISION; REPLICATE is REPEAT;
    FUNC_SHA1 is SHA1; QUOTE_LITERAL and QUOTE_IDENT quote text for SQL."""
    name = _name(node)
    args = node.expressions if name else []
    if name == "FUNC_SHA1" and len(args) == 1:
        if engine == "postgres":
            raise Refusal(name, node, "PostgreSQL has no SHA-1 without pgcrypto")
        return exp.SHA(this=args[0])
    if name == "OCTETINDEX" and len(args) == 2:
        return _octet_index(args[0], args[1], engine)
    if name == "OCTET_LENGTH" and len(args) == 1 and engine != "postgres":
        return _octet_length(node, args[0], engine)
    if name == "QUOTE_LITERAL" and len(args) == 1:
        return _quote_literal(args[0])
    if name == "QUOTE_IDENT" and len(args) == 1:
        if engine != "postgres":
            raise Refusal(name, node, _QUOTE_IDENT)
        return call("quote_ident", args[0])
    if name == "DLOG1" and len(args) == 1:
        return exp.Ln(this=args[0])
    if name == "DLOG10" and len(args) == 1:
        return exp.Log(this=args[0])  # Redshift's LOG of one argument: base 10
    if name == "REPLICATE" and len(args) == 2:
        value = args[0]
        if is_integer(value):  # the page repeats an integer column: Redshift reads it as text
            value = cast(value, "VARCHAR")
        return exp.Repeat(this=value, times=args[1])
    return node


_QUOTE_IDENT = "which words need quotes follows PostgreSQL's list of keywords"
_LENIENT = "the emulator's JSON reader accepts trailing commas and NaN"


_SUPER_TESTS = {"IS_ARRAY": ("array",), "IS_OBJECT": ("object",), "IS_BOOLEAN": ("boolean",)}
_SEMI_STRUCTURED = {T.JSON, T.JSONB, T.VARIANT, T.SUPER}


def _super_kind(value: exp.Expression, engine: str) -> exp.Expression:
    """The JSON kind ('array', 'object', 'string', 'number', 'boolean', 'null') of a SUPER."""
    if engine == "sqlite":  # json_type fails on text that is not JSON, as JSON_PARSE should
        sqlite = call("json_type", value)
        words = {"text": "string", "integer": "number", "real": "number", "true": "boolean",
                 "false": "boolean"}  # fmt: skip
        return exp.Case(
            this=sqlite.copy(),
            ifs=[exp.If(this=text(k), true=text(v)) for k, v in words.items()],
            default=sqlite,
        )
    if engine == "postgres":
        return call("dwsim_json_kind", cast(value, "TEXT"))
    duck = call("UPPER", call("JSON_TYPE", value))
    numbers = [text(k) for k in ("BIGINT", "UBIGINT", "HUGEINT", "DOUBLE", "DECIMAL")]
    return exp.Case(
        ifs=[
            exp.If(this=exp.EQ(this=duck.copy(), expression=text("VARCHAR")), true=text("string")),
            exp.If(this=exp.In(this=duck.copy(), expressions=numbers), true=text("number")),
        ],
        default=call("LOWER", duck),
    )


def super_tests(node: exp.Expression, engine: str) -> exp.Expression:
    """JSON_TYPEOF, IS_ARRAY, IS_OBJECT, IS_SCALAR and IS_BOOLEAN of a SUPER value (one that
    JSON_PARSE or a SUPER column gives; text would be a SUPER string in Redshift: refused)."""
    name: str | None = "IS_ARRAY"  # sqlglot's own node for IS_ARRAY
    arguments = [node.this]
    if not isinstance(node, exp.IsArray):
        name, arguments = _name(node), node.expressions
    if name not in ("JSON_TYPEOF", "IS_SCALAR", *_SUPER_TESTS) or len(arguments) != 1:
        return node
    value = arguments[0]
    if isinstance(value, exp.Array):  # an engine array, or JSON text, depending on its elements
        raise Refusal(f"{name} of ARRAY(...)", node)
    if not isinstance(value, exp.Null) and type_of(value) not in _SEMI_STRUCTURED:
        raise Refusal(f"{name} of a value that is not SUPER", node)
    kind = _super_kind(value, engine)
    if name == "JSON_TYPEOF":
        kind.type = exp.DataType.build("VARCHAR")
        return kind
    if name == "IS_SCALAR":  # "true for any value that is not an array or an object ... false
        # for any other values, including null"
        test: exp.Expression = exp.Not(
            this=exp.In(this=kind, expressions=[text("array"), text("object"), text("null")])
        )
    else:
        test = exp.EQ(this=kind, expression=text(_SUPER_TESTS[name][0]))
    # "The set of IS_ARRAY, IS_OBJECT, and IS_SCALAR cover all values except nulls": false there
    built = exp.Coalesce(this=exp.Paren(this=test), expressions=[exp.false()])
    built.type = exp.DataType.build("BOOLEAN")
    return built


def json_text(node: exp.Expression, engine: str) -> exp.Expression:
    """IS_VALID_JSON (a JSON object: the page's array is not valid), IS_VALID_JSON_ARRAY and
    JSON_EXTRACT_ARRAY_ELEMENT_TEXT of JSON text."""
    name = _name(node)
    args = node.expressions if name else []
    if name in ("IS_VALID_JSON", "IS_VALID_JSON_ARRAY") and len(args) == 1:
        if engine == "snowflake":
            raise Refusal(name, node, _LENIENT)
        wanted = "object" if name == "IS_VALID_JSON" else "array"
        kind = call("dwsim_json_kind", args[0])
        built = exp.Paren(this=exp.EQ(this=kind, expression=text(wanted)))
        built.type = exp.DataType.build("BOOLEAN")
        return built
    if name == "JSON_EXTRACT_ARRAY_ELEMENT_TEXT" and len(args) in (2, 3):
        if engine == "snowflake":
            raise Refusal(name, node, "the emulator cannot tell an invalid array from a short one")
        flag = args[2] if len(args) == 3 else exp.false()
        if not isinstance(flag, exp.Boolean):
            raise Refusal(f"{name} with null_if_invalid that is not TRUE or FALSE", node)
        element = call("dwsim_json_array_element", args[0], args[1], flag)
        element.type = exp.DataType.build("VARCHAR")
        return element
    return node


def bit_aggregates(node: exp.Expression, engine: str) -> exp.Expression:
    """BIT_AND / BIT_OR of integers: the engine's own aggregate (the pack's on SQLite)."""
    if not isinstance(node, exp.BitwiseAndAgg | exp.BitwiseOrAgg):
        return node
    name = "BIT_AND" if isinstance(node, exp.BitwiseAndAgg) else "BIT_OR"
    value = node.this
    inner = value.expressions[0] if isinstance(value, exp.Distinct) else value
    if isinstance(inner, exp.Null):
        raise Refusal(f"{name} of an untyped NULL", node)
    if isinstance(value, exp.Distinct):  # AND and OR of a value twice: the value once
        value = inner
    if engine == "snowflake" and not is_integer(value):
        # Redshift takes integers only; the emulator would round 2.5 to 3.
        raise Refusal(f"{name} of a value that is not an integer", node)
    # The emulator reads BIT_AND(x) as Snowflake's scalar BITAND: its aggregate is BITAND_AGG.
    spelled = {"sqlite": f"dwsim_{name.lower()}", "snowflake": f"{name.replace('_', '')}_AGG"}
    built = call(spelled.get(engine, name), value)
    built.type = value.type
    return built


def _for(engine: str) -> Rewrite:
    def fn(node: exp.Expression) -> exp.Expression:
        node = comparisons(node, engine)
        node = dates(node)
        node = json_text(node, engine)
        node = bit_aggregates(node, engine)
        node = super_tests(node, engine)
        return numbers_and_strings(node, engine)

    return fn


for _engine in compat_engines():
    rewrite("conditionals", sources=["redshift"], engines=[_engine], first=True)(_for(_engine))
