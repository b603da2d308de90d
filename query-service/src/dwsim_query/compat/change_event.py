"""Snowflake's CONDITIONAL_CHANGE_EVENT(x) OVER (PARTITION BY p ORDER BY o): the number of rows
so far (in the window's order) on which x differs from the row before
(https://docs.snowflake.com/en/sql-reference/functions/conditional_change_event: it is
CONDITIONAL_TRUE_EVENT(x != LAG(x) OVER w) OVER w; a NULL on either side is no change).

No engine nests a window function in another one, so the query's one source becomes a derived
table (under the source's own name) that also holds x and LAG(x) OVER w; the outer query counts
the changes with a running SUM. Only a query of one source, without GROUP BY, HAVING, plain
aggregates or a `*`, is written so; any other is refused by name.
"""

from __future__ import annotations

from sqlglot import exp

from dwsim_query.compat.nodes import Refusal, cast
from dwsim_query.compat.registry import ColumnTypes, parsed_rewrite, rewrite

NAME = "CONDITIONAL_CHANGE_EVENT"
WHY = "dwsim_change_event"


def _is_change_event(node: exp.Expression) -> bool:
    return (
        isinstance(node, exp.Window)
        and isinstance(node.this, exp.Anonymous)
        and node.this.name.upper() == NAME
    )


def _why_not(select: exp.Select, events: list[exp.Window]) -> str | None:
    """Why the select cannot be written with a derived table (None: it can)."""
    for event in events:
        if len(event.this.expressions) != 1 or not event.args.get("order"):
            return f"{NAME} without one argument and an ORDER BY"
        if event.args.get("spec") is not None:
            return f"{NAME} with a window frame"
    source = select.args.get("from_")
    if source is None or select.args.get("joins") or select.args.get("laterals"):
        return f"{NAME} in a query that does not read one table"
    if select.args.get("group") or select.args.get("having"):
        return f"{NAME} in a query with GROUP BY or HAVING"
    if any(isinstance(e, exp.Star) or (isinstance(e, exp.Column) and e.is_star)
           for e in select.expressions):  # fmt: skip
        return f"{NAME} in a query that selects *"
    for aggregate in select.find_all(exp.AggFunc):
        if aggregate.parent_select is select and aggregate.find_ancestor(exp.Window) is None:
            return f"{NAME} in a query with an aggregate"
    if (
        not isinstance(source.this, exp.Table | exp.Subquery | exp.Values)
        or not source.this.alias_or_name
    ):
        return f"{NAME} over a source without a name"
    return None


@parsed_rewrite("windows", dialects=["snowflake"])
def change_events(tree: exp.Expression, _schema: ColumnTypes) -> exp.Expression:
    for select in list(tree.find_all(exp.Select)):
        events = [w for w in select.find_all(exp.Window)
                  if _is_change_event(w) and w.parent_select is select]  # fmt: skip
        if not events:
            continue
        why = _why_not(select, events)
        if why is not None:
            for event in events:
                event.meta[WHY] = why
            continue
        source = select.args["from_"].this
        name = source.alias_or_name
        inner = exp.select(exp.Star()).from_(source.copy())
        where = select.args.get("where")
        if where is not None:
            inner.set("where", where.copy())
            select.set("where", None)
        for k, event in enumerate(events):
            value = event.this.expressions[0]
            before = event.copy()
            before.set("this", exp.Lag(this=value.copy()))
            inner.select(
                exp.alias_(value.copy(), f"dwsim_now_{k}", quoted=True),
                exp.alias_(before, f"dwsim_before_{k}", quoted=True),
                copy=False,
            )
            changed = exp.NEQ(this=exp.column(f"dwsim_now_{k}", table=name, quoted=True),
                              expression=exp.column(f"dwsim_before_{k}", table=name, quoted=True))  # fmt: skip
            counted = exp.Case(ifs=[exp.If(this=changed, true=exp.Literal.number(1))],
                               default=exp.Literal.number(0))  # fmt: skip
            running = event.copy()
            running.set("this", exp.Sum(this=counted))
            running.set("spec", exp.WindowSpec(kind="ROWS", start="UNBOUNDED",
                                               start_side="PRECEDING", end="CURRENT ROW"))  # fmt: skip
            event.replace(cast(running, "BIGINT"))
        derived = exp.Subquery(
            this=inner, alias=exp.TableAlias(this=exp.to_identifier(name, quoted=True))
        )
        select.set("from_", exp.From(this=derived))
    return tree


@rewrite("windows", sources=["snowflake"])
def change_event_refused(node: exp.Expression) -> exp.Expression:
    """A CONDITIONAL_CHANGE_EVENT the parsed stage could not write is refused by name."""
    if _is_change_event(node):
        raise Refusal(node.meta.get(WHY) or NAME, node)
    return node
