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
    """The login name of the reader of `schema` (`live/workspace`: of both schemas)."""
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
    sql: str,
    schema: str,
    hidden: frozenset[str] = frozenset(),
    database: str | None = None,
    also: str | None = None,
    statements: list[exp.Expr] | None = None,
) -> str | None:
    """Why `sql` is not one read of tables in `schema` (but `hidden`), in `also` (the
    experiment's workspace) or of CTEs in scope; None when it is. `database`: the one catalog a
    table may name besides none. `statements`: `sql` already parsed (Snowflake dialect)."""
    if statements is None:
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
            if (why := _table_error(node, schema, database, also)) is not None:
                return why
            if node.name.lower() in hidden:
                return f"table {node.name} is not readable"
        elif isinstance(node, exp.Func) and (why := _function_error(node)) is not None:
            return why
    return None


def _function_error(node: exp.Func) -> str | None:
    """Why a call is refused to every session but the project's (file, network and server
    functions), or None."""
    name = (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).lower()
    if name.startswith(DENIED_FUNCTION_PREFIXES):
        return f"function {name}() is not allowed"
    return None


def _foreign_table_error(table: exp.Table, database: str | None) -> str | None:
    """Why a table reference is refused whatever the session's schemas: a table function, or a
    table of another database."""
    if not isinstance(table.this, exp.Identifier):
        return "table functions are not allowed here"
    catalog = table.args.get("catalog")
    if catalog is not None and (database is None or table.catalog.lower() != database.lower()):
        return f"table {table.sql()} is outside the experiment"
    return None


def _table_error(
    table: exp.Table, schema: str, database: str | None, also: str | None = None
) -> str | None:
    if (why := _foreign_table_error(table, database)) is not None:
        return why
    outside = f"table {table.sql()} is outside the experiment"
    if table.args.get("db") is not None:
        readable = (schema.lower(), (also or schema).lower())
        return None if table.db.lower() in readable else outside
    return None if _cte_in_scope(table) else outside


# A workspace writer (the Snowflake endpoint's sessions): login `writer:<live>/<workspace>`,
# password an HMAC of that name under the project's password. It reads both schemas and
# writes only the workspace (and its session's temporary tables, which are unqualified).
WRITER_PREFIX = "writer:"
WRITES = (
    exp.Insert, exp.Update, exp.Delete, exp.Merge, exp.TruncateTable, exp.Create, exp.Drop,
    exp.Alter,
)  # fmt: skip
SESSION_STATEMENTS = (exp.Transaction, exp.Commit, exp.Rollback)
WRITER_ONLY = "only reads of the experiment and writes of its workspace may run here"


def writer_login(live: str, workspace: str) -> str:
    """The login name of the writer of `workspace` that also reads `live`."""
    return f"{WRITER_PREFIX}{live}/{workspace}"


def writer_password(secret: str, live: str, workspace: str) -> str:
    digest = hmac.new(secret.encode(), writer_login(live, workspace).encode(), hashlib.sha256)
    return digest.hexdigest()


def writer_schemas(login: str, password: str, secret: str) -> tuple[str, str] | None:
    """(live, workspace) for a writer's credentials, or None when they are not a writer's."""
    if not login.lower().startswith(WRITER_PREFIX):
        return None
    live, _, workspace = login[len(WRITER_PREFIX) :].partition("/")
    if not live or not workspace or "/" in workspace:
        return None
    if not hmac.compare_digest(
        password.encode(), writer_password(secret, live, workspace).encode()
    ):
        return None
    return live, workspace


def _writer_targets(tree: exp.Expr) -> list[exp.Table]:
    if isinstance(tree, exp.Create | exp.Insert):
        target = tree.this
        target = target.this if isinstance(target, exp.Schema) else target
        return [target] if isinstance(target, exp.Table) else []
    if isinstance(tree, exp.Drop):
        found = tree.args.get("tables") or ([tree.this] if tree.this else [])
        return [t for t in found if isinstance(t, exp.Table)]
    if isinstance(tree, exp.Alter):  # a rename's new name is a target too
        return list(tree.find_all(exp.Table))
    if isinstance(tree, exp.Update | exp.Delete | exp.Merge):
        return [tree.this] if isinstance(tree.this, exp.Table) else []
    if isinstance(tree, exp.TruncateTable):
        return [t for t in tree.expressions if isinstance(t, exp.Table)]
    return []


def writer_error(
    sql: str,
    live: str,
    workspace: str,
    hidden: frozenset[str] = frozenset(),
    database: str | None = None,
    statements: list[exp.Expr] | None = None,
) -> str | None:
    """Why `sql` is not one statement a workspace writer may run; None when it is: a read of
    `live` and `workspace` (but `hidden`), transaction control, DESCRIBE of a table there,
    CREATE SCHEMA IF NOT EXISTS of `workspace`, or DDL/DML whose targets are in `workspace`
    (or unqualified: the session's temporary tables, or its current schema, the workspace).
    `statements`: `sql` already parsed (Snowflake dialect)."""
    if statements is None:
        try:
            statements = [s for s in sqlglot.parse(sql, read="snowflake") if s is not None]
        except ParseError as error:
            return str(error)
    if len(statements) != 1:
        return WRITER_ONLY
    tree = statements[0]
    if isinstance(tree, SESSION_STATEMENTS):
        return None
    if isinstance(tree, exp.Create) and str(tree.args.get("kind") or "").upper() == "SCHEMA":
        target = tree.this
        named = target.db or target.name if isinstance(target, exp.Table) else ""
        same = named.lower() == workspace.lower() and (
            not target.catalog or (database or "").lower() == target.catalog.lower()
        )
        return None if same and tree.args.get("exists") else WRITER_ONLY
    if isinstance(tree, exp.Describe):
        if not isinstance(tree.this, exp.Table):
            return WRITER_ONLY
        return _writer_table_error(tree.this, live, workspace, database, target=False)
    if isinstance(tree, exp.Alter) and str(tree.args.get("kind") or "").upper() not in (
        "TABLE", "VIEW",
    ):  # fmt: skip
        return WRITER_ONLY
    if isinstance(tree, exp.Create | exp.Drop) and str(tree.args.get("kind") or "").upper() not in (
        "TABLE",
        "VIEW",
    ):
        return WRITER_ONLY
    if not isinstance(tree, READ_ROOTS + WRITES):
        return WRITER_ONLY
    targets = {id(t) for t in _writer_targets(tree)}
    if isinstance(tree, WRITES) and not targets:
        return WRITER_ONLY
    for node in tree.walk():
        if isinstance(node, exp.Command):
            return WRITER_ONLY
        if isinstance(node, exp.Into) and not isinstance(tree, exp.Insert):
            return WRITER_ONLY
        # MERGE's WHEN clauses are its own UPDATE, INSERT and DELETE
        merge_clause = isinstance(tree, exp.Merge) and isinstance(node.parent, exp.When)
        if isinstance(node, exp.DML | exp.DDL) and node is not tree and not merge_clause:
            return WRITER_ONLY
        if isinstance(node, exp.Table):
            if not node.name:
                continue
            why = _writer_table_error(node, live, workspace, database, id(node) in targets)
            if why is not None:
                return why
            if node.name.lower() in hidden:
                return f"table {node.name} is not readable"
        elif isinstance(node, exp.Func) and (why := _function_error(node)) is not None:
            return why
    return None


def _writer_table_error(
    table: exp.Table, live: str, workspace: str, database: str | None, target: bool
) -> str | None:
    if (why := _foreign_table_error(table, database)) is not None:
        return why
    outside = f"table {table.sql()} is outside the experiment"
    if table.args.get("db") is None:
        return None  # a CTE, a temporary table, or the current schema (the workspace)
    schema = table.db.lower()
    if schema == workspace.lower():
        return None
    if schema == live.lower():
        return f"table {table.sql()} is read-only" if target else None
    return outside
