"""Semi-structured values: Snowflake `:` paths and casts of them, Redshift
JSON_EXTRACT_PATH_TEXT. SQLite keeps documents as JSON text, the Redshift mock as JSONB."""

from __future__ import annotations

import re

from sqlglot import exp

from dwsim_query.compat.nodes import Refusal, call, cast, is_integer, text, type_of
from dwsim_query.compat.registry import (
    ColumnTypes,
    Rewrite,
    compat_engines,
    parsed_rewrite,
    rewrite,
)

T = exp.DataType.Type
TEXT_TYPES = frozenset({T.VARCHAR, T.TEXT, T.CHAR, T.NVARCHAR, T.NCHAR})


def _steps(node: exp.Expression) -> list[str | int]:
    path = node.expression
    if not isinstance(path, exp.JSONPath):
        raise Refusal("a JSON path that is not a constant", node)
    steps: list[str | int] = []
    for part in path.expressions:
        if isinstance(part, exp.JSONPathRoot):
            continue
        if isinstance(part, exp.JSONPathKey):
            steps.append(str(part.this))
        elif isinstance(part, exp.JSONPathSubscript) and isinstance(part.this, int):
            steps.append(part.this)
        else:
            raise Refusal("this JSON path", node)
    return steps


def _sqlite_path(steps: list[str | int]) -> str:
    out = "$"
    for step in steps:
        out += f"[{step}]" if isinstance(step, int) else f'."{step}"'
    return out


def _extract(node: exp.Expression) -> bool:
    return isinstance(node, exp.JSONExtract | exp.JSONExtractScalar | exp.JSONBExtract)


@rewrite("semistructured", sources=["snowflake"], engines=["postgres"])
def path_text_of_text(node: exp.Expression) -> exp.Expression:
    """JSON_EXTRACT_PATH_TEXT of text parses it as JSON first (the mock's operators take JSON)."""
    if isinstance(node, exp.JSONExtractScalar):
        value = node.this
        literal = isinstance(value, exp.Literal) and value.is_string
        if isinstance(value, exp.Null) or literal or type_of(value) in TEXT_TYPES:
            value = cast(value, "JSONB")
        # An object or an array prints compact, as Snowflake's text of it (`::text` of JSONB
        # puts a blank after each , and :); the separators inside strings are kept.
        path = _pg_path(_steps(node))
        found = exp.JSONBExtract(this=value.copy(), expression=path.copy())
        compact = call("REGEXP_REPLACE", cast(exp.Paren(this=found.copy()), "TEXT"),
                       text(r'("(?:[^"\\]|\\.)*")|([,:]) '), text(r"\1\2"), text("g"))  # fmt: skip
        document = exp.In(
            this=call("JSONB_TYPEOF", found), expressions=[text("object"), text("array")]
        )
        scalar = exp.Paren(this=exp.JSONBExtractScalar(this=value, expression=path))
        return exp.Case(ifs=[exp.If(this=document, true=compact)], default=scalar)
    return node


def _get_as_path(engine: str) -> Rewrite:
    return lambda node: get_as_path(node, engine)


def get_as_path(node: exp.Expression, engine: str) -> exp.Expression:
    """GET(v, 'key') and GET(v, index) are the paths `v:key` and `v[index]` (on every engine a
    cast of GET's VARIANT read the JSON text, quotes and all). So are `v['key']` and `v[index]`
    on SQLite and the mock (which read a bracket as their own subscript: the mock's cast kept
    the quotes and its index counted from 1; SQLite failed)."""
    bracket = isinstance(node, exp.Bracket) and len(node.expressions) == 1
    if bracket and engine != "snowflake":
        key = node.expressions[0]
        if not (isinstance(key, exp.Literal) and (key.is_int or (key.is_string and key.this))):
            return node
    elif isinstance(node, exp.GetExtract):
        key = node.expression
    else:
        return node
    if isinstance(key, exp.Null):
        return exp.Null()
    if isinstance(key, exp.Literal) and key.is_string and key.this:
        step: exp.Expression = exp.JSONPathKey(this=key.this)
    elif isinstance(key, exp.Literal) and key.is_int:
        step = exp.JSONPathSubscript(this=int(key.this))
    else:
        raise Refusal("GET with a key or index that is not a literal", node)
    inner = node.this
    if isinstance(inner, exp.JSONExtract) and isinstance(inner.expression, exp.JSONPath):
        path = inner.expression.copy()
        path.append("expressions", step)
        return exp.JSONExtract(this=inner.this, expression=path, variant_extract=True,
                               requires_json=True)  # fmt: skip
    path = exp.JSONPath(expressions=[exp.JSONPathRoot(), step])
    return exp.JSONExtract(this=inner, expression=path, variant_extract=True, requires_json=True)


for _engine in compat_engines():
    rewrite("semistructured", sources=["snowflake"], engines=[_engine])(_get_as_path(_engine))


@rewrite("semistructured", engines=["sqlite"])
def json_sqlite(node: exp.Expression) -> exp.Expression:
    """A cast of a path, or JSON_EXTRACT_PATH_TEXT, is the value itself (json_extract: no quotes);
    a bare path stays JSON (the `->` operator), as a VARIANT prints in Snowflake."""
    if isinstance(node, exp.Cast) and _extract(node.this):
        scalar = call("json_extract", node.this.this, text(_sqlite_path(_steps(node.this))))
        if node.to.this in TEXT_TYPES:
            return exp.cast(scalar, exp.DataType.build("TEXT"))
        return exp.cast(scalar, node.to)
    if isinstance(node, exp.JSONExtractScalar):
        return exp.cast(
            call("json_extract", node.this, text(_sqlite_path(_steps(node)))),
            exp.DataType.build("TEXT"),
        )
    if isinstance(node, exp.JSONExtract) and not isinstance(node.parent, exp.Cast):
        return exp.JSONExtract(this=node.this, expression=text(_sqlite_path(_steps(node))))
    return node


def _pg_element(step: str | int) -> str:
    """One element of a PostgreSQL array literal: quoted when it is empty or holds a character
    the literal reads (`{"",f6}`: `{,f6}` is malformed)."""
    value = str(step)
    if value and not re.search(r'[\s{}",\\]', value) and value.upper() != "NULL":
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _pg_path(steps: list[str | int]) -> exp.Literal:
    return text("{" + ",".join(_pg_element(s) for s in steps) + "}")


@rewrite("semistructured", engines=["postgres"])
def json_postgres(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Cast) and _extract(node.this):
        scalar = exp.JSONBExtractScalar(this=node.this.this, expression=_pg_path(_steps(node.this)))
        return exp.cast(exp.Paren(this=scalar), node.to)
    if isinstance(node, exp.JSONExtractScalar):
        return exp.Paren(
            this=exp.JSONBExtractScalar(this=node.this, expression=_pg_path(_steps(node)))
        )
    if isinstance(node, exp.JSONExtract) and not isinstance(node.parent, exp.Cast):
        return exp.Paren(this=exp.JSONBExtract(this=node.this, expression=_pg_path(_steps(node))))
    return node


@parsed_rewrite("semistructured", dialects=["redshift", "postgres"])
def super_paths(tree: exp.Expression, schema: ColumnTypes) -> exp.Expression:
    """Redshift SUPER navigation (`js.a.b`, `t.js.a`) as JSON paths, before columns are
    qualified (which would read `js` as a table). Needs the schema: only a semi-structured
    column starts a path. Written in Redshift's syntax only (PostgreSQL's reads it alike)."""
    if not schema:
        return tree
    sources: dict[str, str] = {}
    for table in tree.find_all(exp.Table):
        if table.name in schema:
            sources[table.alias_or_name] = table.name
    json_columns = {
        column: alias
        for alias, name in sources.items()
        for column, kind in schema[name].items()
        if kind.upper() in ("JSON", "VARIANT", "SUPER")
    }
    for column in list(tree.find_all(exp.Column)):
        parts = [p.name for p in column.parts]
        if len(parts) < 2:
            continue
        if parts[0] in sources and len(parts) >= 3 and parts[1] in json_columns:
            base, path = exp.column(parts[1], table=parts[0], quoted=True), parts[2:]
        elif parts[0] in json_columns and parts[0] not in sources:
            base, path = exp.column(parts[0], quoted=True), parts[1:]
        else:
            continue
        keys = [exp.JSONPathRoot()] + [exp.JSONPathKey(this=p) for p in path]
        column.replace(exp.JSONExtract(this=base, expression=exp.JSONPath(expressions=keys)))
    return tree


# A number literal with a fraction and no trailing zero (2.5, -0.25): its VARIANT prints as
# written whatever scale Snowflake keeps.
_PLAIN_FRACTION = re.compile(r"\d*\.\d*[1-9]")
_FLOATS = frozenset({T.FLOAT, T.DOUBLE, T.UDOUBLE, T.DECFLOAT})
_BINARIES = frozenset({T.BINARY, T.VARBINARY})


def _plain_fraction(value: exp.Expression) -> bool:
    if isinstance(value, exp.Neg):
        value = value.this
    return (
        isinstance(value, exp.Literal)
        and not value.is_string
        and _PLAIN_FRACTION.fullmatch(str(value.this)) is not None
    )


def element_refusal(value: exp.Expression) -> str | None:
    """What an ARRAY element is called where the engines would not keep the VARIANT Snowflake
    makes of it (TYPEOF and its printed text): a date or time (Snowflake keeps its type; the
    engines would keep its text), a FLOAT (printed as 3.000000000000000e+00), a binary value, a
    number with a fraction other than a literal without trailing zeros (how its scale prints is
    not carried); None if it is kept."""
    kind = type_of(value)
    if _plain_fraction(value):  # typed DOUBLE by the annotator, a NUMBER in Snowflake
        return None
    if kind in exp.DataType.TEMPORAL_TYPES:
        return "a date or time value"
    if kind in _BINARIES:
        return "a binary value"
    if kind in _FLOATS or (kind in exp.DataType.NUMERIC_TYPES and not is_integer(value)):
        return "a FLOAT or a number with a fraction (other than a literal such as 2.5)"
    return None


def _refuse_elements(node: exp.Array) -> None:
    for element in node.expressions:
        what = element_refusal(element)
        if what is not None:
            raise Refusal(f"ARRAY_CONSTRUCT of {what}", node)


@rewrite("semistructured", sources=["snowflake"], first=True)
def array_elements(node: exp.Expression) -> exp.Expression:
    """ARRAY_CONSTRUCT (and an ARRAY literal) of an element whose VARIANT is not carried is
    refused by name on every engine, before the engines' rewrites below build their arrays."""
    if isinstance(node, exp.Array):
        _refuse_elements(node)
    return node


def _array_elements(node: exp.Array) -> list[exp.Expression]:
    if any(isinstance(e, exp.Null) for e in node.expressions):
        # Snowflake keeps a SQL NULL element as `undefined`, which JSON cannot hold.
        raise Refusal("ARRAY_CONSTRUCT with a NULL element", node)
    _refuse_elements(node)
    return list(node.expressions)


def _array_size(value: exp.Expression, typeof: str, length: str) -> exp.Expression:
    """ARRAY_SIZE: the array's length; NULL for a value that is not an array."""
    is_array = exp.EQ(this=call(typeof, value.copy()), expression=text("array"))
    return exp.Case(ifs=[exp.If(this=is_array, true=call(length, value))])


def _json_boolean(value: exp.Expression) -> exp.Expression:
    """A BOOLEAN as a JSON boolean (SQLite keeps it as 1 or 0, which JSON_ARRAY writes as 1)."""
    if type_of(value) != T.BOOLEAN:
        return value
    return exp.Case(ifs=[exp.If(this=value.copy(), true=call("json", text("true"))),
                         exp.If(this=exp.Not(this=value), true=call("json", text("false")))])  # fmt: skip


@rewrite("semistructured", sources=["snowflake"], engines=["sqlite"])
def arrays_sqlite(node: exp.Expression) -> exp.Expression:
    """ARRAY_CONSTRUCT and ARRAY_SIZE on JSON text."""
    if isinstance(node, exp.Array):
        return call("json_array", *[_json_boolean(e) for e in _array_elements(node)])
    if isinstance(node, exp.ArraySize):
        return _array_size(node.this, "json_type", "json_array_length")
    return node


@rewrite("semistructured", sources=["snowflake"], engines=["postgres"])
def arrays_postgres(node: exp.Expression) -> exp.Expression:
    """ARRAY_CONSTRUCT and ARRAY_SIZE on JSONB (a PostgreSQL array holds one type only)."""
    if isinstance(node, exp.Array):
        return call("jsonb_build_array", *_array_elements(node))
    if isinstance(node, exp.ArraySize):
        value = exp.cast(node.this, exp.DataType.build("JSONB"))
        return _array_size(value, "jsonb_typeof", "jsonb_array_length")
    return node


def _object_pairs(node: exp.Struct) -> list[exp.PropertyEQ]:
    """OBJECT_CONSTRUCT's pairs, refused where an engine would not print a value as Snowflake
    does (a timestamp's VARIANT text) or a key is not a plain literal."""
    pairs = node.expressions
    if not all(isinstance(p, exp.PropertyEQ) for p in pairs):
        raise Refusal("OBJECT_CONSTRUCT(*)", node)
    for pair in pairs:
        key = pair.this
        if not (isinstance(key, exp.Literal) and key.is_string) or set(key.this) & set('"\\'):
            raise Refusal("OBJECT_CONSTRUCT with a key that is not a plain literal", node)
        if type_of(pair.expression) in exp.DataType.TEMPORAL_TYPES:
            raise Refusal("OBJECT_CONSTRUCT of a date or time value", node)
    return list(pairs)


KEEP_NULL = "dwsim_keep_null"


def _keep_null_for(engine: str) -> Rewrite:
    def keep_null(node: exp.Expression) -> exp.Expression:
        """OBJECT_CONSTRUCT_KEEP_NULL (parsed as a JSON object): OBJECT_CONSTRUCT's rules, less
        the omission of pairs with a NULL value, which it keeps as JSON null (its page and
        Snowpark's example: `"key_2": null`). The emulator (fakesnow) runs it itself."""
        if not isinstance(node, exp.JSONObject):
            return node
        pairs = [
            exp.PropertyEQ(this=p.this, expression=p.expression)
            if isinstance(p, exp.JSONKeyValue) else p
            for p in node.expressions
        ]  # fmt: skip
        built = exp.Struct(expressions=pairs)
        try:
            checked = _object_pairs(built)  # the same refusals as OBJECT_CONSTRUCT
        except Refusal as refused:
            construct = refused.construct.replace("OBJECT_CONSTRUCT", "OBJECT_CONSTRUCT_KEEP_NULL")
            raise Refusal(construct, node, refused.reason) from None
        if any(isinstance(p.this, exp.Null) for p in checked):
            raise Refusal("OBJECT_CONSTRUCT_KEEP_NULL with a NULL key", node)
        if engine == "snowflake":
            return node
        built.meta[KEEP_NULL] = True
        built.type = exp.DataType.build("OBJECT", dialect="snowflake")
        return built

    return keep_null


for _engine in ("sqlite", "postgres", "snowflake"):
    rewrite("semistructured", sources=["snowflake"], engines=[_engine], first=True)(
        _keep_null_for(_engine)
    )


@rewrite("semistructured", sources=["snowflake"], engines=["snowflake"])
def object_construct_times(node: exp.Expression) -> exp.Expression:
    """The emulator prints a timestamp in an OBJECT without Snowflake's milliseconds."""
    if isinstance(node, exp.Struct) and any(
        type_of(p.expression) in exp.DataType.TEMPORAL_TYPES
        for p in node.expressions
        if isinstance(p, exp.PropertyEQ)
    ):
        raise Refusal("OBJECT_CONSTRUCT of a date or time value", node)
    return node


@rewrite("semistructured", sources=["snowflake"], engines=["sqlite"])
def object_construct_sqlite(node: exp.Expression) -> exp.Expression:
    """OBJECT_CONSTRUCT as JSON_OBJECT less the keys whose value is a SQL NULL (a JSON null is
    kept): JSON_REMOVE of `$."key"` for those, of `$[0]` (never in an object) for the rest.
    Booleans are JSON booleans and VARIANT text is embedded as JSON, not as a string."""
    if not isinstance(node, exp.Struct):
        return node
    pairs, parts, removed = _object_pairs(node), [], []
    for pair in pairs:
        value = pair.expression
        kind = type_of(value)
        if kind == T.BOOLEAN:
            value = exp.Case(ifs=[exp.If(this=value.copy(), true=call("json", text("true"))),
                                  exp.If(this=exp.Not(this=value), true=call("json", text("false")))])  # fmt: skip
        elif kind in (T.VARIANT, T.OBJECT, T.ARRAY, T.JSON):
            value = call("json", value)
        parts += [pair.this, value]
        gone = exp.Is(this=pair.expression.copy(), expression=exp.Null())
        removed.append(exp.Case(ifs=[exp.If(this=gone, true=text(f'$."{pair.this.this}"'))],
                                default=text("$[0]")))  # fmt: skip
    built = call("json_object", *parts)
    if node.meta.get(KEEP_NULL):
        return built
    return call("json_remove", built, *removed) if removed else built


# After arrays_postgres: the ARRAY[...] of keys below is a PostgreSQL array, not ARRAY_CONSTRUCT.
@rewrite("semistructured", sources=["snowflake"], engines=["postgres"])
def object_construct_postgres(node: exp.Expression) -> exp.Expression:
    """OBJECT_CONSTRUCT as JSONB_BUILD_OBJECT, less the keys whose value is a SQL NULL
    (Snowflake omits those pairs; a JSON null, PARSE_JSON('null'), is kept)."""
    if not isinstance(node, exp.Struct):
        return node
    pairs = _object_pairs(node)
    built = call("JSONB_BUILD_OBJECT", *[part for p in pairs for part in (p.this, p.expression)])
    if not pairs or node.meta.get(KEEP_NULL):
        return built
    nulls = [exp.Is(this=p.expression.copy(), expression=exp.Null()) for p in pairs]
    missing = [
        exp.Case(ifs=[exp.If(this=n, true=p.this.copy())])
        for n, p in zip(nulls, pairs, strict=True)
    ]
    keys = call("ARRAY_REMOVE", exp.Array(expressions=missing), exp.Null())
    return exp.Paren(this=exp.Sub(this=built, expression=keys))
