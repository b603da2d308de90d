"""The last check before SQL reaches a Snowflake engine that has no read-only session to fall
back on (the emulator): one read, of the experiment's own schema, with no engine functions that
read files or the server. On a real account the query role (DWSIM_SNOWFLAKE_QUERY_ROLE) is the
boundary; this check runs there too."""

from __future__ import annotations

import re

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from dwsim_shared.emulator_guard import ONLY_READS, confinement_error
from dwsim_shared.errors import BadRequest

__all__ = ["ONLY_READS", "check_engine_sql", "limited_read"]

# SQL texts that passed the check, per (schema, hidden, also): a query is checked before it is
# bounded and again as it is sent; parsing it each time cost more than the emulator's answer
# to a short query. The check depends on nothing else, so a pass stays a pass.
_PASSED: dict[tuple[str, str, frozenset[str], str | None], None] = {}
_PASSED_MAX = 1024
_TRAILING = re.compile(r"[\s;]+$")


def _passed(key: tuple[str, str, frozenset[str], str | None]) -> None:
    if len(_PASSED) >= _PASSED_MAX:
        _PASSED.clear()
    _PASSED[key] = None


def check_engine_sql(
    sql: str, schema: str, hidden: frozenset[str] = frozenset(), also: str | None = None
) -> None:
    """`BadRequest` unless `sql` is one read of tables in `schema` but `hidden`, in `also` (the
    experiment's workspace) or of CTEs in scope. The emulator runs the same check on every
    statement of a reader's session."""
    key = (sql, schema, hidden, also)
    if key in _PASSED:
        return
    if (why := confinement_error(sql, schema, hidden, also=also)) is not None:
        raise BadRequest(f"snowflake: {why}", engine_sql=sql)
    _passed(key)


def limited_read(
    sql: str, limit: int, schema: str, hidden: frozenset[str] = frozenset(), also: str | None = None
) -> str:
    """`sql`, checked as `check_engine_sql` does, with `LIMIT limit` on its outermost query when
    it has no LIMIT, OFFSET or FETCH of its own, so the engine stops at the row cap instead of
    building the whole result (the emulator materialises every result before sending it). The
    rows are the same first ones. One parse serves the check and the limit; the limit is
    appended to the text (a top-level query without one ends where LIMIT goes), not generated
    again from the tree."""
    try:
        statements = [s for s in sqlglot.parse(sql, read="snowflake") if s is not None]
    except ParseError as error:
        raise BadRequest(f"snowflake: {error}", engine_sql=sql) from None
    why = confinement_error(sql, schema, hidden, also=also, statements=statements)
    if why is not None:
        raise BadRequest(f"snowflake: {why}", engine_sql=sql)
    tree = statements[0]
    bounded = sql
    if isinstance(tree, exp.Select | exp.SetOperation) and not any(
        tree.args.get(key) is not None for key in ("limit", "offset", "fetch")
    ):
        bounded = f"{_TRAILING.sub('', sql)}\nLIMIT {limit}"
    _passed((bounded, schema, hidden, also))
    return bounded
