"""Who may use the Snowflake emulator, and what a confined session may run there.

This module needs only the standard library and sqlglot, so the emulator's image (which has
fakesnow and nothing of the project) carries it beside `emulator_server.py`.

Two kinds of login are accepted (docs/decisions.md, "The emulator is a guarded service"):

- the project's own credentials (`DWSIM_SNOWFLAKE_USER` / `_PASSWORD`): the loader, the
  gateway's checks, publish and drop. They manage every experiment's schema;
- a reader of one experiment's schema: login name `reader:<schema>`, password an HMAC of
  that name under the project's password (`reader_password`). Whoever holds the project's
  password can derive it (the query service); whoever holds only a reader's credentials can
  neither derive another's nor do anything but read their own schema.
"""

from __future__ import annotations

import hashlib
import hmac

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

READER_PREFIX = "reader:"
READ_ROOTS = (exp.Select, exp.SetOperation, exp.Subquery)
# DuckDB (under the emulator) functions that read files, settings or the catalog.
DENIED_FUNCTION_PREFIXES = (
    "read_", "glob", "getenv", "current_setting", "duckdb_", "pragma_", "sniff_", "parquet_",
    "iceberg_", "delta_", "http", "load", "install", "query", "sql_", "which_secret", "system",
)  # fmt: skip
ONLY_READS = "only one read-only statement may run here"


def reader_login(schema: str) -> str:
    """The login name of the reader of `schema`."""
    return f"{READER_PREFIX}{schema}"


def reader_password(secret: str, schema: str) -> str:
    """The password of the reader of `schema`, derived from the project's password."""
    digest = hmac.new(secret.encode(), reader_login(schema).encode(), hashlib.sha256)
    return digest.hexdigest()


def reader_schema(login: str, password: str, secret: str) -> str | None:
    """The schema a reader's credentials open, or None when they are not a reader's."""
    if not login.lower().startswith(READER_PREFIX):
        return None
    schema = login[len(READER_PREFIX) :]
    if not schema or not hmac.compare_digest(
        password.encode(), reader_password(secret, schema).encode()
    ):
        return None
    return schema


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


def confinement_error(
    sql: str, schema: str, hidden: frozenset[str] = frozenset(), database: str | None = None
) -> str | None:
    """Why `sql` is not one read of tables in `schema` (but `hidden`) or of CTEs in scope;
    None when it is. `database`: the one catalog a table may name besides none."""
    try:
        statements = [s for s in sqlglot.parse(sql, read="snowflake") if s is not None]
    except ParseError as error:
        return str(error)
    if len(statements) != 1 or not isinstance(statements[0], READ_ROOTS):
        return ONLY_READS
    for node in statements[0].walk():
        if isinstance(node, exp.DML | exp.DDL | exp.Into | exp.Command):
            return ONLY_READS
        if isinstance(node, exp.Table):
            if (why := _table_error(node, schema, database)) is not None:
                return why
            if node.name.lower() in hidden:
                return f"table {node.name} is not readable"
        elif isinstance(node, exp.Func):
            name = (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).lower()
            if name.startswith(DENIED_FUNCTION_PREFIXES):
                return f"function {name}() is not allowed"
    return None


def _table_error(table: exp.Table, schema: str, database: str | None) -> str | None:
    if not isinstance(table.this, exp.Identifier):
        return "table functions are not allowed here"
    outside = f"table {table.sql()} is outside the experiment"
    catalog = table.args.get("catalog")
    if catalog is not None and (database is None or table.catalog.lower() != database.lower()):
        return outside
    if table.args.get("db") is not None:
        return None if table.db.lower() == schema.lower() else outside
    return None if _cte_in_scope(table) else outside
