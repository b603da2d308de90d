"""Fixes for where the Snowflake emulator (fakesnow) answers wrong for the whole query."""

from __future__ import annotations

from sqlglot import exp

from dwsim_query.compat.nodes import call, is_timestamp, text
from dwsim_query.compat.registry import rewrite

TIMESTAMP_NODES = (exp.ConvertTimezone, exp.CurrentTimestamp, exp.StrToTime)


def _outermost(node: exp.Expression) -> bool:
    parent = node.parent
    while isinstance(parent, exp.SetOperation):
        node, parent = parent, parent.parent
    return parent is None


def _as_text(value: exp.Expression) -> exp.Expression:
    """ISO text, with microseconds only when there are some (as the other engines print)."""
    whole = call("STRFTIME", value.copy(), text("%Y-%m-%d %H:%M:%S"))
    fraction = call("STRFTIME", value.copy(), text("%Y-%m-%d %H:%M:%S.%f"))
    has_fraction = exp.NEQ(
        this=call("STRFTIME", value.copy(), text("%f")), expression=text("000000")
    )
    return exp.Case(ifs=[exp.If(this=has_fraction, true=fraction)], default=whole)


@rewrite("emulator", engines=["snowflake"])
def null_timestamps(node: exp.Expression) -> exp.Expression:
    """fakesnow's server answers a NULL timestamp as 1970-01-01 00:00:00; timestamps in the
    final result are sent as ISO text instead, where a NULL stays NULL."""
    if not isinstance(node, exp.Select) or not _outermost(node):
        return node
    for index, projection in enumerate(node.expressions):
        value = projection.this if isinstance(projection, exp.Alias) else projection
        if not (is_timestamp(value) or isinstance(value, TIMESTAMP_NODES)):
            continue
        name = projection.alias_or_name
        node.expressions[index] = exp.alias_(_as_text(value), name or f"_col_{index}", quoted=True)
        node.expressions[index].parent = node
    return node


@rewrite("emulator", engines=["snowflake"])
def arrays_as_variants(node: exp.Expression) -> exp.Expression:
    """fakesnow's server fails to send an ARRAY in the final result (HTTP 500); as a VARIANT it
    is sent as its JSON text."""
    if not isinstance(node, exp.Select) or not _outermost(node):
        return node
    for index, projection in enumerate(node.expressions):
        value = projection.this if isinstance(projection, exp.Alias) else projection
        if not isinstance(value, exp.Array):
            continue
        name = projection.alias_or_name
        variant = exp.cast(value.copy(), exp.DataType.build("VARIANT", dialect="snowflake"))
        node.expressions[index] = exp.alias_(variant, name or f"_col_{index}", quoted=True)
        node.expressions[index].parent = node
    return node
