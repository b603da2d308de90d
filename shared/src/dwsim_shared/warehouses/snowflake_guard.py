"""The last check before SQL reaches a Snowflake engine that has no read-only session to fall
back on (the emulator): one read, of the experiment's own schema, with no engine functions that
read files or the server. On a real account the query role (DWSIM_SNOWFLAKE_QUERY_ROLE) is the
boundary; this check runs there too."""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from dwsim_shared.emulator_guard import ONLY_READS, confinement_error
from dwsim_shared.errors import BadRequest

__all__ = ["ONLY_READS", "check_engine_sql", "with_row_limit"]


def check_engine_sql(
    sql: str, schema: str, hidden: frozenset[str] = frozenset(), also: str | None = None
) -> None:
    """`BadRequest` unless `sql` is one read of tables in `schema` but `hidden`, in `also` (the
    experiment's workspace) or of CTEs in scope. The emulator runs the same check on every
    statement of a reader's session."""
    if (why := confinement_error(sql, schema, hidden, also=also)) is not None:
        raise BadRequest(f"snowflake: {why}", engine_sql=sql)


def with_row_limit(sql: str, limit: int) -> str:
    """`sql` with `LIMIT limit` on its outermost query when it has no LIMIT, OFFSET or FETCH of
    its own, so the engine stops at the row cap instead of building the whole result (the
    emulator materialises every result before sending it). The rows are the same first ones."""
    tree = sqlglot.parse_one(sql, read="snowflake")
    if not isinstance(tree, exp.Select | exp.SetOperation):
        return sql
    if any(tree.args.get(key) is not None for key in ("limit", "offset", "fetch")):
        return sql
    tree.set("limit", exp.Limit(expression=exp.Literal.number(limit)))
    return tree.sql(dialect="snowflake")
