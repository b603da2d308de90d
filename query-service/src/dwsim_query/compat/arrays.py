"""Snowflake ARRAY functions on the engines' JSON arrays: ARRAY_CONTAINS, ARRAY_POSITION,
ARRAY_APPEND, ARRAY_PREPEND, ARRAY_CAT, ARRAY_COMPACT, ARRAY_SLICE, ARRAY_REVERSE, ARRAY_DISTINCT,
ARRAY_CONSTRUCT_COMPACT, ARRAYS_OVERLAP and OBJECT_KEYS.

An ARRAY is JSON on every engine (SQLite: text, the Redshift mock: JSONB, the emulator: DuckDB's
JSON); a value put into or looked up in one is first the VARIANT that TO_VARIANT makes of it, so
it is refused by name where TO_VARIANT is (a number with a fraction, a date). A SQL NULL value
fails: Snowflake holds it in an ARRAY as `undefined`, which JSON cannot hold.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlglot
from sqlglot import exp

from dwsim_query.compat.nodes import Refusal, call, is_integer, text, type_of
from dwsim_query.compat.registry import ColumnTypes, parsed_rewrite, rewrite

T = exp.DataType.Type
DOCUMENTS = frozenset({T.VARIANT, T.JSON, T.JSONB, T.ARRAY, T.OBJECT, T.STRUCT, T.UNKNOWN, None})
NODES: dict[type[exp.Expression], tuple[str, str]] = {
    exp.ArrayContains: ("ARRAY_CONTAINS", "BOOLEAN"),
    exp.ArrayPosition: ("ARRAY_POSITION", "INT"),
    exp.ArrayAppend: ("ARRAY_APPEND", "ARRAY"),
    exp.ArrayPrepend: ("ARRAY_PREPEND", "ARRAY"),
    exp.ArrayConcat: ("ARRAY_CAT", "ARRAY"),
    exp.ArrayCompact: ("ARRAY_COMPACT", "ARRAY"),
    exp.ArraySlice: ("ARRAY_SLICE", "ARRAY"),
    exp.ArrayReverse: ("ARRAY_REVERSE", "ARRAY"),
    exp.ArrayDistinct: ("ARRAY_DISTINCT", "ARRAY"),
    exp.ArrayConstructCompact: ("ARRAY_CONSTRUCT_COMPACT", "ARRAY"),
    exp.JSONKeys: ("OBJECT_KEYS", "ARRAY"),
    exp.ArrayOverlaps: ("ARRAYS_OVERLAP", "BOOLEAN"),
}


def _named(node: exp.Expression) -> str | None:
    found = NODES.get(type(node))
    return found[0] if found else None


@parsed_rewrite("semistructured", dialects=["snowflake"])
def typed_arrays(tree: exp.Expression, _schema: ColumnTypes) -> exp.Expression:
    """Each call typed as Snowflake answers it (BOOLEAN, INTEGER, ARRAY) by a cast that its
    rewrite below takes off again."""
    for node in list(tree.find_all(*NODES)):
        if isinstance(node.parent, exp.Cast):
            continue
        to = exp.DataType.build(NODES[type(node)][1], dialect="snowflake")
        node.replace(exp.cast(node.copy(), to))
    return tree


def _parts(node: exp.Expression) -> tuple[list[exp.Expression], exp.Expression | None]:
    """The call's arrays and its value (in Snowflake's argument order)."""
    if isinstance(node, exp.ArrayContains | exp.ArrayPosition):
        return [node.this], node.expression
    if isinstance(node, exp.ArrayOverlaps):
        return [node.this, node.expression], None
    if isinstance(node, exp.ArrayConcat):
        others = node.expressions
        if len(others) != 1:
            raise Refusal(f"ARRAY_CAT with {len(others) + 1} arguments", node)
        return [node.this, others[0]], None
    if isinstance(node, exp.ArrayCompact | exp.ArrayReverse | exp.ArraySlice | exp.ArrayDistinct):
        return [node.this], None
    return [node.this], node.expression


def _bounds(node: exp.Expression) -> list[exp.Expression]:
    """ARRAY_SLICE's from and to: integers (Snowflake rounds other numbers; not carried)."""
    if not isinstance(node, exp.ArraySlice):
        return []
    bounds = [node.args.get("start"), node.args.get("end")]
    for bound in bounds:
        if bound is None:
            raise Refusal("ARRAY_SLICE without both of from and to", node)
        if not (isinstance(bound, exp.Null) or is_integer(bound)):
            raise Refusal("ARRAY_SLICE with a from or to that is not an integer", node)
    return [b for b in bounds if b is not None]


def _array(value: exp.Expression, engine: str, name: str, node: exp.Expression) -> exp.Expression:
    kind = type_of(value)
    if isinstance(value, exp.Null):
        return exp.Null()
    if kind not in DOCUMENTS:
        noun = "an OBJECT" if name == "OBJECT_KEYS" else "an ARRAY"
        raise Refusal(f"{name} of a value that is not {noun}", node)
    if engine == "postgres":
        return exp.cast(value.copy(), exp.DataType.build("JSONB"))
    if engine == "snowflake":
        document = value.copy()
        if kind in (T.ARRAY, T.OBJECT, T.STRUCT) or isinstance(value, exp.Array | exp.Struct):
            # a DuckDB list or struct: its JSON first
            document = exp.cast(document, exp.DataType.build("VARIANT", dialect="snowflake"))
        return exp.cast(document, exp.DataType.build("JSON"))
    return value.copy()


def _value(value: exp.Expression, engine: str, name: str, node: exp.Expression) -> exp.Expression:
    if isinstance(value, exp.Null):
        raise Refusal(f"{name} of a NULL value", node)
    if type_of(value) in exp.DataType.TEMPORAL_TYPES:  # named as written, not as TO_VARIANT
        raise Refusal(f"{name} of a date or time value", node)
    if type_of(value) not in DOCUMENTS:
        # Imported here: importing variants first would move its rewrites ahead of
        # semistructured's in the chain (the order of registration is the chain's order).
        from dwsim_query.compat.variants import _to_variant_for

        value = _to_variant_for(engine)(exp.ToVariant(this=value.copy()))
    if engine == "postgres":
        return exp.cast(value.copy(), exp.DataType.build("JSONB"))
    if engine == "snowflake":
        return call("json", exp.cast(value.copy(), exp.DataType.build("JSON")))
    return value.copy()


def _pg(template: str, **parts: exp.Expression) -> exp.Expression:
    tree = sqlglot.parse_one(template, read="postgres")
    assert isinstance(tree, exp.Expression)
    for column in list(tree.find_all(exp.Column)):
        if column.name in parts and not column.table:
            column.replace(parts[column.name].copy())
    return tree


def _not_null(
    value: exp.Expression, name: str, engine: str, done: exp.Expression, to: str = "JSONB"
) -> exp.Expression:
    """`done`, or a failure where the value is a SQL NULL (at run time)."""
    message = f"{name} of a NULL value (undefined in an ARRAY) is not carried"
    if engine == "snowflake":
        failure: exp.Expression = call("error", text(message))
    else:  # the mock: the failing cast reads the message; it depends on the value, so it is
        # not folded when the plan is made
        failure = exp.cast(
            call("COALESCE", exp.cast(value.copy(), exp.DataType.build("TEXT")), text(message)),
            exp.DataType.build(to),
        )
    return exp.Case(ifs=[exp.If(this=exp.Is(this=value.copy(), expression=exp.Null()),
                                true=failure)], default=done)  # fmt: skip


def _sqlite(
    name: str,
    arrays: list[exp.Expression],
    value: exp.Expression | None,
    bounds: list[exp.Expression],
) -> exp.Expression:
    function = "dwsim_" + name.lower()
    if bounds:
        return call(function, arrays[0], *bounds)
    if name in ("ARRAY_CONTAINS", "ARRAY_POSITION"):
        return call(function, value, arrays[0]) if value is not None else exp.Null()
    return call(function, *arrays, *([value] if value is not None else []))


AGGREGATED = {
    "ARRAY_COMPACT": ("dwsim_e.o", "JSONB_TYPEOF(dwsim_e.v) <> 'null'"),
    "ARRAY_REVERSE": ("dwsim_e.o DESC", "TRUE"),
    # the first of equal elements
    "ARRAY_DISTINCT": (
        "dwsim_e.o",
        "NOT EXISTS(SELECT 1 FROM JSONB_ARRAY_ELEMENTS(a) WITH ORDINALITY AS dwsim_p(v, o) "
        "WHERE dwsim_p.v = dwsim_e.v AND dwsim_p.o < dwsim_e.o)",
    ),
    # from and to count from the end when negative, as Python's slices do
    "ARRAY_SLICE": (
        "dwsim_e.o",
        "dwsim_e.o - 1 >= CASE WHEN f < 0 THEN JSONB_ARRAY_LENGTH(a) + f ELSE f END AND "
        "dwsim_e.o - 1 < CASE WHEN t < 0 THEN JSONB_ARRAY_LENGTH(a) + t ELSE t END",
    ),
}


def _postgres(
    name: str,
    arrays: list[exp.Expression],
    value: exp.Expression | None,
    bounds: list[exp.Expression],
) -> exp.Expression:
    a = arrays[0]
    if name in AGGREGATED:
        order, keep = AGGREGATED[name]
        f, t = bounds if bounds else (exp.Null(), exp.Null())
        return _pg(
            "CASE WHEN JSONB_ARRAY_LENGTH(a) >= 0 THEN (SELECT COALESCE(JSONB_AGG(dwsim_e.v "
            f"ORDER BY {order}), CAST('[]' AS JSONB)) FROM JSONB_ARRAY_ELEMENTS(a) WITH ORDINALITY "
            f"AS dwsim_e(v, o) WHERE {keep}) END",
            a=a, f=f, t=t,
        )  # fmt: skip
    if name == "ARRAYS_OVERLAP":  # NULL-safe: a JSON null is found in a JSON null
        b = arrays[1]
        return _pg("CASE WHEN JSONB_ARRAY_LENGTH(a) + JSONB_ARRAY_LENGTH(b) >= 0 THEN EXISTS("
                   "SELECT 1 FROM JSONB_ARRAY_ELEMENTS(a) AS dwsim_e(v) JOIN JSONB_ARRAY_ELEMENTS(b) "
                   "AS dwsim_f(v) ON dwsim_e.v = dwsim_f.v) END", a=a, b=b)  # fmt: skip
    if name == "ARRAY_CAT":
        b = arrays[1]
        return _pg("CASE WHEN JSONB_ARRAY_LENGTH(a) + JSONB_ARRAY_LENGTH(b) >= 0 THEN a || b END",
                   a=a, b=b)  # fmt: skip
    assert value is not None
    if name == "ARRAY_CONTAINS":
        done = _pg("CASE WHEN a IS NULL THEN NULL ELSE EXISTS(SELECT 1 FROM "
                   "JSONB_ARRAY_ELEMENTS(a) AS dwsim_e(v) WHERE dwsim_e.v = x) END", a=a, x=value)  # fmt: skip
    elif name == "ARRAY_POSITION":
        done = _pg("(SELECT MIN(dwsim_e.o) - 1 FROM JSONB_ARRAY_ELEMENTS(a) WITH ORDINALITY "
                   "AS dwsim_e(v, o) WHERE dwsim_e.v = x)", a=a, x=value)  # fmt: skip
    elif name == "ARRAY_APPEND":
        done = _pg("CASE WHEN JSONB_ARRAY_LENGTH(a) >= 0 THEN a || JSONB_BUILD_ARRAY(x) END",
                   a=a, x=value)  # fmt: skip
    else:
        done = _pg("CASE WHEN JSONB_ARRAY_LENGTH(a) >= 0 THEN JSONB_BUILD_ARRAY(x) || a END",
                   a=a, x=value)  # fmt: skip
    to = {"ARRAY_CONTAINS": "BOOLEAN", "ARRAY_POSITION": "INT"}.get(name, "JSONB")
    return _not_null(value, name, "postgres", done, to)


def _elements(document: exp.Expression, name: str) -> exp.Expression:
    """DuckDB's list of the array's JSON elements (a JSON null is a SQL NULL in it); NULL for
    NULL; a failure for a value not an ARRAY."""
    is_array = exp.EQ(this=call("json_type", document.copy()), expression=text("ARRAY"))
    return exp.Case(
        ifs=[exp.If(this=exp.Is(this=document.copy(), expression=exp.Null()), true=exp.Null()),
             exp.If(this=is_array, true=call("from_json", document.copy(), text('["JSON"]')))],
        default=call("error", text(f"{name}: the argument is not an ARRAY")),
    )  # fmt: skip


# The emulator compares JSON text where Snowflake compares values: a number is brought to one
# spelling (its DOUBLE, exact up to 2^53) before it is compared; an OBJECT or ARRAY whose text
# another spelling could equal (an ARRAY inside, keys out of order, a number with a fraction in
# it) fails by name rather than answer a comparison of text.
EXACT_DOUBLE = 2**53
SPELLINGS = "the emulator compares JSON text, and this OBJECT or ARRAY has other spellings"
DISTINCT_SPELLINGS = (
    "the emulator compares JSON text, and this ARRAY holds a number with a fraction or an "
    "OBJECT or ARRAY with other spellings"
)


def _lambda(body: Callable[[exp.Expression], exp.Expression], name: str) -> exp.Lambda:
    x = exp.to_identifier(name)
    return exp.Lambda(this=body(exp.column(x.copy())), expressions=[x])


def _one_spelling(x: exp.Expression) -> exp.Expression:
    """A JSON number as its DOUBLE's JSON (1 and 1.0 alike); any other value as it is."""
    number = exp.In(this=call("json_type", x.copy()),
                    expressions=[text("BIGINT"), text("UBIGINT"), text("DOUBLE")])  # fmt: skip
    as_double = exp.cast(x.copy(), exp.DataType.build("DOUBLE"))
    exact = exp.LTE(
        this=exp.Abs(this=as_double.copy()), expression=exp.Literal.number(EXACT_DOUBLE)
    )
    return exp.Case(
        ifs=[exp.If(this=exp.and_(number, exact), true=exp.cast(as_double, exp.DataType.build("JSON")))],
        default=x.copy(),
    )  # fmt: skip


def _other_spellings(x: exp.Expression) -> exp.Expression:
    """TRUE where the JSON text of an OBJECT or ARRAY is not the one spelling compared."""
    kind = call("json_type", x.copy())
    keys = call("json_keys", x.copy())

    def member(k: exp.Expression) -> exp.Expression:
        path = exp.DPipe(this=exp.DPipe(this=text('$."'), expression=k), expression=text('"'))
        return exp.In(this=call("json_type", x.copy(), path),
                      expressions=[text("OBJECT"), text("ARRAY"), text("DOUBLE")])  # fmt: skip

    nested = call("list_bool_or", call("list_transform", keys.copy(), _lambda(member, "dwsim_k")))
    unsorted = exp.NEQ(this=keys.copy(), expression=call("list_sort", keys.copy()))
    is_object = exp.EQ(this=kind.copy(), expression=text("OBJECT"))
    return exp.Paren(this=exp.or_(
        exp.EQ(this=kind, expression=text("ARRAY")),
        exp.and_(is_object, exp.or_(unsorted, exp.Coalesce(this=nested, expressions=[exp.false()]))),
    ))  # fmt: skip


def any_spelled_twice(elements: exp.Expression) -> exp.Expression:
    """TRUE where an element of the (emulator's) list has another spelling of its value: a
    number with a fraction (1.0 is 1, 1.50 is 1.5 to Snowflake), or an OBJECT/ARRAY with other
    spellings; elements found equal by their JSON text would then differ from Snowflake's."""

    def spelled_twice(y: exp.Expression) -> exp.Expression:
        fraction = exp.EQ(this=call("json_type", y.copy()), expression=text("DOUBLE"))
        return exp.Or(this=fraction, expression=_other_spellings(y))

    found = call(
        "list_bool_or", call("list_transform", elements, _lambda(spelled_twice, "dwsim_y"))
    )
    return exp.Coalesce(this=found, expressions=[exp.false()])


def _any_other_spellings(elements: exp.Expression) -> exp.Expression:
    found = call(
        "list_bool_or",
        call("list_transform", elements.copy(), _lambda(_other_spellings, "dwsim_y")),
    )
    return exp.Coalesce(this=found, expressions=[exp.false()])


def _spelled_once(elements: exp.Expression) -> exp.Expression:
    return call("list_transform", elements, _lambda(_one_spelling, "dwsim_z"))


def _emulator(
    name: str,
    arrays: list[exp.Expression],
    value: exp.Expression | None,
    bounds: list[exp.Expression],
) -> exp.Expression:
    a = _elements(arrays[0], name)
    if name == "ARRAY_COMPACT":  # a JSON null is a NULL element of the list
        x = exp.to_identifier("dwsim_x")
        keep = exp.Not(this=exp.Is(this=exp.column(x.copy()), expression=exp.Null()))
        return call("to_json", call("list_filter", a, exp.Lambda(this=keep, expressions=[x])))
    if name == "ARRAY_REVERSE":
        return call("to_json", call("list_reverse", a))
    if name == "ARRAY_DISTINCT":  # the first of equal elements (list_position finds NULLs)
        x, i = exp.to_identifier("dwsim_x"), exp.to_identifier("dwsim_i")
        is_first = exp.EQ(this=call("list_position", a.copy(), exp.column(x.copy())),
                           expression=exp.column(i.copy()))  # fmt: skip
        distinct = call(
            "to_json", call("list_filter", a.copy(), exp.Lambda(this=is_first, expressions=[x, i]))
        )

        # Equal elements are found by their JSON text here: an element with another spelling
        # of its value fails by name.
        fails = call("error", text(f"{name}: {DISTINCT_SPELLINGS}"))
        return exp.Case(ifs=[exp.If(this=any_spelled_twice(a), true=fails)], default=distinct)
    if name == "ARRAY_SLICE":  # DuckDB counts from 1, both ends included, -1 the last
        f, t = bounds
        negative = exp.LT(this=f.copy(), expression=exp.Literal.number(0))
        first = exp.Case(ifs=[exp.If(this=negative, true=f.copy())],
                         default=exp.Add(this=f.copy(), expression=exp.Literal.number(1)))  # fmt: skip
        before_end = exp.LT(this=t.copy(), expression=exp.Literal.number(0))
        end = exp.Case(ifs=[exp.If(this=before_end,
                                   true=exp.Sub(this=t.copy(), expression=exp.Literal.number(1)))],
                       default=t.copy())  # fmt: skip
        return call("to_json", call("list_slice", a, first, end))
    if name == "ARRAYS_OVERLAP":  # NULL-safe: JSON nulls (NULL elements) in both overlap
        b = _elements(arrays[1], name)
        spellings = exp.or_(_any_other_spellings(a), _any_other_spellings(b))
        a, b = _spelled_once(a), _spelled_once(b)
        nulls = [
            exp.Not(
                this=exp.Is(this=call("list_position", x.copy(), exp.Null()), expression=exp.Null())
            )
            for x in (a, b)
        ]
        either = exp.Or(this=exp.Is(this=a.copy(), expression=exp.Null()),
                        expression=exp.Is(this=b.copy(), expression=exp.Null()))  # fmt: skip
        overlap = exp.Or(this=call("list_has_any", a, b),
                         expression=exp.Paren(this=exp.And(this=nulls[0], expression=nulls[1])))  # fmt: skip
        fails = call("error", text(f"{name}: {SPELLINGS}"))
        return exp.Case(ifs=[exp.If(this=either, true=exp.Null()),
                             exp.If(this=spellings, true=fails)], default=overlap)  # fmt: skip
    if name == "ARRAY_CAT":
        b = _elements(arrays[1], name)
        either = exp.Or(this=exp.Is(this=a.copy(), expression=exp.Null()),
                        expression=exp.Is(this=b.copy(), expression=exp.Null()))  # fmt: skip
        joined = call("to_json", call("list_concat", a, b))
        return exp.Case(ifs=[exp.If(this=either, true=exp.Null())], default=joined)
    assert value is not None
    compared = a
    if name in ("ARRAY_CONTAINS", "ARRAY_POSITION"):
        is_object = exp.EQ(this=call("json_type", value.copy()), expression=text("OBJECT"))
        spellings = exp.or_(_other_spellings(value), exp.and_(is_object, _any_other_spellings(a)))
        compared = exp.Case(
            ifs=[exp.If(this=spellings, true=call("error", text(f"{name}: {SPELLINGS}")))],
            default=_spelled_once(a.copy()),
        )
        value = _one_spelling(value)
    # list_position finds a NULL element (a JSON null) where list_contains does not
    found = call(
        "list_position",
        compared.copy(),
        call("NULLIF", value, exp.cast(text("null"), exp.DataType.build("JSON"))),
    )
    if name == "ARRAY_CONTAINS":
        done: exp.Expression = exp.Case(
            ifs=[exp.If(this=exp.Is(this=a.copy(), expression=exp.Null()), true=exp.Null())],
            default=exp.Not(this=exp.Is(this=found, expression=exp.Null())),
        )
    elif name == "ARRAY_POSITION":
        done = exp.Sub(this=found, expression=exp.Literal.number(1))
    elif name == "ARRAY_APPEND":
        done = call("to_json", call("list_append", a.copy(), value))
    else:
        done = call("to_json", call("list_prepend", value, a.copy()))
    if name in ("ARRAY_APPEND", "ARRAY_PREPEND"):  # DuckDB appends to a NULL list
        done = exp.Case(ifs=[exp.If(this=exp.Is(this=a, expression=exp.Null()), true=exp.Null())],
                        default=done)  # fmt: skip
    return _not_null(value, name, "snowflake", done)


def _construct_compact(node: exp.ArrayConstructCompact, engine: str) -> exp.Expression:
    """ARRAY_CONSTRUCT_COMPACT: the array of the values that are not SQL NULL (a JSON null is a
    value)."""
    values = []
    for raw in node.expressions:
        if isinstance(raw, exp.Null):
            continue
        converted = _value(raw, engine, "ARRAY_CONSTRUCT_COMPACT", node)
        missing = exp.Is(this=raw.copy(), expression=exp.Null())
        values.append(exp.Case(ifs=[exp.If(this=missing, true=exp.Null())], default=converted))
    if engine == "sqlite":
        return call("dwsim_array_construct_compact", *values)
    if engine == "postgres":
        if not values:
            return exp.cast(text("[]"), exp.DataType.build("JSONB"))
        rows = ", ".join(f"({i}, dwsim_v{i})" for i in range(len(values)))
        parts = {f"dwsim_v{i}": v for i, v in enumerate(values)}
        return exp.Paren(this=_pg(
            "SELECT COALESCE(JSONB_AGG(dwsim_e.v ORDER BY dwsim_e.o), CAST('[]' AS JSONB)) "
            f"FROM (VALUES {rows}) AS dwsim_e(o, v) WHERE NOT dwsim_e.v IS NULL", **parts))  # fmt: skip
    x = exp.to_identifier("dwsim_x")
    keep = exp.Not(this=exp.Is(this=exp.column(x.copy()), expression=exp.Null()))
    listed = call(
        "list_filter", call("list_value", *values), exp.Lambda(this=keep, expressions=[x])
    )
    return exp.cast(call("to_json", listed), exp.DataType.build("VARIANT", dialect="snowflake"))


def _object_keys(node: exp.JSONKeys, engine: str) -> exp.Expression:
    """OBJECT_KEYS: the keys in Snowflake's order (sorted, as it keeps and prints them); NULL
    for NULL; a value that is not an OBJECT fails."""
    if node.expressions:
        raise Refusal(f"OBJECT_KEYS with {len(node.expressions) + 1} arguments", node)
    document = _array(node.this, engine, "OBJECT_KEYS", node)
    if isinstance(document, exp.Null):
        return exp.Null()
    if engine == "sqlite":
        return call("dwsim_object_keys", document)
    if engine == "postgres":
        return _pg(
            "CASE WHEN a IS NULL THEN NULL ELSE (SELECT COALESCE(JSONB_AGG(dwsim_k.k ORDER BY "
            "dwsim_k.k COLLATE \"C\"), CAST('[]' AS JSONB)) FROM JSONB_OBJECT_KEYS(a) AS dwsim_k(k)) END",
            a=document,
        )  # fmt: skip
    is_object = exp.EQ(this=call("json_type", document.copy()), expression=text("OBJECT"))
    keys = call("to_json", call("list_sort", call("json_keys", document.copy())))
    built = exp.Case(
        ifs=[exp.If(this=exp.Is(this=document.copy(), expression=exp.Null()), true=exp.Null()),
             exp.If(this=is_object, true=keys)],
        default=call("error", text("OBJECT_KEYS: the argument is not an OBJECT")),
    )  # fmt: skip
    return exp.cast(built, exp.DataType.build("VARIANT", dialect="snowflake"))


BUILDERS = {"sqlite": _sqlite, "postgres": _postgres, "snowflake": _emulator}


def _rewrite_for(engine: str) -> Callable[[exp.Expression], exp.Expression]:
    build = BUILDERS[engine]

    def arrays(node: exp.Expression) -> exp.Expression:
        if not isinstance(node, exp.Cast):
            return node
        name = _named(node.this)
        if name is None:
            return node
        called = node.this
        if isinstance(called, exp.ArrayConstructCompact):
            return _construct_compact(called, engine)
        if isinstance(called, exp.JSONKeys):
            return _object_keys(called, engine)
        array_args, value = _parts(called)
        documents = [_array(a, engine, name, called) for a in array_args]
        if any(isinstance(d, exp.Null) for d in documents):
            return exp.Null()
        element = _value(value, engine, name, called) if value is not None else None
        bounds = _bounds(called)
        if any(isinstance(b, exp.Null) for b in bounds):
            return exp.Null()
        built = build(name, documents, element, bounds)
        if engine == "snowflake" and NODES[type(called)][1] == "ARRAY":
            return exp.cast(built, exp.DataType.build("VARIANT", dialect="snowflake"))
        return exp.Paren(this=built)

    arrays.__name__ = arrays.__qualname__ = f"arrays_{engine}"
    return arrays


for _engine in BUILDERS:
    rewrite("semistructured", sources=["snowflake"], engines=[_engine])(_rewrite_for(_engine))
