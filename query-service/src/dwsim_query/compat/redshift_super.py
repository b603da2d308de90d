"""Redshift's SUPER array functions and two conversions, on every engine: JSON_SERIALIZE,
JSON_SIZE, GET_ARRAY_LENGTH, SUBARRAY, SPLIT_TO_ARRAY, ARRAY_CONCAT, ARRAY_FLATTEN, DEXP,
STRTOL, TEXT_TO_INT_ALT and COT; and ARRAY(...) on SQLite.

A SUPER value is JSON on every engine: SQLite's JSON text (JSON_PARSE is `json(...)`, ARRAY is
`json_array(...)`), the Redshift mock's `json` (its text and key order kept), the emulator's
DuckDB JSON. SQLite and the mock run the pack's functions (`dwsim_rs_*`), the emulator DuckDB's
list functions. A NULL answers NULL (JSON_SERIALIZE: the text 'null', as its page says); a value
that is not an array where one is needed fails by name; text is not a SUPER value (Redshift
would read it as a SUPER string): refused.

They run first in the chain (family `conditionals`), before JSON_PARSE and ARRAY are written
for the engine, so they see the value as the user wrote it."""

from __future__ import annotations

from sqlglot import exp

from dwsim_query.compat.arrays import _elements
from dwsim_query.compat.nodes import Refusal, call, cast, failure, is_integer, text, type_of
from dwsim_query.compat.redshift_arrays import array_functions
from dwsim_query.compat.redshift_super_types import type_tests
from dwsim_query.compat.registry import Rewrite, compat_engines, rewrite

T = exp.DataType.Type
SUPER = exp.DataType(this=T.SUPER)
_DOCUMENTS = frozenset({T.JSON, T.JSONB, T.VARIANT, T.SUPER, T.ARRAY})
# SUPER values whatever their annotated type: ARRAY(...), JSON_PARSE, a navigation path
_SUPER_NODES = (exp.Array, exp.ParseJSON, exp.JSONExtract, exp.JSONBExtract)
# Anonymous calls handled here, with their argument counts.
_CALLS = {
    "JSON_SERIALIZE": (1,),
    "JSON_SIZE": (1,),
    "GET_ARRAY_LENGTH": (1,),
    "SUBARRAY": (2, 3),
    "ARRAY_FLATTEN": (1,),
    "DEXP": (1,),
    "TEXT_TO_INT_ALT": (1, 2),
}
_RESULTS = {
    "JSON_SERIALIZE": "VARCHAR",
    "JSON_SIZE": "INT",
    "GET_ARRAY_LENGTH": "BIGINT",
    "STRTOL": "BIGINT",
    "TEXT_TO_INT_ALT": "INT",
}
_NOT_ON_EMULATOR = {
    "STRTOL": "the emulator has no conversion from an arbitrary base",
    "TEXT_TO_INT_ALT": "the emulator does not read Teradata-style numbers",
}


def _typed(built: exp.Expression, name: str) -> exp.Expression:
    built.type = exp.DataType.build(_RESULTS[name]) if name in _RESULTS else SUPER.copy()
    return built


def _document(
    value: exp.Expression, engine: str, name: str, node: exp.Expression
) -> exp.Expression:
    """The SUPER argument as the engine's JSON (an exp.Null stays)."""
    if isinstance(value, exp.Null):
        return value
    if not isinstance(value, _SUPER_NODES) and type_of(value) not in _DOCUMENTS:
        raise Refusal(f"{name} of a value that is not SUPER", node)
    if engine == "postgres":
        return _json_postgres(value)
    if engine == "snowflake":
        document = value
        if isinstance(value, exp.Array) or type_of(value) == T.ARRAY:
            document = exp.cast(value, exp.DataType.build("VARIANT", dialect="snowflake"))
        return exp.cast(document, exp.DataType.build("JSON"))
    return value


def _json_postgres(value: exp.Expression) -> exp.Expression:
    """json of the value; an ARRAY(...) built as json_build_array (a PostgreSQL array takes one
    element type and nested ones of one length)."""
    if isinstance(value, exp.Array):
        return call("json_build_array", *(_json_postgres(e) for e in value.expressions))
    if isinstance(value, _SUPER_NODES) or type_of(value) in _DOCUMENTS:
        return call("to_json", value)
    return value


def _integer(value: exp.Expression, name: str, node: exp.Expression) -> exp.Expression:
    if not (isinstance(value, exp.Null) or is_integer(value)):
        raise Refusal(f"{name} with a position or length that is not an integer", node)
    return value


def _is_null(value: exp.Expression) -> exp.Is:
    return exp.Is(this=value.copy(), expression=exp.Null())


def _fail(message: str) -> exp.Expression:
    return call("error", text(message))


def _variant(value: exp.Expression) -> exp.Expression:
    return exp.cast(value, exp.DataType.build("VARIANT", dialect="snowflake"))


def _length(elements: exp.Expression) -> exp.Expression:
    """The length of DuckDB's list of JSON elements (a JSON null is a NULL element, which
    list_count skips: each counted as 1; the emulator reads ARRAY_LENGTH and LEN as Snowflake's,
    and json_array_length stays off its list, its reader being lenient)."""
    x = exp.to_identifier("dwsim_x")
    ones = call("list_transform", elements, exp.Lambda(this=exp.Literal.number(1), expressions=[x]))
    return call("list_count", ones)


def _emulator(name: str, args: list[exp.Expression], node: exp.Expression) -> exp.Expression:
    """The call in DuckDB's functions, as the emulator runs them."""
    if name in ("JSON_SERIALIZE", "JSON_SIZE"):
        serialized = exp.Case(
            ifs=[exp.If(this=_is_null(args[0]), true=text("null"))],
            default=exp.cast(args[0], exp.DataType.build("VARCHAR")),
        )
        return serialized if name == "JSON_SERIALIZE" else call("strlen", serialized)
    if name == "SPLIT_TO_ARRAY":
        value, delimiter = args
        parts = call("to_json", call("string_split", value.copy(), delimiter))
        return _variant(
            exp.Case(ifs=[exp.If(this=_is_null(value), true=exp.Null())], default=parts)
        )
    a = _elements(args[0], name)
    if name == "GET_ARRAY_LENGTH":  # (the emulator reads ARRAY_LENGTH as Snowflake's, of JSON)
        return _length(a)
    if name == "ARRAY_CONCAT":
        b = _elements(args[1], name)
        either = exp.Or(this=_is_null(a), expression=_is_null(b))
        joined = call("to_json", call("list_concat", a, b))
        return _variant(exp.Case(ifs=[exp.If(this=either, true=exp.Null())], default=joined))
    if name == "SUBARRAY":
        start, length = args[1], args[2]
        first = exp.Paren(this=exp.Case(
            ifs=[exp.If(this=exp.LT(this=start.copy(), expression=exp.Literal.number(0)),
                        true=exp.Add(this=_length(a.copy()), expression=start.copy()))],
            default=start.copy(),
        ))  # fmt: skip
        checks = [
            (exp.Or(this=_is_null(a), expression=exp.Or(this=_is_null(start),
                                                          expression=_is_null(length))),
             exp.Null()),
            (exp.LT(this=first.copy(), expression=exp.Literal.number(0)),
             _fail("SUBARRAY: a negative start_position before the first element")),
            (exp.LT(this=length.copy(), expression=exp.Literal.number(0)),
             _fail("SUBARRAY: a negative length")),
        ]  # fmt: skip
        sliced = call(
            "list_slice",
            a.copy(),
            exp.Add(this=first.copy(), expression=exp.Literal.number(1)),
            exp.Add(this=first, expression=length.copy()),
        )
        return _variant(exp.Case(ifs=[exp.If(this=c, true=r) for c, r in checks],
                                 default=call("to_json", sliced)))  # fmt: skip
    if name == "ARRAY_FLATTEN":
        x = exp.to_identifier("dwsim_x")
        inner = exp.Case(
            ifs=[
                exp.If(this=_is_null(exp.column(x.copy())),
                       true=call("list_value", exp.cast(exp.Null(), exp.DataType.build("JSON")))),
                exp.If(this=exp.EQ(this=call("json_type", exp.column(x.copy())),
                                   expression=text("ARRAY")),
                       true=call("from_json", exp.column(x.copy()), text('["JSON"]'))),
            ],
            default=_fail("ARRAY_FLATTEN: an element is not an array"),
        )  # fmt: skip
        lists = call("list_transform", a, exp.Lambda(this=inner, expressions=[x]))
        # DuckDB's flatten is the emulator's FLATTEN table function: the lists joined instead,
        # after an empty one (list_reduce fails on an empty list)
        empty = call(
            "from_json", exp.cast(text("[]"), exp.DataType.build("JSON")), text('["JSON"]')
        )
        y = exp.to_identifier("dwsim_y")
        join = exp.Lambda(this=call("list_concat", exp.column(x.copy()), exp.column(y.copy())),
                          expressions=[x.copy(), y])  # fmt: skip
        whole = exp.Case(ifs=[exp.If(this=_is_null(a), true=exp.Null())],
                         default=call("list_reduce", call("list_prepend", empty, lists), join))  # fmt: skip
        return _variant(call("to_json", whole))
    raise Refusal(name, node, _NOT_ON_EMULATOR.get(name, ""))


def _pack(name: str, args: list[exp.Expression], engine: str) -> exp.Expression:
    built = call(f"dwsim_rs_{name.lower()}", *args)
    if engine == "sqlite" and name not in _RESULTS:  # JSON text that json_array embeds as JSON
        return call("json", built)
    return built


def _arguments(name: str, node: exp.Expression, engine: str) -> list[exp.Expression] | None:
    """The call's arguments for the engine, or None when the call is not one of these."""
    if isinstance(node, exp.StringToArray):  # SPLIT_TO_ARRAY (the delimiter defaults to ',')
        delimiter = node.expression
        if not (isinstance(delimiter, exp.Literal) and delimiter.is_string and delimiter.name):
            raise Refusal("SPLIT_TO_ARRAY with a delimiter that is not a non-empty literal", node)
        return [node.this, delimiter]
    if isinstance(node, exp.ArrayConcat):
        if len(node.expressions) != 1:
            return None
        return [_document(a, engine, name, node) for a in (node.this, node.expressions[0])]
    if isinstance(node, exp.FromBase):  # STRTOL
        if not (isinstance(node.expression, exp.Null) or is_integer(node.expression)):
            raise Refusal("STRTOL with a base that is not an integer", node)
        return [node.this, node.expression]
    args = list(node.expressions)
    if name in ("DEXP", "TEXT_TO_INT_ALT"):
        return args
    if name == "SUBARRAY":
        # no length: to the end
        length = _integer(args[2], name, node) if len(args) == 3 else exp.Literal.number(2**62)
        return [_document(args[0], engine, name, node), _integer(args[1], name, node), length]
    return [_document(args[0], engine, name, node)]


def _name(node: exp.Expression) -> str | None:
    if isinstance(node, exp.StringToArray):
        return "SPLIT_TO_ARRAY"
    if isinstance(node, exp.ArrayConcat):
        return "ARRAY_CONCAT"
    if isinstance(node, exp.FromBase):
        return "STRTOL"
    if isinstance(node, exp.Anonymous):
        name = node.name.upper()
        if name in _CALLS and len(node.expressions) in _CALLS[name]:
            return name
    return None


def _double(value: exp.Expression, engine: str) -> exp.Expression:
    """A DOUBLE PRECISION argument: text spelling a number is converted, other text fails (SQLite
    would read 'abc' as 0)."""
    if engine == "sqlite" and type_of(value) in exp.DataType.TEXT_TYPES:
        value = call("dwsim_number_arg", value)
    return cast(value, "DOUBLE")


def _cot(node: exp.Cot, engine: str) -> exp.Expression:
    """COT of a DOUBLE PRECISION; "The input parameter must be nonzero": zero fails (the
    engines answer infinity)."""
    value = _double(node.this, engine)
    spelled = {"sqlite": "dwsim_cot", "postgres": "cot"}.get(engine, "COT")
    zero = exp.EQ(this=value.copy(), expression=exp.Literal.number(0))
    fails = failure(engine, "COT of zero: the input must be nonzero")
    built = exp.Case(ifs=[exp.If(this=zero, true=fails)], default=call(spelled, value))
    built.type = exp.DataType.build("DOUBLE")
    return built


def super_functions(node: exp.Expression, engine: str) -> exp.Expression:
    if isinstance(node, exp.Cot):
        return _cot(node, engine)
    name = _name(node)
    if name is None:
        return node
    if name == "DEXP":  # EXP of a DOUBLE PRECISION
        built = exp.Exp(this=_double(node.expressions[0], engine))
        built.type = exp.DataType.build("DOUBLE")
        return built
    if name == "TEXT_TO_INT_ALT" and len(node.expressions) == 2:
        raise Refusal("TEXT_TO_INT_ALT with a format", node, "Teradata-style formats are not read")
    args = _arguments(name, node, engine)
    if args is None:
        return node
    if name == "JSON_SERIALIZE" and isinstance(args[0], exp.Null):
        return _typed(text("null"), name)
    if name == "JSON_SIZE" and isinstance(args[0], exp.Null):
        return _typed(exp.Literal.number(4), name)
    if any(isinstance(a, exp.Null) for a in args):
        return exp.Null()
    if engine == "snowflake":
        return _typed(_emulator(name, args, node), name)
    return _typed(_pack(name, args, engine), name)


def _boolean_json(value: exp.Expression) -> exp.Expression:
    truth = exp.Case(ifs=[exp.If(this=value.copy(), true=call("json", text("true"))),
                          exp.If(this=exp.Not(this=exp.Paren(this=value.copy())),
                                 true=call("json", text("false")))])  # fmt: skip
    return truth


def _sqlite_element(value: exp.Expression, node: exp.Expression) -> exp.Expression:
    """An element as json_array embeds it as Redshift's ARRAY holds it: booleans as JSON
    booleans (SQLite's are 1 and 0); a number written with a fraction SQLite would reprint
    (1.50) and a date or time are refused."""
    if isinstance(value, exp.Boolean):
        return call("json", text("true" if value.this else "false"))
    kind = type_of(value)
    if kind == T.BOOLEAN:
        return _boolean_json(value)
    if kind in exp.DataType.TEMPORAL_TYPES:
        raise Refusal("ARRAY of a date or time value", node)
    if isinstance(value, exp.Literal) and value.is_number and not value.is_int:
        try:
            canonical = repr(float(value.name)) == value.name
        except ValueError:
            canonical = False
        if not canonical:
            raise Refusal(f"ARRAY of the number {value.name}", node)
    elif kind in (T.DECIMAL, T.DOUBLE, T.FLOAT) and not isinstance(value, exp.Literal):
        raise Refusal("ARRAY of a number with a fraction", node)
    return value


@rewrite("semistructured", sources=["redshift"], engines=["sqlite"])
def array_sqlite(node: exp.Expression) -> exp.Expression:
    """ARRAY(...) is a SUPER array: JSON text made by json_array."""
    if not isinstance(node, exp.Array):
        return node
    built = call("json_array", *(_sqlite_element(e, node) for e in node.expressions))
    built.type = SUPER.copy()
    return built


@rewrite("semistructured", sources=["redshift"], engines=["snowflake"])
def array_fractions_emulator(node: exp.Expression) -> exp.Expression:
    """The emulator's list of numbers takes one decimal type: ARRAY(2.5, 2) printed 2 as 2.0."""
    if isinstance(node, exp.Array) and any(
        (isinstance(e, exp.Literal) and e.is_number and not e.is_int)
        or (not isinstance(e, exp.Literal) and type_of(e) in (T.DECIMAL, T.DOUBLE, T.FLOAT))
        for e in node.expressions
    ):
        raise Refusal("ARRAY of a number with a fraction", node)
    return node


def _for(engine: str) -> Rewrite:
    def fn(node: exp.Expression) -> exp.Expression:
        return type_tests(array_functions(super_functions(node, engine), engine), engine)

    fn.__name__ = fn.__qualname__ = f"redshift_super_{engine}"
    return fn


for _engine in compat_engines():
    rewrite("conditionals", sources=["redshift"], engines=[_engine], first=True)(_for(_engine))
