"""Redshift's SUPER array search and set functions on every engine: ARRAY_CONTAINS,
ARRAY_POSITION, ARRAY_POSITIONS, ARRAYS_OVERLAP, ARRAY_DISTINCT, ARRAY_UNION,
ARRAY_INTERSECTION, ARRAY_EXCEPT and ARRAY_SORT (the conventions of redshift_super.py).

Positions count from 0, -1 where not found. NULLs are known objects: ARRAY(..., NULL) holds a
JSON null, which a search for NULL finds (null_match TRUE, the documented default; the session
setting default_array_search_null_handling is not carried). With null_match FALSE a search for
NULL, or a search that finds nothing in an array holding a NULL, answers NULL. SQLite and the
mock run the pack's `dwsim_rs_*` functions, the emulator DuckDB list expressions; flags must be
literal TRUE or FALSE."""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp
from sqlglot.dialects.redshift import Redshift

from dwsim_query.compat.arrays import (
    DISTINCT_SPELLINGS,
    SPELLINGS,
    _any_other_spellings,
    _elements,
    _one_spelling,
    _other_spellings,
    _spelled_once,
    any_spelled_twice,
)
from dwsim_query.compat.arrays_more import _copies, _lambda, _n, _size
from dwsim_query.compat.nodes import Refusal, call, text, type_of
from dwsim_query.compat.redshift_super_types import ATTRIBUTE_NAMES, TESTS
from dwsim_query.compat.registry import ColumnTypes, parsed_rewrite

T = exp.DataType.Type
# name: (result, arrays, has a value, flags)
SHAPES: dict[str, tuple[str, int, bool, int]] = {
    "ARRAY_CONTAINS": ("BOOLEAN", 1, True, 1),
    "ARRAY_POSITION": ("INT", 1, True, 1),
    "ARRAY_POSITIONS": ("SUPER", 1, True, 1),
    "ARRAYS_OVERLAP": ("BOOLEAN", 2, False, 0),
    "ARRAY_DISTINCT": ("SUPER", 1, False, 0),
    "ARRAY_UNION": ("SUPER", 2, False, 0),
    "ARRAY_INTERSECTION": ("SUPER", 2, False, 1),
    "ARRAY_EXCEPT": ("SUPER", 2, False, 1),
    "ARRAY_SORT": ("SUPER", 1, False, 2),
}
_NODES: dict[type[exp.Expression], str] = {
    exp.ArrayContains: "ARRAY_CONTAINS",
    exp.ArrayPosition: "ARRAY_POSITION",
    exp.ArrayDistinct: "ARRAY_DISTINCT",
    exp.ArrayIntersect: "ARRAY_INTERSECTION",
    exp.ArrayExcept: "ARRAY_EXCEPT",
    exp.ArraySort: "ARRAY_SORT",
    exp.SortArray: "ARRAY_SORT",
}
_DEFAULTS = {"ARRAY_SORT": [True, None]}  # sort_ascending TRUE; nulls_first by the order
# Calls the parser leaves untyped, typed as Redshift answers them by a cast marked TYPED, which
# the chain takes off again (the result's column type is read from the typed tree).
TYPED_CALLS = {"ARRAYS_OVERLAP": "BOOLEAN", "ARRAY_POSITIONS": "SUPER", "ARRAY_UNION": "SUPER",
               **dict.fromkeys((*TESTS, "CAN_JSON_PARSE"), "BOOLEAN"),
               **dict.fromkeys(ATTRIBUTE_NAMES, "SUPER")}  # fmt: skip
TYPED = "dwsim_typed"


def _array_sort(args: list[exp.Expression]) -> exp.Expression:
    """ARRAY_SORT(array [, sort_ascending [, nulls_first]]): the parser takes two arguments."""
    if len(args) == 3:
        return exp.Anonymous(this="ARRAY_SORT", expressions=args)
    return exp.ArraySort.from_arg_list(args)


Redshift.Parser.FUNCTIONS["ARRAY_SORT"] = _array_sort


def _result_type(name: str) -> exp.DataType:
    kind = TYPED_CALLS.get(name) or SHAPES[name][0]
    return exp.DataType(this=T.SUPER) if kind == "SUPER" else exp.DataType.build(kind)


@parsed_rewrite("semistructured", dialects=["redshift"])
def typed_calls(tree: exp.Expression, _schema: ColumnTypes) -> exp.Expression:
    for node in list(tree.find_all(exp.Anonymous)):
        name = node.name.upper()
        if name in TYPED_CALLS:
            typed = exp.cast(node.copy(), _result_type(name))
            typed.meta[TYPED] = True
            node.replace(typed)
    return tree


def _name(node: exp.Expression) -> str | None:
    if isinstance(node, exp.Anonymous):
        name = node.name.upper()
        return name if name in SHAPES else None
    return _NODES.get(type(node))


def _arguments(node: exp.Expression) -> list[exp.Expression]:
    if isinstance(node, exp.Anonymous | exp.ArrayIntersect):
        return list(node.expressions)
    return [a for a in node.args.values() if isinstance(a, exp.Expression)]


def _flags(name: str, given: list[exp.Expression], node: exp.Expression) -> list[bool | None]:
    flags: list[bool | None] = list(_DEFAULTS.get(name, [bool(SHAPES[name][2])]))
    for i, flag in enumerate(given):
        if not isinstance(flag, exp.Boolean):
            raise Refusal(f"{name} with a flag that is not TRUE or FALSE", node)
        flags[i] = bool(flag.this)
    return flags


def _value(value: exp.Expression, engine: str) -> exp.Expression:
    """The searched value as the engine's JSON (SQLite: a one-element array's text)."""
    from dwsim_query.compat.redshift_super import _DOCUMENTS, _SUPER_NODES, _json_postgres

    document = isinstance(value, _SUPER_NODES) or type_of(value) in _DOCUMENTS
    if engine == "sqlite":
        return exp.Array(expressions=[call("json", value) if document else value])
    if isinstance(value, exp.Null):
        return exp.cast(exp.Null(), exp.DataType.build("JSON"))
    if engine == "postgres":
        if document:
            return _json_postgres(value)
        if isinstance(value, exp.Literal) and value.is_string:
            value = exp.cast(value, exp.DataType.build("TEXT"))
        return call("to_json", value)
    if document:
        return exp.cast(_emulator_json(value), exp.DataType.build("JSON"))
    return call("to_json", value)


def _emulator_json(value: exp.Expression) -> exp.Expression:
    """ARRAY(...) as DuckDB's json_array (which takes NULLs and mixed types); another SUPER
    value as its JSON."""
    if not isinstance(value, exp.Array):
        from dwsim_query.compat.redshift_super import _variant

        if type_of(value) == T.ARRAY:
            value = _variant(value)
        return exp.cast(value, exp.DataType.build("JSON"))
    elements = []
    for element in value.expressions:
        if isinstance(element, exp.Literal) and element.is_number and not element.is_int:
            raise Refusal("ARRAY of a number with a fraction", value)
        if type_of(element) in exp.DataType.TEMPORAL_TYPES:
            raise Refusal("ARRAY of a date or time value", value)
        elements.append(_emulator_json(element) if isinstance(element, exp.Array) else element)
    return exp.cast(call("json_array", *elements), exp.DataType.build("JSON"))


def _document(
    value: exp.Expression, engine: str, name: str, node: exp.Expression
) -> exp.Expression:
    from dwsim_query.compat.redshift_super import _document as super_document

    checked = super_document(value, engine, name, node)
    if engine == "snowflake" and not isinstance(value, exp.Null):
        return _emulator_json(value)
    return checked


def _pack(name: str, arrays: list[exp.Expression], value: exp.Expression | None,
          flags: list[bool | None], engine: str) -> exp.Expression:  # fmt: skip
    literal: list[exp.Expression] = [
        exp.Null() if f is None else exp.Boolean(this=f) for f in flags
    ]
    if engine == "sqlite":
        literal = [exp.Null() if f is None else _n(int(f)) for f in flags]
    values = [value] if value is not None else []
    if engine == "postgres" and name in ("ARRAY_INTERSECTION", "ARRAY_EXCEPT"):
        keep = exp.Boolean(this=name == "ARRAY_INTERSECTION")
        return call("dwsim_rs_array_multiset", *arrays, *literal, keep, text(name))
    if engine == "postgres" and name == "ARRAY_DISTINCT":
        return call("dwsim_rs_array_distinct", *arrays, text(name))
    built = call(f"dwsim_rs_{name.lower()}", *arrays, *values, *literal)
    if engine == "sqlite" and SHAPES[name][0] == "SUPER":
        return call("json", built)
    return built


def _is_null(value: exp.Expression) -> exp.Expression:
    return exp.Is(this=value.copy(), expression=exp.Null())


def _fail(message: str) -> exp.Expression:
    return call("error", text(message))


def _distinct(a: exp.Expression) -> exp.Expression:
    """The first of equal elements (list_position finds NULL elements)."""
    return call("list_filter", a.copy(), _lambda(lambda x, i: exp.EQ(
        this=call("list_position", a.copy(), x), expression=i), "dwsim_x", "dwsim_i"))  # fmt: skip


def _search(
    name: str, a: exp.Expression, value: exp.Expression, null_match: bool
) -> exp.Expression:
    v = call("NULLIF", value, exp.cast(text("null"), exp.DataType.build("JSON")))
    is_object = exp.EQ(this=call("json_type", v.copy()), expression=text("OBJECT"))
    spellings = exp.or_(_other_spellings(v), exp.and_(is_object, _any_other_spellings(a)))
    wanted = _one_spelling(v)
    positions = call("list_filter", call("list_transform", _spelled_once(a.copy()), _lambda(
        lambda x, i: exp.Case(ifs=[exp.If(this=exp.NullSafeEQ(this=x, expression=wanted.copy()),
                                          true=exp.Sub(this=i, expression=_n(1)))]),
        "dwsim_x", "dwsim_i")), _lambda(lambda y: exp.Not(this=_is_null(y)), "dwsim_y"))  # fmt: skip
    if name == "ARRAY_CONTAINS":
        answer: exp.Expression = exp.GT(this=_size(positions), expression=_n(0))
    elif name == "ARRAY_POSITION":
        answer = call("COALESCE", call("list_extract", positions, _n(1)), _n(-1))
    else:
        answer = call("to_json", positions)
    ifs = [exp.If(this=_is_null(a), true=exp.Null())]
    if not null_match:
        has_null = exp.Not(this=_is_null(call("list_position", a.copy(), exp.Null())))
        nothing = exp.and_(exp.EQ(this=_size(positions.copy()), expression=_n(0)), has_null)
        ifs += [exp.If(this=_is_null(v), true=exp.Null()), exp.If(this=nothing, true=exp.Null())]
    ifs.append(exp.If(this=spellings, true=_fail(f"{name}: {SPELLINGS}")))
    return exp.Case(ifs=ifs, default=answer)


def _sorted(a: exp.Expression, ascending: bool, nulls_first: bool | None) -> exp.Expression:
    """Booleans, numbers, strings, each group sorted by its value; NULLs apart."""
    groups = []
    kinds: list[tuple[list[str], Callable[[exp.Expression], exp.Expression]]] = [
        (["BOOLEAN"], lambda x: exp.cast(x, exp.DataType.build("BOOLEAN"))),
        (["BIGINT", "UBIGINT", "DOUBLE"], lambda x: exp.cast(x, exp.DataType.build("DOUBLE"))),
        (["VARCHAR"], lambda x: call("json_extract_string", x, text("$"))),
    ]
    for kinds_, key in kinds:
        members = call("list_filter", a.copy(), _lambda(lambda x, k=kinds_: exp.In(
            this=call("json_type", x), expressions=[text(t) for t in k]), "dwsim_x"))  # fmt: skip
        keys = call("list_transform", members.copy(), _lambda(key, "dwsim_x"))
        order = [] if ascending else [text("DESC")]
        ranked = call("list_sort", call("list_zip", keys, members), *order)
        groups.append(call("list_transform", ranked, _lambda(
            lambda s: call("struct_extract", s, _n(2)), "dwsim_s")))  # fmt: skip
    if not ascending:
        groups.reverse()
    nulls = call("list_filter", a.copy(), _lambda(_is_null, "dwsim_x"))
    first = (not ascending) if nulls_first is None else nulls_first
    parts = [nulls, *groups] if first else [*groups, nulls]
    joined = parts[0]
    for part in parts[1:]:
        joined = call("list_concat", joined, part)
    nested = exp.GT(this=_size(call("list_filter", a.copy(), _lambda(lambda x: exp.In(
        this=call("json_type", x), expressions=[text("ARRAY"), text("OBJECT")]), "dwsim_x"))),
        expression=_n(0))  # fmt: skip
    return exp.Case(
        ifs=[exp.If(this=_is_null(a), true=exp.Null()),
             exp.If(this=nested, true=_fail(
                 "ARRAY_SORT of an array holding arrays or objects is not carried"))],
        default=call("to_json", joined),
    )  # fmt: skip


def _multiset(name: str, a: exp.Expression, b: exp.Expression, distinct: bool) -> exp.Expression:
    """The k-th copy of an element of a is common when b holds at least k copies."""
    if distinct:
        a = _distinct(a)

    def keep(x: exp.Expression, i: exp.Expression) -> exp.Expression:
        before = call("list_slice", a.copy(), _n(1), exp.Sub(this=i, expression=_n(1)))
        compare = exp.LT if name == "ARRAY_INTERSECTION" else exp.GTE
        return compare(this=_copies(before, x), expression=_copies(b, x))

    return call("list_filter", a.copy(), _lambda(keep, "dwsim_x", "dwsim_i"))


def _emulator(name: str, docs: list[exp.Expression], value: exp.Expression | None,
              flags: list[bool | None]) -> exp.Expression:  # fmt: skip
    a = _elements(docs[0], name)
    if value is not None:
        return _search(name, a, value, bool(flags[0]))
    if name == "ARRAY_SORT":
        return _sorted(a, bool(flags[0]), flags[1])
    lists = [a] if len(docs) == 1 else [a, _elements(docs[1], name)]
    if name == "ARRAYS_OVERLAP":  # NULL-safe: NULL elements in both overlap
        first, second = (_spelled_once(x.copy()) for x in lists)
        nulls = [exp.Not(this=_is_null(call("list_position", x.copy(), exp.Null()))) for x in lists]
        answer: exp.Expression = exp.Or(this=call("list_has_any", first, second),
                                        expression=exp.And(this=nulls[0], expression=nulls[1]))  # fmt: skip
        spelled = exp.or_(*(_any_other_spellings(x) for x in lists))
        failure = _fail(f"{name}: {SPELLINGS}")
    else:
        if name == "ARRAY_DISTINCT":
            kept = _distinct(a)
        elif name == "ARRAY_UNION":
            kept = _distinct(call("list_concat", *(x.copy() for x in lists)))
        else:
            kept = _multiset(name, lists[0], lists[1], bool(flags[0]))
        answer = call("to_json", kept)
        spelled = exp.or_(*(any_spelled_twice(x.copy()) for x in lists))
        failure = _fail(f"{name}: {DISTINCT_SPELLINGS}")
    missing = exp.or_(*(_is_null(x) for x in lists))
    return exp.Case(ifs=[exp.If(this=missing, true=exp.Null()),
                         exp.If(this=spelled, true=failure)], default=answer)  # fmt: skip


def array_functions(node: exp.Expression, engine: str) -> exp.Expression:
    """One of the functions above for the engine, or the node unchanged."""
    if isinstance(node, exp.Cast) and node._meta and node.meta.get(TYPED):
        return node.this
    name = _name(node)
    if name is None:
        return node
    result, count, has_value, most = SHAPES[name]
    args = _arguments(node)
    fixed = count + int(has_value)
    if not fixed <= len(args) <= fixed + most:
        raise Refusal(f"{name} with {len(args)} arguments", node)
    flags = _flags(name, args[fixed:], node)[:most]
    docs = [_document(a, engine, name, node) for a in args[:count]]
    if any(isinstance(d, exp.Null) for d in docs):
        return exp.Null()
    value = _value(args[count], engine) if has_value else None
    if engine == "snowflake":
        built = _emulator(name, docs, value, flags)
        if result == "SUPER":
            built = exp.cast(built, exp.DataType.build("VARIANT", dialect="snowflake"))
    else:
        built = _pack(name, docs, value, flags, engine)
    built = exp.Paren(this=built) if result != "SUPER" else built
    built.type = _result_type(name)
    return built
