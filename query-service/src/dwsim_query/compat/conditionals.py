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
