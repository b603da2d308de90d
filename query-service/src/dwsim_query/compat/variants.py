"""What a Snowflake VARIANT holds: TYPEOF, the IS_<type> predicates and the AS_<type> reads.

Each engine keeps a VARIANT as JSON (SQLite: text, the Redshift mock: JSON or JSONB, the
emulator: DuckDB's JSON), so one expression per engine names the value's Snowflake type
(https://docs.snowflake.com/en/sql-reference/functions/typeof) and every predicate and read
is a test of that name. A JSON number is INTEGER without a fraction, DOUBLE when written with
an exponent, DECIMAL otherwise (as PARSE_JSON types it).
"""

from __future__ import annotations

import re
import typing
from collections.abc import Callable

from sqlglot import exp

from dwsim_query.compat.nodes import Refusal, call, failure, is_integer, text, type_of
from dwsim_query.compat.registry import ColumnTypes, parsed_rewrite, rewrite

T = exp.DataType.Type
# A path (`v:a`, GET) is typed UNKNOWN by the annotator: only a value known to be of another
# type is refused.
VARIANT_TYPES = frozenset({T.VARIANT, T.JSON, T.JSONB, T.OBJECT, T.ARRAY, T.NULL, T.UNKNOWN, None})

# IS_<type>: the TYPEOF names for which it answers TRUE (IS_DECIMAL and IS_DOUBLE take every
# narrower number too: https://docs.snowflake.com/en/sql-reference/functions/is_decimal,
# .../is_double).
PREDICATES = {
    "IS_ARRAY": ("ARRAY",),
    "IS_OBJECT": ("OBJECT",),
    "IS_NULL_VALUE": ("NULL_VALUE",),
    "IS_BOOLEAN": ("BOOLEAN",),
    "IS_INTEGER": ("INTEGER",),
    "IS_DECIMAL": ("INTEGER", "DECIMAL"),
    "IS_DOUBLE": ("INTEGER", "DECIMAL", "DOUBLE"),
    "IS_REAL": ("INTEGER", "DECIMAL", "DOUBLE"),
    "IS_VARCHAR": ("VARCHAR",),
    "IS_CHAR": ("VARCHAR",),
    # A VARIANT parsed from JSON text never holds a date or a time: these are FALSE for it.
    "IS_DATE": ("DATE",),
    "IS_DATE_VALUE": ("DATE",),
    "IS_TIME": ("TIME",),
    "IS_TIMESTAMP_NTZ": ("TIMESTAMP_NTZ",),
    "IS_TIMESTAMP_LTZ": ("TIMESTAMP_LTZ",),
    "IS_TIMESTAMP_TZ": ("TIMESTAMP_TZ",),
}
# AS_<type>: the TYPEOF name it reads, and the SQL type of what it answers.
READS = {
    "AS_VARCHAR": ("VARCHAR", "VARCHAR"),
    "AS_CHAR": ("VARCHAR", "VARCHAR"),
    "AS_BOOLEAN": ("BOOLEAN", "BOOLEAN"),
    "AS_ARRAY": ("ARRAY", "ARRAY"),
    "AS_OBJECT": ("OBJECT", "OBJECT"),
    "AS_DATE": ("DATE", "DATE"),
    "AS_TIME": ("TIME", "TIME"),
    "AS_TIMESTAMP_NTZ": ("TIMESTAMP_NTZ", "TIMESTAMPNTZ"),
    "AS_TIMESTAMP_LTZ": ("TIMESTAMP_LTZ", "TIMESTAMPLTZ"),
    "AS_TIMESTAMP_TZ": ("TIMESTAMP_TZ", "TIMESTAMPTZ"),
}
# The predicates and reads of a date or time: answered only for a value parsed from JSON text
# in the query (PARSE_JSON or a path into it), which cannot hold one. Another VARIANT (a
# column, an ARRAY_CONSTRUCT element) may hold a date, which the engines keep as its text.
TEMPORAL = frozenset(name for name in (*PREDICATES, *READS)
                     if name.split("_", 1)[1].startswith(("DATE", "TIME")))  # fmt: skip
# AS_<number>: the TYPEOF names it converts; a number of another kind fails by name.
NUMBERS = {
    "AS_INTEGER": ("INTEGER",),
    "AS_DECIMAL": ("INTEGER", "DECIMAL"),
    "AS_NUMBER": ("INTEGER", "DECIMAL"),
    "AS_DOUBLE": ("INTEGER", "DECIMAL", "DOUBLE"),
    "AS_REAL": ("INTEGER", "DECIMAL", "DOUBLE"),
}
RESULTS = {name: "BOOLEAN" for name in PREDICATES} | {n: r for n, (_, r) in READS.items()}
RESULTS["STRIP_NULL_VALUE"] = "VARIANT"
RESULTS |= {"AS_INTEGER": "BIGINT", "AS_DECIMAL": "DECIMAL", "AS_NUMBER": "DECIMAL",
            "AS_DOUBLE": "DOUBLE", "AS_REAL": "DOUBLE"}  # fmt: skip
PATHS = (exp.JSONExtract, exp.GetExtract, exp.Bracket, exp.Paren)


def _name(node: exp.Expr) -> str | None:
    if isinstance(node, exp.IsArray):
        return "IS_ARRAY"
    if isinstance(node, exp.IsNullValue):
        return "IS_NULL_VALUE"
    if isinstance(node, exp.StripNullValue):
        return "STRIP_NULL_VALUE"
    if isinstance(node, exp.Anonymous) and node.name.upper() in RESULTS:
        return node.name.upper()
    return None


def _argument(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Anonymous):
        most = 3 if node.name.upper() in ("AS_DECIMAL", "AS_NUMBER") else 1
        if not 1 <= len(node.expressions) <= most:
            raise Refusal(f"{node.name.upper()} with {len(node.expressions)} arguments", node)
        return node.expressions[0]
    return node.this


@parsed_rewrite("semistructured", dialects=["snowflake"])
def typed_calls(tree: exp.Expression, _schema: ColumnTypes) -> exp.Expression:
    """IS_<type>, AS_<type> and TO_VARIANT typed as they answer (a BOOLEAN, a VARCHAR, a
    VARIANT...), by a cast the typed stage takes off again: the answer's type is the source's."""
    for node in list(tree.find_all(exp.Func)):
        if isinstance(node, exp.ToVariant) and not isinstance(node.parent, exp.Cast):
            node.replace(exp.cast(node.copy(), exp.DataType.build("VARIANT", dialect="snowflake")))
            continue
        name = _name(node)
        if name is None or isinstance(node.parent, exp.Cast):
            continue
        if name in TEMPORAL:
            written = typing.cast(exp.Expression, node)
            _parsed_from_text(name, _argument(written), written)
        result = RESULTS[name]
        if name in ("AS_DECIMAL", "AS_NUMBER"):
            assert isinstance(node, exp.Anonymous)
            result = "DECIMAL({}, {})".format(*_precision_scale(name, node))
        node.replace(exp.cast(node.copy(), exp.DataType.build(result, dialect="snowflake")))
    return tree


def _parsed_from_text(name: str, value: exp.Expression, node: exp.Expression) -> None:
    root = value
    while isinstance(root, PATHS):
        root = root.this
    if not isinstance(root, exp.ParseJSON | exp.Null):
        raise Refusal(f"{name} of a VARIANT not parsed from JSON text in the query", node,
                      "the simulator keeps a date or time inside a VARIANT as its text, so it "
                      "cannot tell one from a string")  # fmt: skip


def _precision_scale(name: str, node: exp.Anonymous) -> tuple[int, int]:
    """AS_DECIMAL's precision (38 unless given) and scale (0 unless given), integer literals."""
    given = [*node.expressions[1:3], None, None]
    found = []
    for value, default in zip(given[:2], (38, 0), strict=True):
        if value is None:
            found.append(default)
        elif isinstance(value, exp.Literal) and value.is_int:
            found.append(int(value.this))
        else:
            raise Refusal(f"{name} with a precision or scale that is not an integer literal", node)
    precision, scale = found
    if not 1 <= precision <= 38 or not 0 <= scale < precision:
        raise Refusal(f"{name} with precision {precision} and scale {scale}", node,
                      "Snowflake takes a precision of 1 to 38 and a scale below it")  # fmt: skip
    return precision, scale


def _sqlite_kind(value: exp.Expression) -> exp.Expression:
    kind = call("json_type", value.copy())
    exponent = exp.GT(this=call("instr", call("lower", value.copy()), text("e")),
                      expression=exp.Literal.number(0))  # fmt: skip
    real = exp.Case(ifs=[exp.If(this=exponent, true=text("DOUBLE"))], default=text("DECIMAL"))
    names = {"null": "NULL_VALUE", "true": "BOOLEAN", "false": "BOOLEAN", "integer": "INTEGER",
             "text": "VARCHAR", "array": "ARRAY", "object": "OBJECT"}  # fmt: skip
    ifs = [exp.If(this=text(k), true=text(v)) for k, v in names.items()]
    return exp.Case(this=kind, ifs=[*ifs, exp.If(this=text("real"), true=real)])


def _position(value: exp.Expression, part: str) -> exp.Expression:
    return exp.StrPosition(this=value, substr=text(part))


def _postgres_kind(value: exp.Expression) -> exp.Expression:
    # JSON (not JSONB) keeps a number as written: the exponent and the fraction are still seen.
    document = exp.cast(value.copy(), exp.DataType.build("JSON"))
    written = call("lower", exp.cast(document.copy(), exp.DataType.build("TEXT")))
    number = exp.Case(
        ifs=[
            exp.If(this=exp.GT(this=_position(written.copy(), "e"),
                               expression=exp.Literal.number(0)), true=text("DOUBLE")),
            exp.If(this=exp.GT(this=_position(written, "."),
                               expression=exp.Literal.number(0)), true=text("DECIMAL")),
        ],
        default=text("INTEGER"),
    )  # fmt: skip
    names = {"null": "NULL_VALUE", "boolean": "BOOLEAN", "string": "VARCHAR", "array": "ARRAY",
             "object": "OBJECT"}  # fmt: skip
    ifs = [exp.If(this=text(k), true=text(v)) for k, v in names.items()]
    return exp.Case(
        this=call("json_typeof", document), ifs=[*ifs, exp.If(this=text("number"), true=number)]
    )


def _emulator_kind(value: exp.Expression) -> exp.Expression:
    # DuckDB's JSON types: BIGINT/UBIGINT/HUGEINT for integers, DOUBLE for any other number.
    # DuckDB writes a parsed number back without its exponent: PARSE_JSON's text still has it.
    if isinstance(value, exp.ParseJSON) and not value.args.get("safe"):
        written = call("lower", value.this.copy())
    else:
        written = call("lower", exp.cast(value.copy(), exp.DataType.build("TEXT")))
    exponent = exp.GT(this=_position(written, "e"), expression=exp.Literal.number(0))
    real = exp.Case(ifs=[exp.If(this=exponent, true=text("DOUBLE"))], default=text("DECIMAL"))
    names = {"NULL": "NULL_VALUE", "BOOLEAN": "BOOLEAN", "BIGINT": "INTEGER",
             "UBIGINT": "INTEGER", "HUGEINT": "INTEGER", "VARCHAR": "VARCHAR",
             "ARRAY": "ARRAY", "OBJECT": "OBJECT"}  # fmt: skip
    ifs = [exp.If(this=text(k), true=text(v)) for k, v in names.items()]
    return exp.Case(
        this=call("json_type", value.copy()), ifs=[*ifs, exp.If(this=text("DOUBLE"), true=real)]
    )


def _number_read(
    name: str, value: exp.Expression, engine: str, kind: exp.Expression, to: exp.DataType
) -> exp.Expression:
    """AS_INTEGER / AS_DECIMAL / AS_DOUBLE: the number read from its JSON text (AS_DECIMAL
    rounds half away from zero to its scale and fails past its precision, as TO_NUMBER does);
    a value that is no number is NULL; a number of a kind whose conversion the reference leaves
    open fails by name."""
    if engine == "sqlite":
        written: exp.Expression = exp.cast(value.copy(), exp.DataType.build("TEXT"))
    elif engine == "postgres":
        written = exp.Paren(this=exp.JSONBExtractScalar(
            this=exp.cast(value.copy(), exp.DataType.build("JSONB")), expression=text("{}")))  # fmt: skip
    else:
        written = call("json_extract_string", value.copy(), text("$"))
    if name == "AS_INTEGER":
        read: exp.Expression = exp.cast(written, exp.DataType.build("BIGINT"))
    elif name in ("AS_DOUBLE", "AS_REAL"):
        read = exp.cast(written, exp.DataType.build("DOUBLE"))
    else:
        precision, scale = (int(e.name) for e in to.expressions)
        read = exp.ToNumber(this=written, precision=exp.Literal.number(precision),
                            scale=exp.Literal.number(scale))  # fmt: skip
    converts = NUMBERS[name]
    ifs = [exp.If(this=exp.In(this=kind.copy(), expressions=[text(k) for k in converts]),
                  true=read)]  # fmt: skip
    others = [k for k in ("INTEGER", "DECIMAL", "DOUBLE") if k not in converts]
    if name == "AS_INTEGER":
        message = (
            "AS_INTEGER of a number with a fraction (the reference leaves open whether it rounds)"
        )
        ifs.append(exp.If(this=exp.In(this=kind, expressions=[text(k) for k in others]),
                          true=failure(engine, message)))  # fmt: skip
    return exp.Case(ifs=ifs)


KINDS: dict[str, Callable[[exp.Expression], exp.Expression]] = {
    "sqlite": _sqlite_kind,
    "postgres": _postgres_kind,
    "snowflake": _emulator_kind,
}


def _scalar(value: exp.Expression, engine: str, to: str) -> exp.Expression:
    """The JSON scalar as a SQL value (a string without its quotes)."""
    if engine == "sqlite":
        read: exp.Expression = call("json_extract", value.copy(), text("$"))
        return read if to == "BOOLEAN" else exp.cast(read, exp.DataType.build("TEXT"))
    if engine == "postgres":
        read = exp.JSONBExtractScalar(
            this=exp.cast(value.copy(), exp.DataType.build("JSONB")), expression=text("{}")
        )
        return exp.cast(exp.Paren(this=read), exp.DataType.build(to))
    return exp.cast(call("json_extract_string", value.copy(), text("$")),
                    exp.DataType.build(to))  # fmt: skip


def _document(value: exp.Expression, engine: str) -> exp.Expression:
    # The emulator's server cannot send an ARRAY it built (a DuckDB list: HTTP 500), a VARIANT
    # it can; a JSON value is sent as it is (its cast would drop a string's quotes).
    if engine == "snowflake" and type_of(value) in (T.ARRAY, T.OBJECT, T.STRUCT):
        return exp.cast(value.copy(), exp.DataType.build("VARIANT", dialect="snowflake"))
    return value.copy()


def _variant_argument(name: str, value: exp.Expression, node: exp.Expression) -> None:
    if type_of(value) not in VARIANT_TYPES and not isinstance(value, exp.Null):
        raise Refusal(f"{name} of a value that is not a VARIANT", node)


# A JSON number written with an exponent (`1.912e2`), which Snowflake types DOUBLE, in the
# query's text (any string literal: PARSE_JSON may already be rewritten where it is read).
EXPONENT = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?[eE][+-]?\d+(?![\w.])")


def _exponent_lost(name: str, value: exp.Expression, node: exp.Expression) -> None:
    """The emulator reads the exponent from PARSE_JSON's own text; a value taken from a parsed
    document (a path, a subquery's column) was written back by DuckDB without it, and would be
    typed DECIMAL where Snowflake says DOUBLE. Where the query parses text with an exponent,
    such a value is refused by name (the generator writes no exponents in its data)."""
    if isinstance(value, exp.ParseJSON) and not value.args.get("safe"):
        return  # its own text is read
    for written in node.root().find_all(exp.Literal):
        if written.is_string and EXPONENT.search(written.this):
            raise Refusal(f"{name} of a value parsed from a number written with an exponent", node,
                          "the emulator keeps no exponent once the text is parsed")  # fmt: skip


def _rewrite_for(engine: str) -> Callable[[exp.Expression], exp.Expression]:
    kind_of = KINDS[engine]

    def variants(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Typeof):
            _variant_argument("TYPEOF", node.this, node)
            if engine == "snowflake":
                _exponent_lost("TYPEOF", node.this, node)
            return kind_of(node.this)
        if not isinstance(node, exp.Cast):
            return node
        name = _name(node.this)
        if name is None or node.to.this != exp.DataType.build(RESULTS[name]).this:
            return node
        value = _argument(node.this)
        _variant_argument(name, value, node.this)
        if isinstance(value, exp.Null):
            return exp.Null()
        if engine == "snowflake":
            _exponent_lost(name, value, node.this)
        if name in PREDICATES:
            names = PREDICATES[name]
            kind = kind_of(value)
            if len(names) == 1:
                return exp.Paren(this=exp.EQ(this=kind, expression=text(names[0])))
            return exp.Paren(this=exp.In(this=kind, expressions=[text(n) for n in names]))
        if name == "STRIP_NULL_VALUE":  # a JSON null becomes a SQL NULL
            is_null = exp.EQ(this=kind_of(value), expression=text("NULL_VALUE"))
            return exp.Case(ifs=[exp.If(this=is_null, true=exp.Null())],
                            default=_document(value, engine))  # fmt: skip
        if name in NUMBERS:
            return _number_read(name, value, engine, kind_of(value), node.to)
        if name in TEMPORAL:  # of JSON text (typed_calls refused any other VARIANT): no date
            return exp.Null()
        wanted, to = READS[name]
        is_kind = exp.EQ(this=kind_of(value), expression=text(wanted))
        read = _document(value, engine) if to in ("ARRAY", "OBJECT") else _scalar(value, engine, to)
        return exp.Case(ifs=[exp.If(this=is_kind, true=read)])

    variants.__name__ = variants.__qualname__ = f"variants_{engine}"
    return variants


for _engine in KINDS:
    rewrite("semistructured", sources=["snowflake"], engines=[_engine])(_rewrite_for(_engine))


def _to_variant_for(engine: str) -> Callable[[exp.Expression], exp.Expression]:
    def to_variant(node: exp.Expression) -> exp.Expression:
        """TO_VARIANT(x) and `x::VARIANT` of a string, an integer or a boolean: the JSON value
        it holds (a string prints quoted, as Snowflake prints a VARIANT)."""
        if isinstance(node, exp.ToVariant):
            value = node.this
            if isinstance(node.parent, exp.Cast) and node.parent.to.this == T.VARIANT:
                return node  # typed_calls' cast: rewritten with it
        elif isinstance(node, exp.Cast) and node.to.this == T.VARIANT:
            if _name(node.this) is not None or isinstance(node.this, exp.ArrayMin | exp.ArrayMax):
                return node  # typed_calls' cast of STRIP_NULL_VALUE; arrays_more's
            value = node.this.this if isinstance(node.this, exp.ToVariant) else node.this
        else:
            return node
        kind = type_of(value)
        called = node if isinstance(node, exp.ToVariant) else node.this
        written = "TO_VARIANT" if isinstance(called, exp.ToVariant) else "a cast to VARIANT"
        where = called if isinstance(called, exp.ToVariant) else node
        if isinstance(value, exp.Null) or kind == T.NULL:
            return exp.Null()
        if kind in (T.VARIANT, T.JSON, T.JSONB, T.OBJECT, T.ARRAY):
            return _document(value, engine)
        if kind in exp.DataType.TEMPORAL_TYPES:
            raise Refusal(f"{written} of a date or time value", where)
        if not (kind in exp.DataType.TEXT_TYPES or is_integer(value) or kind == T.BOOLEAN):
            what = (
                "a number with a fraction" if kind in exp.DataType.NUMERIC_TYPES
                else "an unknown type" if kind in (None, T.UNKNOWN)
                else f"a {kind.value}"
            )  # fmt: skip
            raise Refusal(f"{written} of {what}", where)
        if engine == "snowflake":
            return call("TO_VARIANT", value)  # the emulator's TO_JSON
        if engine == "postgres":
            typed = kind in exp.DataType.TEXT_TYPES  # a quoted literal is of unknown type there
            return call("to_jsonb", exp.cast(value, exp.DataType.build("TEXT")) if typed else value)
        if kind == T.BOOLEAN:  # SQLite keeps a boolean as 1 or 0
            return exp.Case(ifs=[exp.If(this=value.copy(), true=text("true")),
                                 exp.If(this=exp.Not(this=value), true=text("false"))])  # fmt: skip
        return call("json_quote", value)

    to_variant.__name__ = to_variant.__qualname__ = f"to_variant_{engine}"
    return to_variant


for _engine in KINDS:
    # First in the family: TYPEOF and the predicates read the JSON value it builds.
    rewrite("semistructured", sources=["snowflake"], engines=[_engine], first=True)(
        _to_variant_for(_engine)
    )
