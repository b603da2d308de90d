"""Exact DECIMAL aggregates: SUM and AVG of a DECIMAL column answer exactly on every engine.

SQLite stores DECIMAL values as REALs: its SUM/AVG become the pack's decimal aggregates (window
functions too, so `SUM(n) OVER (...)` is exact as well). The
emulator (fakesnow) casts a SUM/AVG argument to DOUBLE unless it is already a cast: the
argument is cast to its own DECIMAL type, so DuckDB sums decimals. AVG's scale follows the
source (Redshift: the argument's; Snowflake: max(s, min(s + 6, 12))), see results.py.
"""

from __future__ import annotations

from sqlglot import exp

from dwsim_query.compat.nodes import call
from dwsim_query.compat.registry import rewrite
from dwsim_query.results import decimal_scale


def _decimal_argument(node: exp.Expression) -> tuple[exp.Expression, int] | None:
    if not isinstance(node, exp.Sum | exp.Avg):
        return None
    argument = node.this
    if not isinstance(argument, exp.Expression) or isinstance(argument, exp.Distinct):
        return None
    scale = decimal_scale(argument.type)
    return None if scale is None else (argument, scale)


def _sqlite(node: exp.Expression, avg_scale: int) -> exp.Expression:
    found = _decimal_argument(node)
    if found is None:
        return node
    argument, scale = found
    if isinstance(node, exp.Avg):
        return call("dwsim_decimal_avg", argument, exp.Literal.number(avg_scale))
    return call("dwsim_decimal_sum", argument, exp.Literal.number(scale))


def _avg_scale(node: exp.Expression, source: str) -> int:
    found = _decimal_argument(node)
    scale = found[1] if found else 0
    return max(scale, min(scale + 6, 12)) if source == "snowflake" else scale


@rewrite("aggregates", sources=["redshift"], engines=["sqlite"])
def exact_decimal_aggregates_redshift(node: exp.Expression) -> exp.Expression:
    return _sqlite(node, _avg_scale(node, "redshift"))


@rewrite("aggregates", sources=["snowflake"], engines=["sqlite"])
def exact_decimal_aggregates_snowflake(node: exp.Expression) -> exp.Expression:
    return _sqlite(node, _avg_scale(node, "snowflake"))


@rewrite("aggregates", engines=["snowflake"])
def decimal_aggregates_stay_decimal(node: exp.Expression) -> exp.Expression:
    found = _decimal_argument(node)
    if found is None or isinstance(found[0], exp.Cast | exp.TryCast):
        return node
    argument, _ = found
    assert argument.type is not None
    node.set("this", exp.Cast(this=argument.copy(), to=argument.type.copy()))
    return node
