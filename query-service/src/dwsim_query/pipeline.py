"""SQL pipeline: parse (source dialect) -> safety checks -> rewrite names -> transpile (engine).

Each step is a pure function over sqlglot expressions, so each is tested alone.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, ParseError, UnsupportedError

from dwsim_shared.errors import BadRequest

# Functions that reach outside the experiment: files, the server, other sessions, extensions.
FORBIDDEN_FUNCTIONS = frozenset(
    {
        "pg_read_file", "pg_read_binary_file", "pg_ls_dir", "pg_stat_file", "lo_import",
        "lo_export", "dblink", "dblink_exec", "pg_sleep", "pg_terminate_backend",
        "pg_cancel_backend", "set_config", "current_setting", "load_extension", "readfile",
        "writefile", "fts3_tokenizer", "system", "query_to_xml", "copy",
    }
)  # fmt: skip
READ_ROOTS = (exp.Select, exp.Union, exp.Intersect, exp.Except, exp.Subquery)

TableResolver = Callable[[str], exp.Table | None]


def parse_one_read(sql: str, dialect: str) -> exp.Expression:
    """Exactly one statement that only reads, or `BadRequest` saying where and why."""
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    except ParseError as error:
        first = error.errors[0] if error.errors else {}
        raise BadRequest(
            f"SQL syntax error at line {first.get('line', '?')}, column {first.get('col', '?')}: "
            f"{first.get('description', str(error))}",
            line=first.get("line"),
            column=first.get("col"),
            near=first.get("highlight"),
        ) from error
    if len(statements) != 1:
        raise BadRequest(f"send exactly one statement, not {len(statements)}")
    statement = statements[0]
    if not isinstance(statement, READ_ROOTS):
        kind = type(statement).__name__.upper()
        raise BadRequest(f"only SELECT / WITH / set operations are allowed here, not {kind}")
    return statement


def refuse_unsafe(tree: exp.Expression) -> exp.Expression:
    """Refuse writes nested in reads (`SELECT ... INTO`, data-modifying CTEs) and unsafe functions."""
    for node in tree.walk():
        if isinstance(node, exp.Into):
            raise BadRequest("SELECT ... INTO writes a table; only reads are allowed")
        if isinstance(node, exp.DML | exp.DDL | exp.Command):
            raise BadRequest(f"{type(node).__name__.upper()} is not allowed inside a query")
        if isinstance(node, exp.Func):
            name = (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).lower()
            if name in FORBIDDEN_FUNCTIONS:
                raise BadRequest(f"function {name}() is not allowed")
    return tree


def _cte_names(tree: exp.Expression) -> set[str]:
    return {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}


def rewrite_tables(
    tree: exp.Expression, resolve: TableResolver, known: list[str]
) -> exp.Expression:
    """Replace each logical table name with its physical table; unknown names are refused.

    An unaliased table keeps its logical name as alias, so `customers.id` still resolves.
    """
    ctes = _cte_names(tree)
    tree = tree.copy()
    for table in list(tree.find_all(exp.Table)):
        name = table.name
        if not name:
            continue  # table functions and the like are caught by the function check
        if table.args.get("db") or table.args.get("catalog"):
            raise BadRequest(
                f"table {table.sql()} is qualified: refer to the experiment's tables by name only "
                f"(tables: {', '.join(known)})"
            )
        if name.lower() in ctes:
            continue
        physical = resolve(name)
        if physical is None:
            raise BadRequest(
                f"unknown table {name!r}; this experiment's tables: {', '.join(known)}",
                tables=known,
            )
        replacement = physical.copy()
        alias = table.args.get("alias")
        replacement.set("alias", alias or exp.TableAlias(this=exp.to_identifier(name)))
        for key in ("joins", "laterals", "pivots", "hints"):
            if table.args.get(key):
                replacement.set(key, table.args[key])
        table.replace(replacement)
    return tree


def fold_identifiers(tree: exp.Expression) -> exp.Expression:
    """Every identifier in lower case, quoted: physical names are lower case (as Redshift folds
    even quoted names), so `"EmployeeID"`, `EmployeeId` and `employeeid` all name one column."""
    tree = tree.copy()
    for identifier in tree.find_all(exp.Identifier):
        identifier.set("this", identifier.this.lower())
        identifier.set("quoted", True)
    return tree


_STRFTIME_PARTS = {
    "YEAR": "%Y", "MONTH": "%m", "DAY": "%d", "HOUR": "%H", "MINUTE": "%M", "SECOND": "%S",
    "DOW": "%w", "DAYOFWEEK": "%w", "DOY": "%j", "DAYOFYEAR": "%j", "WEEK": "%W",
}  # fmt: skip
_TRUNC_FORMATS = {
    "YEAR": "%Y-01-01", "MONTH": "%Y-%m-01", "DAY": "%Y-%m-%d",
    "HOUR": "%Y-%m-%d %H:00:00", "MINUTE": "%Y-%m-%d %H:%M:00", "SECOND": "%Y-%m-%d %H:%M:%S",
}  # fmt: skip


def sqlite_dates(tree: exp.Expression) -> exp.Expression:
    """EXTRACT / DATE_PART / DATE_TRUNC as SQLite's STRFTIME, which sqlglot does not write."""

    def unit_of(node: exp.Expression, key: str) -> str:
        unit = node.args.get(key)
        return (unit.name if unit is not None else "").upper()

    def rewrite(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Extract):
            part = unit_of(node, "this")
            if part not in _STRFTIME_PARTS:
                raise BadRequest(f"EXTRACT({part}) cannot run on the sqlite engine")
            strftime = exp.func(
                "STRFTIME", exp.Literal.string(_STRFTIME_PARTS[part]), node.expression
            )
            return exp.cast(strftime, exp.DataType.build("INTEGER"))
        if isinstance(node, exp.TimestampTrunc | exp.DateTrunc):
            unit = unit_of(node, "unit")
            if unit not in _TRUNC_FORMATS:
                raise BadRequest(f"DATE_TRUNC('{unit.lower()}') cannot run on the sqlite engine")
            return exp.Anonymous(
                this="STRFTIME", expressions=[exp.Literal.string(_TRUNC_FORMATS[unit]), node.this]
            )
        return node

    return tree.copy().transform(rewrite)


ENGINE_REWRITES = {"sqlite": [sqlite_dates], "strictsqlite": [sqlite_dates]}


def transpile(tree: exp.Expression, engine_dialect: str) -> str:
    """The rewritten query in the engine's dialect; untranslatable SQL is refused, never changed."""
    try:
        return tree.sql(dialect=engine_dialect, unsupported_level=ErrorLevel.RAISE)
    except UnsupportedError as error:
        raise BadRequest(
            f"cannot translate this query for the {engine_dialect} engine: {error}"
        ) from error


def prepare_sql(
    sql: str, source_dialect: str, engine_dialect: str, resolve: TableResolver, known: list[str]
) -> str:
    """The whole pipeline: what the engine will run for the user's `sql`."""
    tree = parse_one_read(sql, source_dialect)
    tree = refuse_unsafe(tree)
    tree = rewrite_tables(tree, resolve, known)
    tree = fold_identifiers(tree)
    for rewrite in ENGINE_REWRITES.get(engine_dialect, []):
        tree = rewrite(tree)
    return transpile(tree, engine_dialect)
