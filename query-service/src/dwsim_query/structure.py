"""Query structure the source dialect gives meaning to before any column is resolved: a table
named by itself (`SELECT t.a FROM t`) and the `VALUES` table constructor with its implicit
`column1, column2, ...` names. Each step is a pure function over the folded tree (identifiers
are quoted lower case by then)."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from dwsim_query.compat.registry import origin_of
from dwsim_shared.errors import BadRequest

VALUES_DOC = "https://docs.snowflake.com/en/sql-reference/constructs/values"
REDSHIFT_UNSUPPORTED_DOC = (
    "https://docs.aws.amazon.com/redshift/latest/dg/c_unsupported-postgresql-features.html"
)


def name_tables_by_themselves(tree: exp.Expression) -> exp.Expression:
    """An unaliased table gets its own name as a quoted alias, so `t.a` resolves to `t` in every
    dialect (the qualifier would otherwise alias it in the dialect's case: `T` in Snowflake)."""
    for table in tree.find_all(exp.Table):
        if table.name and not table.args.get("alias"):
            table.set("alias", exp.TableAlias(this=exp.to_identifier(table.name, quoted=True)))
    return tree


def _in_from(values: exp.Values) -> bool:
    parent = values.parent
    return isinstance(parent, exp.From | exp.Join) or (
        isinstance(parent, exp.Subquery) and isinstance(parent.parent, exp.From | exp.Join)
    )


def values_tables(tree: exp.Expression, source: str) -> exp.Expression:
    """Snowflake: a `VALUES` list in FROM is a table whose columns are `column1..N` unless its
    alias names them. Redshift has no such table (it takes VALUES only in INSERT): refused."""
    for number, values in enumerate(list(tree.find_all(exp.Values)), 1):
        if not _in_from(values):
            continue
        if source != "snowflake":
            found = origin_of(values)
            place = f" (line {found[1]}, column {found[2]})" if found else ""
            raise BadRequest(
                f"VALUES as a table is not Redshift SQL{place}: Redshift takes VALUES lists "
                f"only in INSERT ({REDSHIFT_UNSUPPORTED_DOC}); use SELECT ... UNION ALL SELECT ...",
                construct="VALUES",
            )
        rows = [r for r in values.expressions if isinstance(r, exp.Tuple)]
        width = len(rows[0].expressions) if rows else 0
        alias = values.args.get("alias")
        if alias is None and isinstance(values.parent, exp.Subquery):
            alias = values.parent.args.get("alias")
            holder: exp.Expression = values.parent
        else:
            holder = values
        if alias is None:
            alias = exp.TableAlias(this=exp.to_identifier(f"values_{number}", quoted=True))
            holder.set("alias", alias)
        if not alias.args.get("columns"):
            alias.set(
                "columns",
                [exp.to_identifier(f"column{i}", quoted=True) for i in range(1, width + 1)],
            )
    return tree


def values_as_selects(tree: exp.Expression) -> exp.Expression:
    """SQLite names a VALUES list's columns `column1..N` but takes no column list in an alias:
    an aliased list becomes `(SELECT column1 AS a, ... FROM (VALUES ...)) AS t`."""
    for values in list(tree.find_all(exp.Values)):
        alias = values.args.get("alias")
        columns = alias.args.get("columns") if alias else None
        if alias is None or not columns:
            continue
        inner = values.copy()
        inner.set("alias", None)
        select = exp.select(
            *(
                exp.alias_(exp.column(f"column{i}", quoted=True), column.name, quoted=True)
                for i, column in enumerate(columns, 1)
            )
        ).from_(exp.Subquery(this=inner))
        values.replace(exp.Subquery(this=select, alias=exp.TableAlias(this=alias.this.copy())))
    return tree


_TEMPORAL = (exp.DataType.Type.DATE, exp.DataType.Type.TIMESTAMP)
_COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)


def _coerced(literal: exp.Expression, kind: exp.DataType) -> exp.Expression:
    if not (isinstance(literal, exp.Literal) and literal.is_string):
        return literal
    cast = exp.Cast(this=literal.copy(), to=kind.copy())
    cast.type = kind.copy()
    return cast


def _promoted(node: exp.Expression, others: list[exp.Expression]) -> exp.Expression:
    """A DATE operand compared with a TIMESTAMP one is read as the timestamp of its midnight,
    as both sources promote it (SQLite would compare the two texts)."""
    if _kind(node) != exp.DataType.Type.DATE:
        return node
    if not any(_kind(o) == exp.DataType.Type.TIMESTAMP for o in others):
        return node
    stamp = exp.DataType.build("TIMESTAMP")
    cast = exp.Cast(this=node.copy(), to=stamp)
    cast.type = stamp.copy()
    return cast


def _kind(node: Any) -> Any:
    return node.type.this if isinstance(node, exp.Expression) and node.type else None


def coerce_temporal_literals(tree: exp.Expression) -> exp.Expression:
    """A text literal compared with a DATE or TIMESTAMP is read as that type, as both sources
    do (`d >= '2024-03-17 00:00:00'` is `d >= DATE '2024-03-17'`), never compared as text; a
    DATE compared with a TIMESTAMP is read as a TIMESTAMP."""
    for node in list(tree.find_all(*_COMPARISONS, exp.Between, exp.In)):
        if isinstance(node, exp.In):
            target = node.this
            kind = target.type if isinstance(target, exp.Expression) else None
            if kind is not None and kind.this in _TEMPORAL:
                node.set("expressions", [_coerced(e, kind) for e in node.expressions])
            if node.expressions:
                node.set("this", _promoted(node.this, node.expressions))
                node.set("expressions", [_promoted(e, [node.this]) for e in node.expressions])
            continue
        if isinstance(node, exp.Between):
            target = node.this
            kind = target.type if isinstance(target, exp.Expression) else None
            if kind is not None and kind.this in _TEMPORAL:
                for key in ("low", "high"):
                    node.set(key, _coerced(node.args[key], kind))
            bounds = [node.args["low"], node.args["high"]]
            node.set("this", _promoted(node.this, bounds))
            for key in ("low", "high"):
                node.set(key, _promoted(node.args[key], [node.this]))
            continue
        left, right = node.this, node.expression
        for side, other, key in ((left, right, "expression"), (right, left, "this")):
            kind = side.type if isinstance(side, exp.Expression) else None
            if kind is not None and kind.this in _TEMPORAL:
                node.set(key, _coerced(other, kind))
        left, right = node.this, node.expression
        node.set("this", _promoted(left, [right]))
        node.set("expression", _promoted(right, [left]))
    return tree


def set_operands_as_selects(tree: exp.Expression) -> exp.Expression:
    """SQLite cannot parse a parenthesised operand of UNION / EXCEPT / INTERSECT (and the
    emulator fails on one): `(A EXCEPT B) UNION C` becomes `SELECT * FROM (A EXCEPT B) UNION C`,
    which keeps the grouping the parentheses gave."""
    for number, operation in enumerate(list(tree.find_all(exp.SetOperation)), 1):
        for key in ("this", "expression"):
            operand = operation.args.get(key)
            if isinstance(operand, exp.Subquery) and not operand.args.get("alias"):
                alias = exp.TableAlias(this=exp.to_identifier(f"set_{number}_{key}", quoted=True))
                operand.set("alias", alias)
                operation.set(key, exp.select("*").from_(operand))
    return tree
