"""The last check before SQL reaches a Snowflake engine that has no read-only session to fall
back on (the emulator): one read, of the experiment's own schema, with no engine functions that
read files or the server. On a real account the query role (DWSIM_SNOWFLAKE_QUERY_ROLE) is the
boundary; this check runs there too."""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from dwsim_shared.errors import BadRequest

READ_ROOTS = (exp.Select, exp.SetOperation, exp.Subquery)
# DuckDB (under the emulator) functions that read files, settings or the catalog.
DENIED_FUNCTION_PREFIXES = (
    "read_", "glob", "getenv", "current_setting", "duckdb_", "pragma_", "sniff_", "parquet_",
    "iceberg_", "delta_", "http", "load", "install", "query", "sql_", "which_secret", "system",
)  # fmt: skip
ONLY_READS = "snowflake: only one read-only statement may run here"


def _cte_in_scope(table: exp.Table) -> bool:
    name = table.name.lower()
    node = table.parent
    while node is not None:
        # sqlglot 30 names the argument `with_` (older releases: `with`).
        args = node.args if isinstance(node, exp.Query) else {}
        with_ = args.get("with_") or args.get("with")
        if with_ is not None and any(c.alias_or_name.lower() == name for c in with_.expressions):
            return True
        node = node.parent
    return False


def check_engine_sql(sql: str, schema: str, hidden: frozenset[str] = frozenset()) -> None:
    """`BadRequest` unless `sql` is one read of tables in `schema` but `hidden` (or of CTEs in
    scope)."""
    try:
        statements = [s for s in sqlglot.parse(sql, read="snowflake") if s is not None]
    except ParseError as error:
        raise BadRequest(f"snowflake: {error}", engine_sql=sql) from error
    if len(statements) != 1 or not isinstance(statements[0], READ_ROOTS):
        raise BadRequest(ONLY_READS, engine_sql=sql)
    for node in statements[0].walk():
        if isinstance(node, exp.DML | exp.DDL | exp.Into | exp.Command):
            raise BadRequest(ONLY_READS, engine_sql=sql)
        if isinstance(node, exp.Table):
            _check_table(node, schema, sql)
            if node.name.lower() in hidden:
                raise BadRequest(f"snowflake: table {node.name} is not readable", engine_sql=sql)
        elif isinstance(node, exp.Func):
            name = (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).lower()
            if name.startswith(DENIED_FUNCTION_PREFIXES):
                raise BadRequest(f"snowflake: function {name}() is not allowed", engine_sql=sql)


def _check_table(table: exp.Table, schema: str, sql: str) -> None:
    if not isinstance(table.this, exp.Identifier):
        raise BadRequest("snowflake: table functions are not allowed here", engine_sql=sql)
    if table.args.get("catalog") is not None:
        raise BadRequest(
            f"snowflake: table {table.sql()} is outside the experiment", engine_sql=sql
        )
    if table.args.get("db") is not None:
        if table.db.lower() != schema.lower():
            raise BadRequest(
                f"snowflake: table {table.sql()} is outside the experiment", engine_sql=sql
            )
        return
    if not _cte_in_scope(table):
        raise BadRequest(
            f"snowflake: table {table.sql()} is outside the experiment", engine_sql=sql
        )


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
