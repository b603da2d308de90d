"""Window functions and QUALIFY (sqlglot writes QUALIFY as a subquery for engines without it)."""

from __future__ import annotations

from sqlglot import exp

from dwsim_query.compat.nodes import Refusal, cast, type_of
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


@rewrite("windows", sources=["snowflake"])
def conditional_true_event(node: exp.Expression) -> exp.Expression:
    """CONDITIONAL_TRUE_EVENT(x) OVER (... ORDER BY o): the rows so far (this one included) on
    which x is true (a number: not 0; NULL is not true), one row at a time as ties come."""
    if not (
        isinstance(node, exp.Window)
        and isinstance(node.this, exp.Anonymous)
        and node.this.name.upper() == "CONDITIONAL_TRUE_EVENT"
    ):
        return node
    if len(node.this.expressions) != 1 or not node.args.get("order"):
        raise Refusal("CONDITIONAL_TRUE_EVENT without one argument and an ORDER BY", node)
    value = node.this.expressions[0]
    if type_of(value) in exp.DataType.TEXT_TYPES | exp.DataType.TEMPORAL_TYPES:
        raise Refusal("CONDITIONAL_TRUE_EVENT of a value that is not a BOOLEAN or a number", node)
    if type_of(value) in exp.DataType.NUMERIC_TYPES:
        value = exp.NEQ(this=value, expression=exp.Literal.number(0))
    counted = exp.Case(
        ifs=[exp.If(this=value, true=exp.Literal.number(1))], default=exp.Literal.number(0)
    )
    built = node.copy()
    built.set("this", exp.Sum(this=counted))
    built.set(
        "spec",
        exp.WindowSpec(kind="ROWS", start="UNBOUNDED", start_side="PRECEDING", end="CURRENT ROW"),
    )
    return cast(built, "BIGINT")
