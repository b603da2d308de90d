"""Window functions and QUALIFY (sqlglot writes QUALIFY as a subquery for engines without it)."""

from __future__ import annotations

from sqlglot import exp

from dwsim_query.compat.nodes import cast
from dwsim_query.compat.registry import rewrite


@rewrite("windows")
def ratio_to_report(node: exp.Expression) -> exp.Expression:
    """RATIO_TO_REPORT(x) OVER (PARTITION BY p) = x / SUM(x) OVER (PARTITION BY p)."""
    if not (
        isinstance(node, exp.Window)
        and isinstance(node.this, exp.Anonymous)
        and node.this.name.upper() == "RATIO_TO_REPORT"
    ):
        return node
    value = node.this.expressions[0]
    total = node.copy()
    total.set("this", exp.Sum(this=value.copy()))
    total.set("order", None)
    denominator = exp.Nullif(this=total, expression=exp.Literal.number(0))
    return exp.Paren(this=exp.Div(this=cast(value, "DOUBLE"), expression=denominator))
