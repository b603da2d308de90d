"""Snowflake conversions of semi-structured values and its text-to-array functions:
TRY_PARSE_JSON, TO_JSON, TO_ARRAY, TO_OBJECT, SPLIT and STRTOK_TO_ARRAY.

A VARIANT is JSON on every engine (SQLite: text, the Redshift mock: JSON or JSONB, the
emulator: DuckDB's JSON). TO_JSON writes it compact with an OBJECT's keys sorted (as Snowflake
keeps them, and as the simulator prints a VARIANT) and a number as written; a number with an
exponent (a DOUBLE, which Snowflake writes in its own form) fails by name. TRY_PARSE_JSON
answers NULL where Snowflake's parser fails (duplicate keys included) and fails by name on text
Snowflake reads otherwise than JSON (a trailing comma: an undefined element; NaN).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlglot import exp

from dwsim_query.compat.nodes import Refusal, call, failure, is_integer, text, type_of
from dwsim_query.compat.registry import ColumnTypes, parsed_rewrite, rewrite

T = exp.DataType.Type
DOCUMENTS = frozenset({T.VARIANT, T.JSON, T.JSONB, T.ARRAY, T.OBJECT, T.STRUCT, T.UNKNOWN, None})
TEXTUAL = exp.DataType.TEXT_TYPES | {T.UNKNOWN, T.NULL, None}
RESULTS = {
    "SPLIT": "ARRAY",
    "STRTOK_TO_ARRAY": "ARRAY",
    "TO_ARRAY": "ARRAY",
    "TO_OBJECT": "OBJECT",
    "TO_JSON": "VARCHAR",
    "TRY_PARSE_JSON": "VARIANT",
}
EMULATOR_REFUSED = {
    "TO_JSON": "the emulator cannot sort an OBJECT's keys as Snowflake writes them",
    "TRY_PARSE_JSON": "the emulator's JSON reader accepts trailing commas, NaN and duplicate keys",
}


def _named(node: exp.Expr) -> str | None:
    if isinstance(node, exp.Split):
        return "SPLIT"
    if isinstance(node, exp.StrtokToArray):
        return "STRTOK_TO_ARRAY"
    if isinstance(node, exp.ToArray):
        return "TO_ARRAY"
    if isinstance(node, exp.JSONFormat):
        return "TO_JSON"
    if isinstance(node, exp.ParseJSON) and node.args.get("safe"):
        return "TRY_PARSE_JSON"
    if isinstance(node, exp.Anonymous) and node.name.upper() == "TO_OBJECT":
        return "TO_OBJECT"
    return None


@parsed_rewrite("semistructured", dialects=["snowflake"])
def typed_conversions(tree: exp.Expression, _schema: ColumnTypes) -> exp.Expression:
    """Each call typed as Snowflake answers it (ARRAY, OBJECT, VARCHAR, VARIANT) by a cast its
    rewrite below takes off again."""
    for node in list(tree.find_all(exp.Func)):
        name = _named(node)
        if name is None or name == "TRY_PARSE_JSON" or isinstance(node.parent, exp.Cast):
            continue
        to = exp.DataType.build(RESULTS[name], dialect="snowflake")
        node.replace(exp.cast(node.copy(), to))
    return tree


def _arguments(node: exp.Expression, name: str) -> list[exp.Expression]:
    if isinstance(node, exp.Anonymous):
        values = list(node.expressions)
    else:
        values = [node.this] + ([node.expression] if node.args.get("expression") else [])
    expected = {"SPLIT": 2, "STRTOK_TO_ARRAY": 2}.get(name, 1)
    if len(values) != expected:
        raise Refusal(f"{name} with {len(values)} arguments", node)
    return values


def _document(value: exp.Expression, engine: str, to: str = "JSON") -> exp.Expression:
    """The VARIANT as the engine's JSON (the mock: JSON keeps numbers as written)."""
    kind = type_of(value)
    if kind not in DOCUMENTS:
        # Imported here: importing variants first would move its rewrites ahead of
        # semistructured's in the chain (the order of registration is the chain's order).
        from dwsim_query.compat.variants import _to_variant_for

        value = _to_variant_for(engine)(exp.ToVariant(this=value.copy()))
    elif engine == "snowflake" and kind in (T.ARRAY, T.OBJECT, T.STRUCT):
        value = exp.cast(value.copy(), exp.DataType.build("VARIANT", dialect="snowflake"))
    if engine == "postgres":
        return exp.cast(value.copy(), exp.DataType.build(to))
    if engine == "snowflake":
        return exp.cast(value.copy(), exp.DataType.build("JSON"))
    return value.copy()


def _pattern(delimiters: exp.Expression, node: exp.Expression) -> str | None:
    """The regular expression of a literal delimiter set (None: an empty set)."""
    if not (isinstance(delimiters, exp.Literal) and delimiters.is_string):
        raise Refusal("STRTOK_TO_ARRAY with delimiters that are not a literal", node)
    chars = delimiters.this
    if not chars:
        return None
    return "[" + re.sub(r"([\]\[\\^-])", r"\\\1", chars) + "]"


def _is_null(value: exp.Expression) -> exp.Expression:
    return exp.Is(this=value.copy(), expression=exp.Null())


def _case(
    *pairs: tuple[exp.Expression, exp.Expression], default: exp.Expression | None = None
) -> exp.Case:
    return exp.Case(ifs=[exp.If(this=c, true=v) for c, v in pairs], default=default)


def _sqlite(name: str, args: list[exp.Expression], node: exp.Expression) -> exp.Expression:
    if name == "SPLIT":
        return call("dwsim_split", *args)
    if name == "STRTOK_TO_ARRAY":
        return call("dwsim_strtok_to_array", *args)
    if name == "TRY_PARSE_JSON":
        return call("dwsim_try_parse_json", args[0])
    return call("dwsim_" + name.lower(), _document(args[0], "sqlite"))


def _postgres(name: str, args: list[exp.Expression], node: exp.Expression) -> exp.Expression:
    jsonb = exp.DataType.build("JSONB")
    if name == "SPLIT":
        value, sep = (exp.cast(a.copy(), exp.DataType.build("TEXT")) for a in args)
        whole = exp.Or(this=exp.EQ(this=sep.copy(), expression=text("")),
                       expression=exp.EQ(this=value.copy(), expression=text("")))  # fmt: skip
        return _case(
            (exp.Or(this=_is_null(value), expression=_is_null(sep)), exp.Null()),
            (whole, call("JSONB_BUILD_ARRAY", value.copy())),
            default=call("TO_JSONB", call("STRING_TO_ARRAY", value, sep)),
        )
    if name == "STRTOK_TO_ARRAY":
        value = exp.cast(args[0].copy(), exp.DataType.build("TEXT"))
        pattern = _pattern(args[1], node)
        if pattern is None:
            return _case(
                (_is_null(value), exp.Null()),
                (exp.EQ(this=value.copy(), expression=text("")), exp.cast(text("[]"), jsonb)),
                default=call("JSONB_BUILD_ARRAY", value.copy()),
            )
        parts = call("REGEXP_SPLIT_TO_ARRAY", value.copy(), text(pattern))
        return _case(
            (_is_null(value), exp.Null()),
            default=call("TO_JSONB", call("ARRAY_REMOVE", parts, text(""))),
        )
    if name == "TRY_PARSE_JSON":
        return call("dwsim_try_parse_json", exp.cast(args[0].copy(), exp.DataType.build("TEXT")))
    if name == "TO_JSON":
        document = _document(args[0], "postgres")
        is_null = exp.EQ(this=call("JSON_TYPEOF", document.copy()), expression=text("null"))
        return _case((is_null, text('"null"')), default=call("dwsim_to_json", document))
    document = _document(args[0], "postgres", "JSONB")
    kind = call("JSONB_TYPEOF", document.copy())
    wanted = "array" if name == "TO_ARRAY" else "object"
    other = (
        call("JSONB_BUILD_ARRAY", document.copy())
        if name == "TO_ARRAY"
        else call("TO_JSONB", failure("postgres", "TO_OBJECT: the argument is not an OBJECT"))
    )
    return _case(
        (_is_null(document), exp.Null()),
        (exp.EQ(this=kind.copy(), expression=text(wanted)), document.copy()),
        (exp.EQ(this=kind, expression=text("null")), exp.Null()),
        default=other,
    )


def _emulator(name: str, args: list[exp.Expression], node: exp.Expression) -> exp.Expression:
    if name in EMULATOR_REFUSED:
        raise Refusal(name, node, EMULATOR_REFUSED[name])
    if name == "SPLIT":
        value, sep = (exp.cast(a.copy(), exp.DataType.build("TEXT")) for a in args)
        built = _case(
            (exp.Or(this=_is_null(value), expression=_is_null(sep)), exp.Null()),
            (exp.EQ(this=sep.copy(), expression=text("")), call("list_value", value.copy())),
            default=call("string_split", value, sep),
        )
        return call("to_json", built)
    if name == "STRTOK_TO_ARRAY":
        value = exp.cast(args[0].copy(), exp.DataType.build("TEXT"))
        pattern = _pattern(args[1], node)
        x = exp.to_identifier("dwsim_x")
        kept = exp.Lambda(this=exp.NEQ(this=exp.column(x.copy()), expression=text("")),
                          expressions=[x])  # fmt: skip
        if pattern is None:
            tokens: exp.Expression = call("list_value", value.copy())
        else:
            tokens = call("regexp_split_to_array", value.copy(), text(pattern))
        return call("to_json", _case((_is_null(value), exp.Null()),
                                     default=call("list_filter", tokens, kept)))  # fmt: skip
    document = _document(args[0], "snowflake")
    kind = call("json_type", document.copy())
    wanted = "ARRAY" if name == "TO_ARRAY" else "OBJECT"
    other = (
        call("to_json", call("list_value", document.copy()))
        if name == "TO_ARRAY"
        else call("error", text("TO_OBJECT: the argument is not an OBJECT"))
    )
    return _case(
        (_is_null(document), exp.Null()),
        (exp.EQ(this=kind.copy(), expression=text(wanted)), document.copy()),
        (exp.EQ(this=kind, expression=text("NULL")), exp.Null()),
        default=other,
    )


BUILDERS = {"sqlite": _sqlite, "postgres": _postgres, "snowflake": _emulator}


def _rewrite_for(engine: str) -> Callable[[exp.Expression], exp.Expression]:
    build = BUILDERS[engine]

    def conversions(node: exp.Expression) -> exp.Expression:
        if _named(node) == "TRY_PARSE_JSON":  # typed VARIANT already, as PARSE_JSON is
            args = _arguments(node, "TRY_PARSE_JSON")
            if isinstance(args[0], exp.Null):
                return exp.Null()
            return exp.Paren(this=build("TRY_PARSE_JSON", args, node))
        if not isinstance(node, exp.Cast):
            return node
        name = _named(node.this)
        if (
            name is None
            or node.to.this != exp.DataType.build(RESULTS[name], dialect="snowflake").this
        ):
            return node
        called = node.this
        args = _arguments(called, name)
        if any(isinstance(a, exp.Null) for a in args):
            return exp.Null()
        if name in ("SPLIT", "STRTOK_TO_ARRAY"):
            for value in args:
                kind = type_of(value)
                if not (kind in TEXTUAL or is_integer(value)):
                    # Snowflake's text of a boolean, a float or a date is not every engine's
                    raise Refusal(f"{name} of a value that is not text", called)
        if name == "TO_OBJECT" and type_of(args[0]) not in DOCUMENTS:
            raise Refusal("TO_OBJECT of a value that is not an OBJECT or a VARIANT", called)
        built = build(name, args, called)
        if engine == "snowflake" and RESULTS[name] != "VARCHAR":
            return exp.cast(built, exp.DataType.build("VARIANT", dialect="snowflake"))
        return exp.Paren(this=built)

    conversions.__name__ = conversions.__qualname__ = f"json_conversions_{engine}"
    return conversions


for _engine in BUILDERS:
    # First in the family: PARSE_JSON's own rewrites would read TRY_PARSE_JSON as PARSE_JSON.
    rewrite("semistructured", sources=["snowflake"], engines=[_engine], first=True)(
        _rewrite_for(_engine)
    )
