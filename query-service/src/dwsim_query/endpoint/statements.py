"""What the Redshift endpoint sends PostgreSQL for each statement a client sends.

Reads go through the query service layer (parse as Redshift, check, rewrite to the physical
namespace); transaction control and a short list of harmless session settings pass as they
are; what tools read at connect (`version()`, `current_database()`...) is answered as
Redshift would; everything else is refused with a SQLSTATE and a message naming it.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.tokens import TokenType

from dwsim_query.endpoint import copy, system_tables
from dwsim_query.pipeline import WorkspaceNames
from dwsim_query.service import ExperimentContext
from dwsim_query.writes import WriteRefused
from dwsim_shared.errors import BadRequest, DWSimError
from dwsim_shared.warehouses.pg_catalog_views import FUNCTIONS as CATALOG_FUNCTIONS
from dwsim_shared.warehouses.pg_catalog_views import INFORMATION_SCHEMA
from dwsim_shared.warehouses.pg_catalog_views import SCHEMA as CATALOG_SCHEMA
from dwsim_shared.warehouses.pg_catalog_views import VIEWS as CATALOG_VIEWS
from dwsim_shared.warehouses.redshift import RedshiftMockWarehouse

# What `SELECT version()` answers on Redshift (drivers and SQLAlchemy parse "PostgreSQL 8.0.2").
REDSHIFT_VERSION = (
    "PostgreSQL 8.0.2 on i686-pc-linux-gnu, compiled by GCC gcc (GCC) 3.4.2 20041017 "
    "(Red Hat 3.4.2-6.fc3), Redshift 1.0.77467"
)
REDSHIFT_SERVER_VERSION = "8.0.2"
LOGICAL_SCHEMA = "public"  # the generated tables, as clients name them
DIALECT = "redshift"
TRANSACTION = {"BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT", "SAVEPOINT", "RELEASE"}
SESSION_RESETS = {"DISCARD", "DEALLOCATE", "CLOSE"}
READS = {"SELECT", "WITH", "(", "VALUES", "TABLE"}
# Settings a client may change: they shape how results are written, never what is read.
SETTINGS = {
    "application_name", "client_encoding", "names", "datestyle", "timezone", "time",
    "extra_float_digits", "intervalstyle", "bytea_output", "client_min_messages",
    "lock_timeout", "transaction", "session", "default_transaction_isolation",
    "transaction_isolation",
}  # fmt: skip
# Redshift's own session settings that change no result here: kept as placeholders.
REDSHIFT_SETTINGS = {
    "query_group", "wlm_query_slot_count", "enable_result_cache_for_session",
    "analyze_threshold_percent", "json_parse_dedup_attributes", "mv_enable_aqmv_for_session",
}  # fmt: skip
SHOWABLE = SETTINGS | {
    "server_version", "server_encoding", "standard_conforming_strings", "integer_datetimes",
    "is_superuser", "lc_collate", "lc_ctype", "max_identifier_length", "statement_timeout",
}  # fmt: skip
SESSION_FUNCTIONS: dict[type[exp.Expr], str] = {
    exp.CurrentVersion: "version",
    exp.CurrentDatabase: "current_database",
    exp.CurrentSchema: "current_schema",
    exp.CurrentUser: "current_user",
    exp.SessionUser: "session_user",
}
_LEADING = re.compile(r"(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/)*", re.S)
_WORD = re.compile(r"\(|[A-Za-z_][A-Za-z0-9_$]*")
_DURATION = re.compile(r"""^\s*(?:=|to)\s*'?\s*(\d+)\s*(ms|s|min|h)?\s*'?\s*$""", re.I)
_SPECIAL = re.compile(
    r"version|current_|session_user|\buser\b|pg_|svv_|stv_|stl_|svl_|information_schema", re.I
)
CACHED_STATEMENTS = 256
_EXPLAIN = re.compile(
    r"(\s*(?:--[^\n]*\n|/\*.*?\*/|\s)*EXPLAIN\s+(?:(?:ANALYZE|VERBOSE)\s+)*)", re.I | re.S
)
_UNITS_MS = {"ms": 1, "s": 1000, "min": 60_000, "h": 3_600_000}
WRITES = {"INSERT", "UPDATE", "DELETE", "MERGE", "TRUNCATE", "CREATE", "DROP", "ALTER"}
QUOTA_CHECK_S = 0.5  # how long a reading of the workspace's size is trusted
_PARAMETER_PAIR = re.compile(r"(\$\d+)()(?=[^\s\d])")


def space_parameters(sql: str) -> str:
    """`($1,$2)` as `($1 , $2 )`: the tokenizer would read `$1,$` as a dollar-quote's opening
    tag. Only outside quotes and line comments.

    >>> space_parameters("VALUES ($1,$2) -- '$1,$2'")
    "VALUES ($1 ,$2 ) -- '$1,$2'"
    """
    if "$" not in sql:
        return sql
    pieces, pos, size, start = [], 0, len(sql), 0
    while pos < size:
        ch = sql[pos]
        if ch in "'\"":
            end = sql.find(ch, pos + 1)
            while end != -1 and ch == "'" and sql[end + 1 : end + 2] == "'":
                end = sql.find(ch, end + 2)
            end = size if end == -1 else end + 1
        elif sql.startswith("--", pos):
            end = sql.find("\n", pos)
            end = size if end == -1 else end
        else:
            pos += 1
            continue
        pieces.append(_PARAMETER_PAIR.sub(r"\1\2 ", sql[start:pos]))
        pieces.append(sql[pos:end])
        pos = start = end
    pieces.append(_PARAMETER_PAIR.sub(r"\1\2 ", sql[start:]))
    return "".join(pieces)


def catalog_name(table: exp.Table) -> bool:
    schema, name = table.db.lower(), table.name.lower()
    if schema in ("pg_catalog", "information_schema"):
        return True
    return not schema and name.startswith(("pg_", "svv_", "stv_", "stl_", "svl_"))


def catalog_functions(tree: exp.Expr) -> None:
    """`pg_get_viewdef(...)` or `pg_catalog.pg_get_viewdef(...)` as the catalog's function of
    that name (pg_catalog's reads catalogs the session's role may not)."""
    for node in list(tree.find_all(exp.Anonymous)):
        if node.name.lower() not in CATALOG_FUNCTIONS:
            continue
        parent = node.parent
        if isinstance(parent, exp.Dot) and parent.expression is node:
            if parent.this.name.lower() != "pg_catalog":
                continue  # another schema's: left to the server (it refuses what it must)
            parent.set("this", exp.to_identifier(CATALOG_SCHEMA))
            continue
        node.replace(exp.Dot(this=exp.to_identifier(CATALOG_SCHEMA), expression=node.copy()))


def redshift_where(select: exp.Select) -> None:
    """What Redshift reads in a catalog query's WHERE and PostgreSQL does not: an integer as a
    condition (`WHERE 1 AND ...`: true unless 0), and a bare name that is no column the select
    list reads but the alias of one of its expressions (a lateral alias reference, as
    sqlalchemy-redshift's reflection filters `schema = '...'`)."""
    where = select.args.get("where")
    if where is None:
        return
    conditions = [where.this]
    while conditions:
        node = conditions.pop()
        if isinstance(node, exp.Connector | exp.Not | exp.Paren):
            for child in (node.this, node.args.get("expression")):
                if isinstance(child, exp.Literal) and not child.is_string:
                    child.replace(exp.Boolean(this=float(child.this) != 0))
                elif child is not None:
                    conditions.append(child)
    if isinstance(where.this, exp.Literal) and not where.this.is_string:
        where.set("this", exp.Boolean(this=float(where.this.this) != 0))
    aliases = {
        e.alias.lower(): e.this for e in select.expressions if isinstance(e, exp.Alias) and e.alias
    }
    read = {c.name.lower() for e in select.expressions for c in e.find_all(exp.Column)}
    for column in list(where.find_all(exp.Column)):
        name = column.name.lower()
        if column.table or name not in aliases or name in read:
            continue
        if column.find_ancestor(exp.Select) is not select:
            continue  # a subquery's own column
        column.replace(aliases[name].copy())


def catalog_tables(tree: exp.Expr) -> bool:
    """Whether the query reads a catalog (then it must read only catalogs)."""
    return any(catalog_name(t) for t in tree.find_all(exp.Table))


class Refused(Exception):
    """A statement the endpoint does not send: answered with this SQLSTATE and message."""

    def __init__(self, sqlstate: str, message: str) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate
        self.message = message


def split_script(sql: str) -> list[str]:
    """The statements of a script, cut at its top-level semicolons (strings and comments are
    the tokenizer's business, so a `;` inside them does not cut)."""
    try:
        tokens = sqlglot.Dialect.get_or_raise(DIALECT).tokenize(sql)
    except SqlglotError:
        return [sql]  # the pipeline reports the syntax error with its position
    pieces, start = [], 0
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON:
            pieces.append(sql[start : token.start])
            start = token.end + 1
    pieces.append(sql[start:])
    return [p for p in pieces if _LEADING.sub("", p, count=1).strip()]


def leading_words(sql: str, count: int = 4) -> list[str]:
    body = sql[_LEADING.match(sql).end() :]  # type: ignore[union-attr]
    return [w.upper() for w in _WORD.findall(body[:200])[:count]]


def sqlstate_of(error: DWSimError) -> str:
    """The SQLSTATE a PostgreSQL client expects for a refusal of the query service."""
    details = error.details if isinstance(error, BadRequest) else {}
    if "tables" in details:
        return "42P01"  # undefined_table
    if "limit" in details:
        return "54000"  # program_limit_exceeded
    if "construct" in details:
        return "0A000"  # feature_not_supported
    if "line" in details or error.message.startswith("SQL syntax error"):
        return "42601"  # syntax_error
    if isinstance(error, WriteRefused):
        return error.sqlstate
    if error.status == 404:
        return "3D000"
    if error.status == 409:
        return "55000"  # object_not_in_prerequisite_state
    return "0A000"


def with_source_names(engine_sql: str, names: list[str], dialect: str = "postgres") -> str:
    """`engine_sql` with its result columns named as the source names them (`count`,
    `?column?`), not with the pipeline's positional `_col_N`: PostgreSQL's RowDescription
    then carries what a client of Redshift reads. Unchanged when the names already agree."""
    try:
        tree = sqlglot.parse_one(engine_sql, read=dialect)
    except SqlglotError:
        return engine_sql
    select = tree
    while isinstance(select, exp.SetOperation):  # the first operand names a set operation
        select = select.this
    if isinstance(select, exp.Subquery):
        select = select.unnest()
    if not isinstance(select, exp.Select) or len(select.expressions) != len(names):
        return engine_sql
    if any(
        isinstance(e, exp.Star) or isinstance(e.unalias(), exp.Star) for e in select.expressions
    ):
        return engine_sql
    renamed: dict[str, str] = {}
    for index, (projection, name) in enumerate(zip(select.expressions, names, strict=True)):
        if projection.output_name == name:
            continue
        renamed[projection.output_name] = name
        target = projection.this if isinstance(projection, exp.Alias) else projection
        select.expressions[index] = exp.alias_(target, name, quoted=True)
    if not renamed:
        return engine_sql
    for order in filter(None, (select.args.get("order"), tree.args.get("order"))):
        for column in order.find_all(exp.Column):  # ORDER BY "_col_0" follows the new name
            if not column.table and column.name in renamed:
                column.set("this", exp.to_identifier(renamed[column.name], quoted=True))
    return tree.sql(dialect=dialect)


@dataclass
class Translator:
    """The statements of one client session of one experiment."""

    context: ExperimentContext
    user: str
    timeout_ms: int
    # Statements already translated in this session (tools repeat theirs; the experiment's
    # schema is fixed for the session): the pipeline runs once per distinct text.
    cache: dict[str, str] = field(default_factory=dict)
    workspace: WorkspaceNames | None = None
    wrote: bool = False  # the statement translated last writes (never cached: quota, names)
    backend_pid: int = 0  # the upstream session's, as cancel requests name it
    # The rows of a system table that records what happened (stl_load_errors...), when known.
    system_rows: Callable[[str], list[tuple[Any, ...]]] | None = None
    volatile: bool = False  # the statement translated last read them: never cached
    # The project's object store (COPY and UNLOAD), and what the statements translated last
    # load or unload: the session feeds and collects them as PostgreSQL asks.
    store: Any = None
    copies: list[copy.CopyIn | copy.Unload] = field(default_factory=list)
    _quota_checked: float = 0.0

    def __post_init__(self) -> None:
        if self.workspace is None and self.context is not None:
            self.workspace = self.context.workspace()

    def cached(self, sql: str) -> str | None:
        return self.cache.get(sql)

    def script(self, sql: str) -> str:
        """A simple-protocol query string (one or more statements), rewritten; `Refused` at the
        first statement that is not sent (PostgreSQL parses a whole string before running it,
        so nothing of it runs)."""
        statements = split_script(space_parameters(sql))
        if not statements:
            return sql
        self.wrote = False
        self.volatile = False
        pieces = []
        writes = False
        for statement in statements:
            pieces.append(self.statement(statement))
            writes = writes or self.wrote
        rewritten = ";\n".join(pieces)
        if writes or self.volatile:
            return rewritten
        if len(self.cache) >= CACHED_STATEMENTS:
            self.cache.pop(next(iter(self.cache)))
        self.cache[sql] = rewritten
        return rewritten

    def statement(self, sql: str) -> str:
        words = leading_words(sql)
        first = words[0] if words else ""
        if first in TRANSACTION or first == "PREPARE":
            if "PREPARED" in words[:2] or (first == "PREPARE" and words[1:2] == ["TRANSACTION"]):
                raise Refused("0A000", "two-phase commit is not supported")
            if first == "PREPARE":
                raise Refused("0A000", "PREPARE is not supported: use the extended protocol")
            return sql
        if first == "SET":
            return self._set(sql, words)
        if first == "RESET":
            if words[1:2] == ["ROLE"] or words[1:3] == ["SESSION", "AUTHORIZATION"]:
                raise self._role_change(" ".join(words[:3] if words[1] == "SESSION" else words[:2]))
            return sql  # back to the values the session started with, which the endpoint set
        if first == "SHOW":
            return self._show(sql, words)
        if first in SESSION_RESETS:
            return sql
        if first in READS:
            return self._read(sql)
        if first == "EXPLAIN":
            # The plan of the rewritten read (ANALYZE runs it, as a read).
            found = _EXPLAIN.match(sql)
            assert found is not None
            return found[1] + self._read(sql[found.end() :])
        if (first in {"ALTER", "GRANT", "REVOKE"} and "ROLE" in words[:3]) or (
            first == "ALTER" and words[1:2] in (["USER"], ["GROUP"])
        ):
            raise self._role_change(" ".join(words[:2]))
        if first in WRITES and self.workspace is not None:
            return self._write(sql)
        if first in WRITES:
            raise Refused(
                "42501"
                if first in {"INSERT", "UPDATE", "DELETE", "MERGE", "TRUNCATE"}
                else "0A000",
                f"{first} is not allowed here: the experiment's generated tables are read-only "
                "(runs, reset and load change them) and it has no writable workspace",
            )
        if first in {"COPY", "UNLOAD"} and (self.workspace is None or self.store is None):
            raise Refused(
                "0A000",
                f"{first} is not supported here: the experiment has no writable workspace",
            )
        if first in {"COPY", "UNLOAD"}:
            try:
                with copy.refusals():
                    return self._copy(sql) if first == "COPY" else self._unload(sql)
            except copy.CopyRefused as error:
                raise Refused(error.sqlstate, error.message) from error
        if first in {"GRANT", "REVOKE", "COMMENT", "VACUUM", "ANALYZE", "REFRESH", "CALL", "DO",
                     "LOCK", "SECURITY"}:  # fmt: skip
            raise Refused(
                "0A000",
                f"{first} is not allowed here: the experiment's generated tables are read-only "
                "(runs, reset and load change them); its workspace takes CREATE, DROP and ALTER "
                "of tables and views, INSERT, UPDATE, DELETE, MERGE and TRUNCATE",
            )
        raise Refused("0A000", f"{first or 'this statement'} is not supported by the endpoint")

    def _write(self, sql: str) -> str:
        assert self.workspace is not None
        try:
            prepared = self.context.prepare_write(
                sql, self.workspace, frozenset({LOGICAL_SCHEMA, self.context.name})
            )
        except DWSimError as error:
            raise Refused(sqlstate_of(error), error.message) from error
        self.wrote = True
        if prepared.ddl:
            self.cache.clear()
            self.workspace.forget()
        if prepared.adds_data:
            self._check_quota()
        return prepared.sql

    def _copy(self, sql: str) -> str:
        """Redshift's COPY of the object store's files into a workspace table."""
        assert self.workspace is not None
        table, columns, path, options = copy.parse_copy(sql)
        name, schema = table.name.lower(), table.db.lower()
        generated = {t.name.lower() for t in self.context.experiment.tables}
        if table.catalog and table.catalog.lower() != self.context.name.lower():
            raise Refused("3D000", f"database {table.catalog!r} is not this experiment's")
        if schema == LOGICAL_SCHEMA or (not schema and name in generated):
            raise Refused(
                "42501",
                f"COPY into {table.name} is not allowed: the experiment's generated tables are "
                f"read-only (runs, reset and load change them); COPY into the "
                f"{self.workspace.logical} schema",
            )
        if schema not in ("", self.workspace.logical):
            raise Refused("3F000", f"schema {table.db!r} is not available: COPY into "
                          f"{self.workspace.logical}.<table>")  # fmt: skip
        objects = self.workspace.objects(refresh=True)
        if name not in objects:
            raise Refused("42P01", f'relation "{self.workspace.logical}.{name}" does not exist')
        known = list(objects[name])
        missing = [c for c in columns if c not in known]
        if missing:
            raise Refused(
                "42703", f"column {missing[0]!r} of {self.workspace.logical}.{name} does not exist"
            )
        location = copy.locate(self.store, path, self.context.name, writing=False)
        self._quota_checked = 0.0
        room = self.context.warehouse.settings.workspace_max_bytes - self._check_quota()
        plan = copy.prepare_copy_in(
            self.store, location, options, f"{self.workspace.logical}.{name}", columns or known,
            room,
        )  # fmt: skip
        self.copies.append(plan)
        self.wrote = True
        return copy.copy_in_sql(self.workspace.physical, name, plan.columns, options)

    def _unload(self, sql: str) -> str:
        """Redshift's UNLOAD of a query's rows to one object of the store."""
        query, path, options = copy.parse_unload(sql)
        location = copy.locate(self.store, path, self.context.name, writing=True)
        engine_sql, columns = self._prepared_read(query)
        sink = copy.Unload(
            self.store, location, options, columns,
            self.context.warehouse.settings.workspace_max_bytes,
        )  # fmt: skip
        if options.format == "PARQUET":
            sink.arrow_types()  # a type Parquet cannot take is refused before anything runs
        if not (options.allowoverwrite or options.cleanpath) and sink.existing():
            raise Refused(
                "58030",
                f"the unload destination {path!r} is not empty: use another prefix, remove the "
                "objects there, or add ALLOWOVERWRITE or CLEANPATH",
            )
        self.copies.append(sink)
        self.volatile = True
        return copy.unload_sql(engine_sql, options)

    def _check_quota(self) -> int:
        """Refuse a write while the workspace holds its quota (checked before a statement:
        the one that crosses it completes, the next is refused); the bytes it holds (0 when
        read less than QUOTA_CHECK_S ago)."""
        warehouse = self.context.warehouse
        limit = warehouse.settings.workspace_max_bytes
        now = time.monotonic()
        if now - self._quota_checked < QUOTA_CHECK_S:
            return 0
        assert isinstance(warehouse, RedshiftMockWarehouse)  # the only one with a workspace
        used = warehouse.workspace_bytes(self.context.name)
        if used >= limit:
            raise Refused(
                "53400",
                f"the workspace of {self.context.name!r} holds {used:,} bytes, its quota is "
                f"{limit:,} (DWSIM_WORKSPACE_MAX_BYTES): drop or truncate tables to write more",
            )
        self._quota_checked = now
        return used

    @staticmethod
    def _role_change(what: str) -> Refused:
        return Refused(
            "42501",
            f"{what} is not allowed: every statement runs as the experiment's own read-only role",
        )

    def _set(self, sql: str, words: list[str]) -> str:
        rest = words[1:]
        if rest[:1] in (["SESSION"], ["LOCAL"]) and rest[1:2] != ["CHARACTERISTICS"]:
            if rest[:2] == ["SESSION", "AUTHORIZATION"]:
                raise self._role_change("SET SESSION AUTHORIZATION")
            rest = rest[1:]
        name = rest[0].lower() if rest else ""
        if name == "role":
            raise self._role_change("SET ROLE")
        if name in SETTINGS:
            return sql
        if name == "statement_timeout":
            value = sql[_LEADING.match(sql).end() :].split(None, 1)[1]  # type: ignore[union-attr]
            value = re.sub(r"^(?:session|local)\s+", "", value, flags=re.I)[len(name) :]
            found = _DURATION.match(value.rstrip().rstrip(";"))
            ms = int(found[1]) * _UNITS_MS[(found[2] or "ms").lower()] if found else None
            if ms is None or ms == 0 or ms > self.timeout_ms:
                raise Refused(
                    "0A000",
                    f"statement_timeout may be lowered, not raised: at most {self.timeout_ms} ms",
                )
            return sql
        if name in REDSHIFT_SETTINGS:
            # A placeholder setting: accepted and shown back, changing nothing here, as on a
            # cluster with no other workload.
            return re.sub(rf"\b{name}\b", f"dwsim_redshift.{name}", sql, count=1, flags=re.I)
        if name == "search_path":
            raise Refused(
                "0A000",
                f"search_path cannot be changed here: the experiment's tables are in schema "
                f"{LOGICAL_SCHEMA}, found by their bare names",
            )
        raise Refused("0A000", f"SET {name or '?'} is not supported by the endpoint")

    def _show(self, sql: str, words: list[str]) -> str:
        name = " ".join(words[1:4]).lower()
        if name == "search_path":
            return "SELECT '\"$user\", public'::text AS search_path"
        if name in SHOWABLE or name == "transaction isolation level":
            return sql
        raise Refused("0A000", f"SHOW {name or '?'} is not supported by the endpoint")

    def _read(self, sql: str) -> str:
        try:
            # Parsed here only when it may name a catalog or a session function.
            trees = sqlglot.parse(sql, read=DIALECT) if _SPECIAL.search(sql) else []
        except SqlglotError:
            trees = []  # the pipeline reports the syntax error with its position
        if len(trees) == 1 and trees[0] is not None:
            tree = trees[0]
            if catalog_tables(tree):
                # Catalog queries are the tools' PostgreSQL (REGEXP_SUBSTR is PostgreSQL's own
                # there): read as such, so they reach the server as written.
                with contextlib.suppress(SqlglotError):
                    tree = sqlglot.parse_one(sql, read="postgres")
                return self._catalog_read(tree)
            if self._answer_session_functions(tree):
                sql = tree.sql(dialect=DIALECT)
        return self._prepared_read(sql)[0]

    def _prepared_read(self, sql: str) -> tuple[str, list[Any]]:
        """A read through the query pipeline: the engine's SQL and the result's columns."""
        try:
            prepared = self.context.prepare(
                sql,
                qualifiers=frozenset({LOGICAL_SCHEMA, self.context.name}),
                dialect=DIALECT,
                workspace=self.workspace,
            )
        except DWSimError as error:
            raise Refused(sqlstate_of(error), error.message) from error
        columns = list(prepared.columns)
        return with_source_names(prepared.sql, [c.name for c in columns]), columns

    def _catalog_read(self, tree: exp.Expr) -> str:
        """A read of the catalogs only, on the views limited to the experiment: tools'
        introspection is PostgreSQL's SQL, sent as such (the session's role keeps it in)."""
        for node in tree.walk():
            if isinstance(node, exp.DML | exp.DDL | exp.Command | exp.Into):
                raise Refused("0A000", "only reads of the catalog are allowed")
        ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
        for table in list(tree.find_all(exp.Table)):
            name, schema = table.name.lower(), table.db.lower()
            if not name or (not schema and name in ctes):
                continue
            if (
                name in system_tables.COLUMNS
                and schema in ("", "pg_catalog")
                and self.system_rows is not None
            ):
                derived = system_tables.relation(name, self.system_rows(name), CATALOG_SCHEMA)
                if table.alias:
                    derived.set("alias", exp.TableAlias(this=exp.to_identifier(table.alias)))
                for key in ("joins", "laterals", "pivots"):
                    if table.args.get(key):
                        derived.set(key, table.args[key])
                table.replace(derived)
                self.volatile = True
                continue
            allowed = INFORMATION_SCHEMA if schema == "information_schema" else CATALOG_VIEWS
            if schema not in ("", "pg_catalog", "information_schema") or name not in allowed:
                shown = f"{schema}.{name}" if schema else name
                raise Refused(
                    "0A000" if catalog_name(table) else "42P01",
                    f"{shown} is not available here: a query reads either the experiment's "
                    f"tables or its catalog ({', '.join(sorted(CATALOG_VIEWS))}, "
                    "information_schema.tables/columns/schemata)",
                )
            table.set("db", exp.to_identifier(CATALOG_SCHEMA))
            table.set("catalog", None)
        for column in tree.find_all(exp.Column):  # `pg_catalog.pg_class.relname` follows it
            if column.args.get("db") and column.db.lower() in ("pg_catalog", "information_schema"):
                column.set("db", exp.to_identifier(CATALOG_SCHEMA))
        catalog_functions(tree)
        for select in list(tree.find_all(exp.Select)):
            redshift_where(select)
        self._answer_session_functions(tree)
        return tree.sql(dialect="postgres")

    def _answer_session_functions(self, tree: exp.Expr) -> bool:
        values = {
            "version": REDSHIFT_VERSION,
            "current_database": self.context.name,
            "current_schema": LOGICAL_SCHEMA,
            "current_user": self.user,
            "session_user": self.user,
        }
        changed = False
        for node in list(tree.walk()):
            if isinstance(node, exp.Anonymous) and node.name.lower() == "pg_backend_pid":
                pid: exp.Expr = exp.Literal.number(self.backend_pid)
                if isinstance(node.parent, exp.Select) and node.arg_key == "expressions":
                    pid = exp.alias_(pid, "pg_backend_pid")
                node.replace(pid)
                changed = True
                continue
            name = SESSION_FUNCTIONS.get(type(node))
            target: exp.Expr = node
            if (
                isinstance(node, exp.Dot)
                and isinstance(node.expression, exp.Anonymous)
                and node.this.name.lower() == "pg_catalog"
                and node.expression.name.lower() in values
            ):
                name = node.expression.name.lower()
            elif name and isinstance(node.parent, exp.Dot):
                continue  # `pg_catalog.current_database()`: handled at its Dot
            if name is None:
                continue
            literal: exp.Expr = exp.Literal.string(values[name])
            if isinstance(target.parent, exp.Select) and target.arg_key == "expressions":
                literal = exp.alias_(literal, name)
            target.replace(literal)
            changed = True
        return changed
