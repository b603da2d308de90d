"""Conditionals and NULL handling. IFF, NVL, NVL2, DECODE (NULL matches NULL), ZEROIFNULL,
NULLIFZERO and DIV0 are written as CASE by sqlglot's generators; what they miss is here."""

from __future__ import annotations

from sqlglot import exp

from dwsim_query.compat.registry import rewrite


@rewrite("conditionals", engines=["sqlite"])
def not_in_subquery(node: exp.Expression) -> exp.Expression:
    """Snowflake reads `x NOT IN (SELECT ...)` as `x <> ALL (SELECT ...)`, which SQLite lacks;
    the two mean the same, NULLs included."""
    if isinstance(node, exp.NEQ) and isinstance(node.expression, exp.All):
        query = node.expression.this
        return exp.Not(this=exp.In(this=node.this, query=exp.Subquery(this=query)))
    return node


def _nonzero(value: exp.Expression) -> exp.Expression:
    # The boolean functions round their inputs first: 0.3 is zero, 0.5 is not.
    return exp.Paren(this=exp.GTE(this=exp.Abs(this=value), expression=exp.Literal.number(0.5)))


@rewrite("conditionals", sources=["snowflake"])
def boolean_functions(node: exp.Expression) -> exp.Expression:
    """BOOLAND / BOOLOR / BOOLXOR / BOOLNOT of numbers, with SQL's three-valued logic (which is
    how Snowflake documents their NULLs)."""
    if isinstance(node, exp.Booland):
        return exp.Paren(
            this=exp.And(this=_nonzero(node.this), expression=_nonzero(node.expression))
        )
    if isinstance(node, exp.Boolor):
        return exp.Paren(
            this=exp.Or(this=_nonzero(node.this), expression=_nonzero(node.expression))
        )
    if isinstance(node, exp.Xor) and node.args.get("round_input"):
        return exp.Paren(
            this=exp.NEQ(this=_nonzero(node.this), expression=_nonzero(node.expression))
        )
    if isinstance(node, exp.Boolnot):
        return exp.Paren(this=exp.Not(this=_nonzero(node.this)))
    return node


@rewrite("conditionals", sources=["snowflake"], engines=["postgres"])
def greatest_of_a_null_is_null(node: exp.Expression) -> exp.Expression:
    """Snowflake's GREATEST and LEAST answer NULL when any argument is NULL; PostgreSQL's
    skip NULLs."""
    if not isinstance(node, exp.Greatest | exp.Least):
        return node
    values = [node.this, *node.expressions]
    nulls = [exp.Is(this=v.copy(), expression=exp.Null()) for v in values]
    any_null: exp.Expression = nulls[0]
    for test in nulls[1:]:
        any_null = exp.Or(this=any_null, expression=test)
    return exp.Case(ifs=[exp.If(this=any_null, true=exp.Null())], default=node)


@rewrite("conditionals", sources=["snowflake"])
def listagg_empty(node: exp.Expression) -> exp.Expression:
    """Snowflake's LISTAGG: no delimiter joins with '' (the emulator's default is ','), and a
    group of only NULLs (or no rows) answers '' (the engines answer NULL)."""
    concat = node.this if isinstance(node, exp.Window) else node
    if not isinstance(concat, exp.GroupConcat):
        return node
    if concat.args.get("separator") is None:
        concat.set("separator", exp.Literal.string(""))
    if isinstance(node, exp.GroupConcat) and isinstance(node.parent, exp.Window):
        return node  # the window around it is wrapped instead
    return exp.Coalesce(this=node, expressions=[exp.Literal.string("")])
