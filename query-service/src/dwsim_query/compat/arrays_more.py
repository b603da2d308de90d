"""More Snowflake ARRAY and OBJECT functions on the engines' JSON (the conventions of
compat/arrays.py): ARRAY_INSERT, ARRAY_INTERSECTION, ARRAY_EXCEPT, ARRAY_FLATTEN, ARRAY_MIN,
ARRAY_MAX, ARRAY_SORT, ARRAY_GENERATE_RANGE, ARRAY_REMOVE, ARRAY_REMOVE_AT, OBJECT_INSERT,
OBJECT_DELETE and OBJECT_PICK.

SQLite runs the pack's sqlite_arrays_more.py functions, the Redshift mock the PostgreSQL pack's
(postgres.sql), the emulator DuckDB list and map expressions. Elements are compared as
arrays.py compares them; ARRAY_MIN / ARRAY_MAX / ARRAY_SORT rank arrays of numbers only or of
strings only (how Snowflake ranks other types against each other is not carried: such an
array fails by name).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlglot import exp

from dwsim_query.compat.arrays import (
    DISTINCT_SPELLINGS,
    _array,
    _elements,
    _not_null,
    _value,
    any_spelled_twice,
)
from dwsim_query.compat.nodes import Refusal, call, is_integer, is_text, text, type_of
from dwsim_query.compat.registry import ColumnTypes, parsed_rewrite, rewrite

T = exp.DataType.Type
RANGE_LIMIT = 1_000_000  # sqlite_arrays_more.RANGE_LIMIT and the PostgreSQL pack's
NODES: dict[type[exp.Expression], tuple[str, str]] = {
    exp.ArrayInsert: ("ARRAY_INSERT", "ARRAY"),
    exp.ArrayIntersect: ("ARRAY_INTERSECTION", "ARRAY"),
    exp.ArrayExcept: ("ARRAY_EXCEPT", "ARRAY"),
    exp.Flatten: ("ARRAY_FLATTEN", "ARRAY"),
    exp.ArrayMin: ("ARRAY_MIN", "VARIANT"),
    exp.ArrayMax: ("ARRAY_MAX", "VARIANT"),
    exp.SortArray: ("ARRAY_SORT", "ARRAY"),
    exp.GenerateSeries: ("ARRAY_GENERATE_RANGE", "ARRAY"),
    exp.ArrayRemove: ("ARRAY_REMOVE", "ARRAY"),
    exp.ArrayRemoveAt: ("ARRAY_REMOVE_AT", "ARRAY"),
    exp.ObjectInsert: ("OBJECT_INSERT", "OBJECT"),
}
ANONYMOUS = {"OBJECT_DELETE": "OBJECT", "OBJECT_PICK": "OBJECT"}


def _named(node: exp.Expression) -> tuple[str, str] | None:
    if isinstance(node, exp.Anonymous):
        name = node.name.upper()
        return (name, ANONYMOUS[name]) if name in ANONYMOUS else None
    if isinstance(node, exp.GenerateSeries) and not node.args.get("is_end_exclusive"):
        return None
    return NODES.get(type(node))


@parsed_rewrite("semistructured", dialects=["snowflake"])
def typed_arrays_more(tree: exp.Expression, _schema: ColumnTypes) -> exp.Expression:
    """Each call typed as Snowflake answers it (ARRAY, OBJECT, VARIANT) by a cast that its
    rewrite below takes off again."""
    for node in list(tree.find_all(*NODES, exp.Anonymous)):
        found = _named(node)
        if found is None or isinstance(node.parent, exp.Cast):
            continue
        node.replace(exp.cast(node.copy(), exp.DataType.build(found[1], dialect="snowflake")))
    return tree


def _integer(node: exp.Expression | None, name: str, what: str, call_: exp.Expression) -> None:
    written = isinstance(node, exp.Literal) and node.is_int
    if node is None or not (isinstance(node, exp.Null) or written or is_integer(node)):
        raise Refusal(f"{name} with {what} that is not an integer", call_)


def _flag(node: exp.Expression | None, name: str, what: str, call_: exp.Expression) -> bool | None:
    """A literal TRUE or FALSE argument (None when absent)."""
    if node is None:
        return None
    if not isinstance(node, exp.Boolean):
        raise Refusal(f"{name} with {what} that is not TRUE or FALSE", call_)
    return bool(node.this)


def _key(node: exp.Expression, name: str, call_: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Null) or not (is_text(node) or type_of(node) in (T.UNKNOWN, None)):
        raise Refusal(f"{name} with a key that is not a string", call_)
    if type_of(node) in (T.UNKNOWN, None) and not isinstance(node, exp.Literal):
        raise Refusal(f"{name} with a key that is not a string", call_)
    return node.copy()


def _document(
    value: exp.Expression, engine: str, name: str, node: exp.Expression
) -> exp.Expression:
    """An ARRAY or OBJECT argument as the engine holds it (a NULL literal stays NULL)."""
    return _array(value, engine, name, node)


def _element(value: exp.Expression, engine: str, name: str, node: exp.Expression) -> exp.Expression:
    """A value for an array or object: its VARIANT (NULL stays NULL, for the call to decide)."""
    if isinstance(value, exp.Null):
        return exp.Null()
    return _value(value, engine, name, node)


class _Call:
    """One call's arguments, read and checked the same way for every engine."""

    def __init__(self, node: exp.Expression, name: str, engine: str) -> None:
        self.node, self.name, self.engine = node, name, engine
        self.documents: list[exp.Expression] = []
        self.integers: list[exp.Expression] = []
        self.keys: list[exp.Expression] = []
        self.value: exp.Expression | None = None
        self.flag: bool | None = None
        self.key_array = False
        read = getattr(self, "_" + name.lower())
        read(node)

    def _doc(self, value: exp.Expression) -> None:
        self.documents.append(_document(value, self.engine, self.name, self.node))

    def _int(self, value: exp.Expression | None, what: str) -> None:
        _integer(value, self.name, what, self.node)
        assert value is not None
        self.integers.append(value.copy())

    def _array_insert(self, node: exp.Expression) -> None:
        self._doc(node.this)
        self._int(node.args.get("position"), "a position")
        raw = node.expression
        if isinstance(raw, exp.Null):
            raise Refusal("ARRAY_INSERT of a NULL value", node)
        self.value = _element(raw, self.engine, self.name, node)

    def _array_intersection(self, node: exp.Expression) -> None:
        if len(node.expressions) != 2:
            raise Refusal(f"ARRAY_INTERSECTION with {len(node.expressions)} arguments", node)
        for array in node.expressions:
            self._doc(array)

    def _array_except(self, node: exp.Expression) -> None:
        self._doc(node.this)
        self._doc(node.expression)

    def _array_flatten(self, node: exp.Expression) -> None:
        self._doc(node.this)

    def _array_min(self, node: exp.Expression) -> None:
        self._doc(node.this)

    _array_max = _array_min

    def _array_sort(self, node: exp.Expression) -> None:
        self._doc(node.this)
        ascending = _flag(node.args.get("asc"), "ARRAY_SORT", "a sort_ascending", node)
        # nulls_first places SQL NULLs (undefined elements), which no carried array holds
        _flag(node.args.get("nulls_first"), "ARRAY_SORT", "a nulls_first", node)
        self.flag = True if ascending is None else ascending

    def _array_generate_range(self, node: exp.Expression) -> None:
        self._int(node.args.get("start"), "a start")
        self._int(node.args.get("end"), "a stop")
        step = node.args.get("step")
        self._int(step if step is not None else exp.Literal.number(1), "a step")

    def _array_remove(self, node: exp.Expression) -> None:
        self._doc(node.this)
        self.value = _element(node.expression, self.engine, self.name, node)

    def _array_remove_at(self, node: exp.Expression) -> None:
        self._doc(node.this)
        self._int(node.args.get("position"), "a position")

    def _object_insert(self, node: exp.Expression) -> None:
        self._doc(node.this)
        self.keys.append(_key(node.args["key"], self.name, node))
        self.value = _element(node.args["value"], self.engine, self.name, node)
        flag = _flag(node.args.get("update_flag"), "OBJECT_INSERT", "an updateFlag", node)
        self.flag = bool(flag)

    def _object_delete(self, node: exp.Expression) -> None:
        if len(node.expressions) < 2:
            raise Refusal(f"{self.name} without a key", node)
        self._doc(node.expressions[0])
        for key in node.expressions[1:]:
            self.keys.append(_key(key, self.name, node))

    def _object_pick(self, node: exp.Expression) -> None:
        arguments = node.expressions
        array_like = type_of(arguments[1]) in (T.ARRAY, T.VARIANT, T.JSON, T.UNKNOWN, None)
        if len(arguments) == 2 and array_like and not isinstance(arguments[1], exp.Literal):
            self._doc(arguments[0])
            self.key_array = True
            self._doc(arguments[1])
            return
        self._object_delete(node)

    def missing(self) -> bool:
        """A NULL literal where the call answers NULL for it."""
        if any(isinstance(d, exp.Null) for d in self.documents):
            return True
        if any(isinstance(i, exp.Null) for i in self.integers):
            return True
        return self.name == "ARRAY_REMOVE" and isinstance(self.value, exp.Null)


def _sqlite(c: _Call) -> exp.Expression:
    name = c.name
    if name in ("ARRAY_MIN", "ARRAY_MAX", "ARRAY_FLATTEN", "ARRAY_INTERSECTION", "ARRAY_EXCEPT"):
        return call("dwsim_" + name.lower(), *c.documents)
    if name == "ARRAY_SORT":
        return call("dwsim_array_sort", *c.documents, exp.Literal.number(int(bool(c.flag))))
    if name == "ARRAY_INSERT":
        assert c.value is not None
        return call("dwsim_array_insert", c.documents[0], c.integers[0], c.value)
    if name == "ARRAY_GENERATE_RANGE":
        return call("dwsim_array_generate_range", *c.integers)
    if name == "ARRAY_REMOVE":
        assert c.value is not None
        return call("dwsim_array_remove", c.documents[0], c.value)
    if name == "ARRAY_REMOVE_AT":
        return call("dwsim_array_remove_at", c.documents[0], c.integers[0])
    if name == "OBJECT_INSERT":
        assert c.value is not None
        flag = exp.Literal.number(int(bool(c.flag)))
        return call("dwsim_object_insert", c.documents[0], c.keys[0], c.value, flag)
    if c.key_array:
        return call("dwsim_object_pick_array", *c.documents)
    return call("dwsim_" + name.lower(), c.documents[0], *c.keys)


def _postgres(c: _Call) -> exp.Expression:
    name = c.name
    label = text(name)
    bigints = [exp.cast(i, exp.DataType.build("BIGINT")) for i in c.integers]
    if name in ("ARRAY_INTERSECTION", "ARRAY_EXCEPT"):
        keep = exp.Boolean(this=name == "ARRAY_INTERSECTION")
        return call("dwsim_array_multiset", *c.documents, keep, label)
    if name == "ARRAY_FLATTEN":
        return call("dwsim_array_flatten", c.documents[0])
    if name in ("ARRAY_SORT", "ARRAY_MIN", "ARRAY_MAX"):
        ascending = exp.Boolean(this=bool(c.flag) if name == "ARRAY_SORT" else name == "ARRAY_MIN")
        sorted_ = call("dwsim_array_sort", c.documents[0], ascending, label)
        if name == "ARRAY_SORT":
            return sorted_
        return call("jsonb_extract_path", sorted_, text("0"))  # NULL for an empty array
    if name == "ARRAY_INSERT":
        assert c.value is not None
        return call("dwsim_array_insert", c.documents[0], bigints[0], c.value)
    if name == "ARRAY_GENERATE_RANGE":
        return call("dwsim_array_generate_range", *bigints)
    if name == "ARRAY_REMOVE":
        assert c.value is not None
        return call("dwsim_array_remove", c.documents[0], c.value)
    if name == "ARRAY_REMOVE_AT":
        return call("dwsim_array_remove_at", c.documents[0], bigints[0])
    keys = [exp.cast(k, exp.DataType.build("TEXT")) for k in c.keys]
    if name == "OBJECT_INSERT":
        assert c.value is not None
        value = exp.cast(c.value, exp.DataType.build("JSONB"))
        return call("dwsim_object_insert", c.documents[0], keys[0], value,
                    exp.Boolean(this=bool(c.flag)))  # fmt: skip
    if c.key_array:
        return call("dwsim_object_pick_array", *c.documents)
    return call("dwsim_" + name.lower(), c.documents[0], *keys)


def _is_null(node: exp.Expression) -> exp.Expression:
    return exp.Is(this=node.copy(), expression=exp.Null())


def _lambda(body: Callable[..., exp.Expression], *names: str) -> exp.Lambda:
    identifiers = [exp.to_identifier(n) for n in names]
    return exp.Lambda(
        this=body(*[exp.column(i.copy()) for i in identifiers]), expressions=identifiers
    )


def _n(value: int) -> exp.Expression:
    return exp.Literal.number(value)


def _size(a: exp.Expression) -> exp.Expression:
    """The list's length (the emulator's LEN is a string's, its ARRAY_SIZE reads the list as
    JSON text, which a NULL element breaks): a 1 summed per element."""
    ones = call("list_transform", a.copy(), _lambda(lambda _: _n(1), "dwsim_o"))
    return exp.cast(call("COALESCE", call("list_sum", ones), _n(0)), exp.DataType.build("BIGINT"))


def _position(p: exp.Expression, a: exp.Expression) -> exp.Expression:
    """A position counted from 0, a negative one from the end, as an index from 0."""
    return exp.Case(
        ifs=[exp.If(this=exp.LT(this=p.copy(), expression=_n(0)),
                    true=exp.Add(this=p.copy(), expression=_size(a)))],
        default=p.copy(),
    )  # fmt: skip


def _copies(a: exp.Expression, x: exp.Expression) -> exp.Expression:
    """How many elements of the list `a` equal `x` (NULL-safe)."""
    return _size(call("list_filter", a.copy(), _lambda(
        lambda y: exp.NullSafeEQ(this=y, expression=x.copy()), "dwsim_y")))  # fmt: skip


def _ranked(a: exp.Expression, name: str, descending: bool = False) -> exp.Expression:
    """The elements sorted, numbers by value and strings by code point, in a list of
    (key, element) pairs; a failure for an array that is not all numbers or all strings."""
    numeric = [text(t) for t in ("BIGINT", "UBIGINT", "DOUBLE")]

    def kind_is(x: exp.Expression, kinds: Sequence[exp.Expression]) -> exp.Expression:
        return exp.In(this=call("COALESCE", call("json_type", x.copy()), text("NULL")),
                      expressions=[k.copy() for k in kinds])  # fmt: skip

    def count(kinds: Sequence[exp.Expression]) -> exp.Expression:
        return _size(call("list_filter", a.copy(), _lambda(lambda x: kind_is(x, kinds), "dwsim_x")))

    uniform = exp.or_(
        _is_null(a),
        exp.EQ(this=count(numeric), expression=_size(a)),
        exp.EQ(this=count([text("VARCHAR")]), expression=_size(a)),
    )
    # (number, string, element): one key or the other is NULL throughout (list_zip: a struct
    # literal in a lambda is an OBJECT_CONSTRUCT on the emulator)
    number = call("list_transform", a.copy(), _lambda(lambda x: exp.Case(
        ifs=[exp.If(this=kind_is(x, numeric), true=exp.TryCast(
            this=x.copy(), to=exp.DataType.build("DOUBLE")))]), "dwsim_x"))  # fmt: skip
    string = call("list_transform", a.copy(), _lambda(lambda x: exp.Case(
        ifs=[exp.If(this=kind_is(x, [text("VARCHAR")]), true=call(
            "json_extract_string", x.copy(), text("$")))]), "dwsim_x"))  # fmt: skip
    order = [text("DESC")] if descending else []
    ranked = call("list_sort", call("list_zip", number, string, a.copy()), *order)
    failure = call("error", text(
        f"{name} of an array that is not all numbers or all strings is not carried"))  # fmt: skip
    return exp.Case(ifs=[exp.If(this=uniform, true=ranked)], default=failure)


def _values(ranked: exp.Expression) -> exp.Expression:
    return call("list_transform", ranked, _lambda(
        lambda s: call("struct_extract", s, _n(3)), "dwsim_s"))  # fmt: skip


def _entries(document: exp.Expression, name: str) -> exp.Expression:
    """DuckDB's list of the object's {key, value} pairs; a failure for a value not an OBJECT."""
    is_object = exp.EQ(this=call("json_type", document.copy()), expression=text("OBJECT"))
    as_map = exp.cast(document.copy(), exp.DataType.build("MAP(VARCHAR, JSON)", dialect="duckdb"))
    return exp.Case(
        ifs=[exp.If(this=is_object, true=call("map_entries", as_map))],
        default=call("error", text(f"{name}: the argument is not an OBJECT")),
    )


def _object_json(entries: exp.Expression) -> exp.Expression:
    return call("to_json", call("map_from_entries", entries))


def _emulator(c: _Call) -> exp.Expression:
    name = c.name
    if name == "ARRAY_GENERATE_RANGE":
        start, stop, step = c.integers
        span = exp.Div(this=exp.cast(exp.Sub(this=stop.copy(), expression=start.copy()),
                                     exp.DataType.build("DOUBLE")), expression=step.copy())  # fmt: skip
        return exp.Case(
            ifs=[exp.If(this=exp.EQ(this=step.copy(), expression=_n(0)),
                        true=call("error", text("ARRAY_GENERATE_RANGE with a step of 0"))),
                 exp.If(this=exp.GT(this=span, expression=_n(RANGE_LIMIT)),
                        true=call("error", text(
                            f"ARRAY_GENERATE_RANGE of more than {RANGE_LIMIT} elements")))],
            default=call("to_json", call("range", start, stop, step)),
        )  # fmt: skip
    document = c.documents[0]
    if name.startswith("OBJECT_"):
        entries = _entries(document, name)
        keys: exp.Expression = exp.Array(expressions=c.keys)
        if name == "OBJECT_PICK" and c.key_array:
            keys = call("from_json", c.documents[1].copy(), text('["VARCHAR"]'))
        if name in ("OBJECT_DELETE", "OBJECT_PICK"):
            wanted = _lambda(lambda e: call("list_contains", keys.copy(), exp.Dot(
                this=e, expression=exp.to_identifier("key"))), "dwsim_e")  # fmt: skip
            if name == "OBJECT_DELETE":
                wanted.set("this", call("COALESCE", exp.Not(this=wanted.this), exp.true()))
            built = _object_json(call("list_filter", entries, wanted))
            if c.key_array:
                built = exp.Case(ifs=[exp.If(this=_is_null(c.documents[1]), true=exp.Null())],
                                 default=built)  # fmt: skip
        else:  # OBJECT_INSERT
            key = c.keys[0]
            assert c.value is not None
            others = call("list_filter", entries.copy(), _lambda(
                lambda e: exp.NEQ(this=exp.Dot(this=e, expression=exp.to_identifier("key")),
                                  expression=key.copy()), "dwsim_e"))  # fmt: skip
            value = exp.cast(c.value.copy(), exp.DataType.build("JSON"))
            pair = call("map_from_entries", call("list_zip", call("list_value", key.copy()),
                                                 call("list_value", value)))  # fmt: skip
            exists = exp.GT(this=_size(entries.copy()), expression=_size(others.copy()))
            ifs = [exp.If(this=_is_null(key), true=_object_json(entries.copy()))]
            if not c.flag:
                ifs.append(exp.If(this=exists, true=call("error", text(
                    "OBJECT_INSERT: the key is already in the object"))))  # fmt: skip
            ifs.append(exp.If(this=_is_null(c.value), true=_object_json(others.copy())))
            if isinstance(c.value, exp.Null):  # the pair is left out
                built = exp.Case(ifs=ifs[:-1], default=_object_json(others.copy()))
            else:
                built = exp.Case(ifs=ifs, default=call("to_json", call(
                    "map_concat", call("map_from_entries", others), pair)))  # fmt: skip
        return exp.Case(ifs=[exp.If(this=_is_null(document), true=exp.Null())], default=built)
    a = _elements(document, name)
    if name in ("ARRAY_INTERSECTION", "ARRAY_EXCEPT"):
        if c.node.find(exp.Struct):  # a subquery there, which DuckDB cannot read in a lambda
            raise Refusal(f"{name} of an array holding an OBJECT_CONSTRUCT on the emulator", c.node)
        b = _elements(c.documents[1], name)

        # the i-th element is kept when b has more (INTERSECTION) / no more (EXCEPT) copies
        # of it than the elements before it in a
        def keep(x: exp.Expression, i: exp.Expression) -> exp.Expression:
            before = call("list_slice", a.copy(), _n(1), exp.Sub(this=i, expression=_n(1)))
            compare = exp.LT if name == "ARRAY_INTERSECTION" else exp.GTE
            return compare(this=_copies(before, x), expression=_copies(b, x))

        either = exp.Or(this=_is_null(a), expression=_is_null(b))
        kept = call("to_json", call("list_filter", a.copy(), _lambda(keep, "dwsim_x", "dwsim_i")))
        # elements are matched by their JSON text here: another spelling fails by name
        spelled = exp.Or(this=any_spelled_twice(a.copy()), expression=any_spelled_twice(b.copy()))
        fails = call("error", text(f"{name}: {DISTINCT_SPELLINGS}"))
        return exp.Case(ifs=[exp.If(this=either, true=exp.Null()),
                             exp.If(this=spelled, true=fails)], default=kept)  # fmt: skip
    if name == "ARRAY_FLATTEN":
        not_array = _lambda(lambda x: exp.Or(
            this=_is_null(x), expression=exp.NEQ(this=call("json_type", x.copy()),
                                                 expression=text("ARRAY"))), "dwsim_x")  # fmt: skip

        # the elements' JSON texts less their brackets, joined (the emulator's FLATTEN is the
        # table function, and it types a list of lists in a lambda as JSON)
        def inside(x: exp.Expression) -> exp.Expression:
            written = exp.cast(x, exp.DataType.build("TEXT"))
            return exp.Trim(this=call("SUBSTR", written, _n(2), exp.Sub(
                this=call("LENGTH", written.copy()), expression=_n(2))))  # fmt: skip

        parts = call("list_filter", call("list_transform", a.copy(), _lambda(inside, "dwsim_x")),
                     _lambda(lambda t: exp.NEQ(this=t, expression=text("")), "dwsim_t"))  # fmt: skip
        joined = exp.DPipe(this=exp.DPipe(this=text("["), expression=call(
            "ARRAY_TO_STRING", parts, text(","))), expression=text("]"))  # fmt: skip
        return exp.Case(
            ifs=[exp.If(this=_is_null(a), true=exp.Null()),
                 exp.If(this=exp.GT(this=_size(call("list_filter", a.copy(), not_array)),
                                    expression=_n(0)),
                        true=call("error", text("ARRAY_FLATTEN: an element is not an ARRAY")))],
            default=call("json", joined),
        )  # fmt: skip
    if name in ("ARRAY_SORT", "ARRAY_MIN", "ARRAY_MAX"):
        descending = name == "ARRAY_SORT" and not c.flag
        ranked = _ranked(a, name, descending)
        if name == "ARRAY_SORT":
            return exp.Case(ifs=[exp.If(this=_is_null(a), true=exp.Null())],
                            default=call("to_json", _values(ranked)))  # fmt: skip
        end = _n(1 if name == "ARRAY_MIN" else -1)
        return call("struct_extract", call("list_extract", ranked, end), _n(3))
    if name == "ARRAY_REMOVE":
        assert c.value is not None
        removed = call("NULLIF", c.value.copy(), exp.cast(text("null"), exp.DataType.build("JSON")))
        left = call("list_filter", a.copy(), _lambda(
            lambda x: exp.Not(this=exp.NullSafeEQ(this=x, expression=removed.copy())), "dwsim_x"))  # fmt: skip
        return exp.Case(ifs=[exp.If(this=_is_null(c.value), true=exp.Null())],
                        default=call("to_json", left))  # fmt: skip
    at = _position(c.integers[0], a)
    before = call("list_slice", a.copy(), _n(1), at.copy())
    if name == "ARRAY_REMOVE_AT":
        after = call("list_slice", a.copy(), exp.Add(this=at.copy(), expression=_n(2)), _size(a))
        within = exp.And(this=exp.GTE(this=at.copy(), expression=_n(0)),
                         expression=exp.LT(this=at.copy(), expression=_size(a)))  # fmt: skip
        return exp.Case(ifs=[exp.If(this=within, true=call("to_json", call("list_concat", before, after)))],
                        default=call("to_json", a.copy()))  # fmt: skip
    # ARRAY_INSERT
    assert c.value is not None
    after = call("list_slice", a.copy(), exp.Add(this=at.copy(), expression=_n(1)), _size(a))
    outside = exp.Or(this=exp.LT(this=at.copy(), expression=_n(0)),
                     expression=exp.GT(this=at.copy(), expression=_size(a)))  # fmt: skip
    spliced = call("list_concat", call("list_concat", before, call("list_value", c.value.copy())),
                   after)  # fmt: skip
    done = exp.Case(
        ifs=[exp.If(this=_is_null(a), true=exp.Null()),
             exp.If(this=outside, true=call("error", text(
                 "ARRAY_INSERT beyond the array's ends (undefined elements in between) is not "
                 "carried")))],
        default=call("to_json", spliced),
    )  # fmt: skip
    return _not_null(c.value, name, "snowflake", done)


BUILDERS = {"sqlite": _sqlite, "postgres": _postgres, "snowflake": _emulator}


def _rewrite_for(engine: str) -> Callable[[exp.Expression], exp.Expression]:
    build = BUILDERS[engine]

    def arrays_more(node: exp.Expression) -> exp.Expression:
        if not isinstance(node, exp.Cast):
            return node
        found = _named(node.this)
        if found is None:
            return node
        name = found[0]
        read = _Call(node.this, name, engine)
        if read.missing():
            return exp.Null()
        built = build(read)
        if engine == "snowflake":
            return exp.cast(built, exp.DataType.build("VARIANT", dialect="snowflake"))
        return exp.Paren(this=built)

    arrays_more.__name__ = arrays_more.__qualname__ = f"arrays_more_{engine}"
    return arrays_more


for _engine in BUILDERS:
    rewrite("semistructured", sources=["snowflake"], engines=[_engine])(_rewrite_for(_engine))
