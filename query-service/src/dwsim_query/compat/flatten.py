"""FLATTEN of a VARIANT array (Snowflake's `LATERAL FLATTEN(input => ...) f`) as the engine's
JSON table function: SQLite's `json_each`, PostgreSQL's `jsonb_array_elements ... WITH
ORDINALITY`. `f.value` and `f.index` are carried, with PATH and OUTER; the other columns,
and RECURSIVE or MODE other than their defaults, are refused by name."""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from dwsim_query.compat.nodes import Refusal, call, text
from dwsim_query.compat.registry import Rewrite, compat_engines, rewrite

CARRIED = frozenset({"value", "index"})
JSON_NODES = (exp.JSONExtract, exp.JSONExtractScalar, exp.JSONBExtract, exp.JSONBExtractScalar)


def _flatten_arguments(engine: str) -> Rewrite:
    """FLATTEN's PATH, OUTER, RECURSIVE and MODE, before each engine's FLATTEN: a PATH is
    moved into the input (`INPUT => GET_PATH(input, path)`); OUTER => TRUE makes the lateral
    join a LEFT JOIN ... ON TRUE (SQLite and the mock; the emulator ignores it, so it is
    refused there); RECURSIVE => FALSE and MODE => 'BOTH' are the defaults; any other
    RECURSIVE or MODE is refused by name (no engine here answers them as Snowflake does)."""

    def fn(node: exp.Expression) -> exp.Expression:
        if not isinstance(node, exp.Explode) or not isinstance(node.this, exp.Kwarg):
            return node
        named = {k.this.name.upper(): k for k in [node.this, *node.expressions]}
        if "INPUT" not in named or any(not isinstance(k, exp.Kwarg) for k in named.values()):
            return node
        value = {name: kwarg.expression for name, kwarg in named.items()}
        recursive, mode = value.get("RECURSIVE"), value.get("MODE")
        if recursive is not None and not _is(recursive, False):
            raise Refusal("FLATTEN with RECURSIVE => TRUE", node)
        if mode is not None and not (isinstance(mode, exp.Literal) and mode.name.upper() == "BOTH"):
            raise Refusal(f"FLATTEN with MODE => {mode.sql('snowflake')}", node)
        source = value["INPUT"]
        path = value.get("PATH")
        if path is not None:
            if not (isinstance(path, exp.Literal) and path.is_string):
                raise Refusal("FLATTEN with a PATH that is not a literal", node)
            if path.this:
                extract = sqlglot.parse_one(
                    f"GET_PATH(x, {path.sql('snowflake')})", read="snowflake"
                )
                extract.set("this", source)
                source = extract
        outer = value.get("OUTER")
        if outer is not None and not _is(outer, False):
            join = node.parent.parent if isinstance(node.parent, exp.Lateral) else None
            if not _is(outer, True) or engine == "snowflake" or not isinstance(join, exp.Join):
                raise Refusal("FLATTEN with OUTER => TRUE", node)
            join.set("side", "LEFT")
            join.set("on", exp.true())
        kept = exp.Kwarg(this=exp.var("INPUT"), expression=source)
        return exp.Explode(this=kept)

    return fn


def _is(value: exp.Expression, truth: bool) -> bool:
    return isinstance(value, exp.Boolean) and value.this is truth


for _engine in compat_engines():
    rewrite("semistructured", sources=["snowflake"], engines=[_engine])(_flatten_arguments(_engine))


def _flattens(select: exp.Select) -> dict[str, exp.Lateral]:
    found = {}
    for join in select.args.get("joins") or []:
        lateral = join.this
        if isinstance(lateral, exp.Lateral) and isinstance(lateral.this, exp.Explode):
            found[lateral.alias_or_name.lower()] = lateral
    return found


def _input(lateral: exp.Lateral) -> exp.Expression:
    args = lateral.this.this
    kwargs = [args, *lateral.this.expressions] if isinstance(args, exp.Kwarg) else []
    extra = [k for k in kwargs if not isinstance(k, exp.Kwarg) or k.this.name.lower() != "input"]
    if extra or lateral.args.get("outer") or not kwargs:
        raise Refusal("FLATTEN with arguments other than INPUT", lateral)
    return kwargs[0].expression


def _columns(select: exp.Select, aliases: set[str]) -> list[exp.Column]:
    columns = [c for c in select.find_all(exp.Column) if c.table.lower() in aliases]
    for column in columns:
        if column.name.lower() not in CARRIED:
            raise Refusal(f"FLATTEN column {column.name.upper()}", column)
    return columns


def _sqlite_value(column: exp.Column) -> exp.Expression:
    """json_each gives a scalar as its SQL value; a VARIANT prints as JSON."""
    kind = exp.column("type", table=column.table, quoted=True)
    is_document = exp.In(this=kind, expressions=[text("object"), text("array")])
    missing = exp.Is(this=kind.copy(), expression=exp.Null())  # OUTER's row of no element
    return exp.Case(
        ifs=[exp.If(this=is_document, true=column.copy()), exp.If(this=missing, true=exp.Null())],
        default=call("json_quote", column.copy()),
    )


@rewrite("semistructured", sources=["snowflake"], engines=["sqlite"])
def flatten_sqlite(node: exp.Expression) -> exp.Expression:
    if not isinstance(node, exp.Select) or not (flattens := _flattens(node)):
        return node
    for column in _columns(node, set(flattens)):
        if column.name.lower() == "index":
            column.set("this", exp.to_identifier("key", quoted=True))
        elif not isinstance(column.parent, (exp.Cast, *JSON_NODES)):
            column.replace(_sqlite_value(column))
    for alias, lateral in flattens.items():
        table = exp.Table(
            this=call("json_each", _input(lateral)),
            alias=exp.TableAlias(this=exp.to_identifier(alias, quoted=True)),
        )
        lateral.replace(table)
    return node


@rewrite("semistructured", sources=["snowflake"], engines=["postgres"])
def flatten_postgres(node: exp.Expression) -> exp.Expression:
    if not isinstance(node, exp.Select) or not (flattens := _flattens(node)):
        return node
    for column in _columns(node, set(flattens)):
        if column.name.lower() == "index":
            column.replace(
                exp.Paren(this=exp.Sub(this=column.copy(), expression=exp.Literal.number(1)))
            )
        elif isinstance(column.parent, exp.Cast):
            column.replace(
                exp.Paren(this=exp.JSONBExtractScalar(this=column.copy(), expression=text("{}")))
            )
        elif not isinstance(column.parent, JSON_NODES):
            column.replace(exp.cast(column.copy(), exp.DataType.build("TEXT")))  # prints as JSON
    for alias, lateral in flattens.items():
        elements = call("JSONB_ARRAY_ELEMENTS", _input(lateral))
        alias_node = exp.TableAlias(
            this=exp.to_identifier(alias, quoted=True),
            columns=[
                exp.to_identifier("value", quoted=True),
                exp.to_identifier("index", quoted=True),
            ],
        )
        lateral.set("this", elements)
        lateral.set("alias", alias_node)
        lateral.set("ordinality", True)
    return node
