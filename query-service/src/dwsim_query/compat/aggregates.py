"""Aggregates and ordered-set aggregates: LISTAGG / ARRAY_AGG ... WITHIN GROUP, MEDIAN,
PERCENTILE_CONT / PERCENTILE_DISC, approximate distinct counts, COUNT_IF."""

from __future__ import annotations

from sqlglot import exp

from dwsim_query.compat.nodes import Refusal, call, cast, text, type_of
from dwsim_query.compat.registry import rewrite


def _ordered_list(
    node: exp.Expression,
) -> tuple[exp.Expression, exp.Expression, list[exp.Ordered]] | None:
    """(value, separator, order) of a LISTAGG in either source's shape, else None.

    Redshift: WITHIN GROUP wraps the aggregate; Snowflake: the aggregate holds the ORDER BY.
    """
    order: list[exp.Ordered] = []
    agg = node
    if isinstance(node, exp.WithinGroup) and isinstance(node.this, exp.GroupConcat):
        agg, order = node.this, list(node.expression.expressions)
    elif isinstance(node, exp.ArrayToString) and isinstance(node.this, exp.WithinGroup):
        inner = node.this
        if not isinstance(inner.this, exp.ArrayAgg):
            return None
        return inner.this.this, node.expression, list(inner.expression.expressions)
    elif not isinstance(node, exp.GroupConcat) or isinstance(node.parent, exp.WithinGroup):
        return None
    value = agg.this
    if isinstance(value, exp.Order):
        order, value = list(value.expressions), value.this
    separator = agg.args.get("separator")
    if isinstance(value, exp.Distinct) and len(value.expressions) == 2 and separator is None:
        # LISTAGG(DISTINCT x, ',') parses with the separator inside the DISTINCT
        value, separator = exp.Distinct(expressions=[value.expressions[0]]), value.expressions[1]
    return value, separator or text(""), order


def _distinct(value: exp.Expression) -> tuple[exp.Expression, bool]:
    if isinstance(value, exp.Distinct):
        if len(value.expressions) != 1:
            raise Refusal("LISTAGG(DISTINCT ...) of several values", value)
        return value.expressions[0], True
    return value, False


@rewrite("aggregates", engines=["sqlite"])
def listagg_sqlite(node: exp.Expression) -> exp.Expression:
    found = _ordered_list(node)
    if found is None:
        return node
    value, separator, order = found
    value, distinct = _distinct(value)
    keys: list[exp.Expression] = []
    for item in order:
        keys += [item.this, exp.Literal.number(1 if item.args.get("desc") else 0)]
    return call("dwsim_listagg", value, separator, exp.Literal.number(int(distinct)), *keys)


@rewrite("aggregates", engines=["postgres"])
def listagg_postgres(node: exp.Expression) -> exp.Expression:
    found = _ordered_list(node)
    if found is None:
        return node
    value, separator, order = found
    value, distinct = _distinct(value)
    argument: exp.Expression = cast(value, "TEXT")
    if distinct:
        if any(item.this != value for item in order):
            raise Refusal("LISTAGG(DISTINCT ...) ordered by another column", node)
        order = [exp.Ordered(this=argument.copy(), desc=item.args.get("desc")) for item in order]
        argument = exp.Distinct(expressions=[argument])
    agg = call("STRING_AGG", argument, separator)
    if order:
        # STRING_AGG(x, sep ORDER BY ...): the ORDER BY sits inside the call's last argument.
        agg.set("expressions", [argument, exp.Order(this=separator, expressions=order)])
    return agg


@rewrite("aggregates", engines=["snowflake"])
def listagg_emulator(node: exp.Expression) -> exp.Expression:
    """ARRAY_TO_STRING(ARRAY_AGG(x) WITHIN GROUP (...), sep) is LISTAGG; fakesnow fails on it."""
    if isinstance(node, exp.ArrayToString) and isinstance(node.this, exp.WithinGroup):
        found = _ordered_list(node)
        if found is None:
            return node
        value, separator, order = found
        return exp.WithinGroup(
            this=exp.GroupConcat(this=value, separator=separator),
            expression=exp.Order(expressions=order),
        )
    if isinstance(node, exp.GroupConcat) and node.args.get("separator") is None:
        node.set("separator", text(""))  # both sources' default; the emulator's is a comma
    return node


@rewrite("aggregates")
def approximate_percentile(node: exp.Expression) -> exp.Expression:
    """APPROXIMATE PERCENTILE_DISC as the exact one: within any approximation's bound."""
    if isinstance(node, exp.ApproxQuantile) and node.args.get("quantile") is not None:
        return exp.WithinGroup(
            this=exp.PercentileDisc(this=node.args["quantile"]),
            expression=exp.Order(expressions=[exp.Ordered(this=node.this)]),
        )
    return node


def _percentile(node: exp.Expression) -> tuple[str, exp.Expression, exp.Expression, bool] | None:
    if not isinstance(node, exp.WithinGroup) or not isinstance(
        node.this, exp.PercentileCont | exp.PercentileDisc
    ):
        return None
    order = node.expression.expressions
    if len(order) != 1:
        raise Refusal("PERCENTILE ... WITHIN GROUP over several columns", node)
    kind = "cont" if isinstance(node.this, exp.PercentileCont) else "disc"
    return kind, node.this.this, order[0].this, bool(order[0].args.get("desc"))


@rewrite("aggregates", engines=["sqlite"])
def percentiles_sqlite(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Median):
        return call("dwsim_median", node.this)
    found = _percentile(node)
    if found is None:
        return node
    kind, fraction, value, desc = found
    return call(f"dwsim_percentile_{kind}", fraction, value, exp.Literal.number(int(desc)))


@rewrite("aggregates")
def approximate_distinct(node: exp.Expression) -> exp.Expression:
    """An exact distinct count is within any approximation's error bound, and the same on
    every engine (DuckDB's HyperLogLog differs from Redshift's and Snowflake's)."""
    if isinstance(node, exp.ApproxDistinct):
        return exp.Count(this=exp.Distinct(expressions=[node.this]))
    return node


@rewrite("aggregates")
def count_if(node: exp.Expression) -> exp.Expression:
    """COUNT_IF counts rows, so no rows give 0, not NULL (fakesnow answers NULL)."""
    if isinstance(node, exp.CountIf):
        return exp.Count(this=exp.Case(ifs=[exp.If(this=node.this, true=exp.Literal.number(1))]))
    return node


@rewrite("aggregates", sources=["snowflake"])
def boolean_aggregates_of_numbers(node: exp.Expression) -> exp.Expression:
    """BOOLAND_AGG / BOOLOR_AGG read a number as TRUE when it is not zero (SQLite's MIN / MAX
    of -1 and 0 would not, and PostgreSQL's BOOL_AND takes no numbers)."""
    numbers = exp.DataType.NUMERIC_TYPES
    if isinstance(node, exp.LogicalAnd | exp.LogicalOr) and type_of(node.this) in numbers:
        node.set("this", exp.NEQ(this=node.this, expression=exp.Literal.number(0)))
    return node


@rewrite("aggregates", sources=["snowflake"], engines=["sqlite"])
def mode_sqlite(node: exp.Expression) -> exp.Expression:
    """MODE: the pack's aggregate (a window function as well)."""
    return call("dwsim_mode", node.this) if isinstance(node, exp.Mode) else node


@rewrite("aggregates", sources=["snowflake"], engines=["postgres"])
def mode_and_any_value_postgres(node: exp.Expression) -> exp.Expression:
    """MODE is PostgreSQL's ordered-set aggregate (never a window function there); ANY_VALUE
    is any of the group's values (MIN will do; PostgreSQL 15 has no ANY_VALUE)."""
    if isinstance(node, exp.Mode):
        if isinstance(node.parent, exp.Window):
            raise Refusal(
                "MODE as a window function", node, "PostgreSQL's MODE is an ordered-set aggregate"
            )
        order = exp.Order(expressions=[exp.Ordered(this=node.this)])
        return exp.WithinGroup(this=call("MODE"), expression=order)
    if isinstance(node, exp.AnyValue):
        if type_of(node.this) == exp.DataType.Type.BOOLEAN:
            return exp.LogicalOr(this=node.this)
        return exp.Min(this=node.this)
    return node
