"""Grouping: GROUP BY ALL (Snowflake) spelled out for engines that lack it."""

from __future__ import annotations

from sqlglot import exp

from dwsim_query.compat.registry import rewrite


def _aggregates(node: exp.Expression) -> bool:
    return any(
        isinstance(n, exp.AggFunc) and not isinstance(n.parent, exp.Window)
        for n in node.walk(prune=lambda n: isinstance(n, exp.Subquery | exp.Window))
    )


@rewrite("grouping", engines=["sqlite", "postgres"])
def group_by_all(node: exp.Expression) -> exp.Expression:
    group = node.args.get("group") if isinstance(node, exp.Select) else None
    if group is None or not group.args.get("all"):
        return node
    keys = [
        exp.Literal.number(i)
        for i, projection in enumerate(node.expressions, 1)
        if not _aggregates(projection)
    ]
    node.set("group", exp.Group(expressions=keys) if keys else None)
    return node


@rewrite("grouping", sources=["snowflake"])
def grouping_id(node: exp.Expression) -> exp.Expression:
    """GROUPING_ID(a, b) is GROUPING(a, b): the bits of the arguments not grouped, the first
    argument the highest bit (every engine's GROUPING of several arguments, and the SQLite
    grouping-sets expansion's)."""
    if isinstance(node, exp.GroupingId):
        return exp.Grouping(expressions=list(node.expressions))
    return node
