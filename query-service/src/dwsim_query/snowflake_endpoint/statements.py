"""What the Snowflake endpoint sends the emulator for each statement a client sends.

Reads and workspace writes go through the query service layer (parse as Snowflake, check,
rewrite to the physical schemas), exactly as a `POST /query` does; transaction control passes;
what tools ask at connect and introspection time (`CURRENT_DATABASE()`, `SHOW SCHEMAS`,
`SHOW OBJECTS`, `DESCRIBE TABLE`...) is answered with the experiment's own names (database
= the experiment, schema `PUBLIC` = its generated tables, `WORKSPACE` = its workspace);
everything else is refused with a Snowflake error code, a SQLSTATE and a message naming it.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from dwsim_query.endpoint.statements import leading_words, sqlstate_of, with_source_names
from dwsim_query.pipeline import WorkspaceNames
from dwsim_query.service import ExperimentContext
from dwsim_query.session_functions import ROLE, snowflake_session
from dwsim_shared.errors import DWSimError
from dwsim_shared.warehouses.namespaces import (
    WORKSPACE_SCHEMA,
    live_namespace,
    workspace_namespace,
)
from dwsim_shared.warehouses.snowflake import SnowflakeWarehouse

DIALECT = "snowflake"
PUBLIC = "PUBLIC"  # the generated tables, as clients name them
WORKSPACE = WORKSPACE_SCHEMA.upper()
TRANSACTION = {"BEGIN", "START", "COMMIT", "ROLLBACK"}
READS = {"SELECT", "WITH", "(", "VALUES"}
WRITES = {"INSERT", "UPDATE", "DELETE", "MERGE", "TRUNCATE", "CREATE", "DROP", "ALTER"}
# Session parameters a client may set: they tag or shape nothing that is read.
SESSION_PARAMETERS = {"QUERY_TAG", "AUTOCOMMIT", "ABORT_DETACHED_QUERY"}
QUOTA_CHECK_S = 0.5
CACHED_STATEMENTS = 256
_SHOW = re.compile(
    r"^\s*SHOW\s+(?:TERSE\s+)?(SCHEMAS|OBJECTS|TABLES|VIEWS|DATABASES|USER\s+FUNCTIONS"
    r"|PARAMETERS)"
    r"(?:\s+LIKE\s+'((?:[^']|'')*)')?"
    r"(?:\s+IN\s+(?:(ACCOUNT|SESSION)|(DATABASE|SCHEMA)?\s*([\w\".$]+)))?"
    r"(?:\s+LIMIT\s+\d+(?:\s+FROM\s+'(?:[^']|'')*')?)?\s*;?\s*$",
    re.I,
)
_COMMENTS = re.compile(r"/\*.*?\*/|--[^\n]*", re.S)
# Snowflake's error codes, by the SQLSTATE of a refusal (the connector raises errno + message).
ERRNOS = {
    "42601": 1003,  # SQL compilation error: syntax error
    "42P01": 2003,  # object does not exist or not authorized
    "3D000": 2003,
    "3F000": 2003,
    "42501": 3001,  # insufficient privileges
    "54000": 100078,
    "53400": 100078,
    "0A000": 2,  # unsupported feature
}


class Refused(Exception):
    """A statement the endpoint does not send: answered with this SQLSTATE and message."""

    def __init__(self, sqlstate: str, message: str) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate
        self.message = message

    @property
    def errno(self) -> int:
        return ERRNOS.get(self.sqlstate, 2)


@dataclass(frozen=True)
class Answer:
    """A result the endpoint makes itself: text columns, rows of strings (or None)."""

    columns: list[str]
    rows: list[list[str | None]]
    statement_type: int = 0x1000  # SELECT


def _unquoted(name: str) -> str:
    name = name.strip()
    return name[1:-1].replace('""', '"') if name.startswith('"') else name.upper()


def _like(pattern: str | None, value: str) -> bool:
    if pattern is None:
        return True
    regex = "".join(
        ".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern.replace("''", "'")
    )
    return re.fullmatch(regex, value, re.I | re.S) is not None


@dataclass
class Translator:
    """The statements of one client session of one experiment."""

    context: ExperimentContext
    user: str
    schema: str = PUBLIC  # the session's current schema, as the client names it
    workspace: WorkspaceNames = field(init=False)
    quota_rows: int = 0  # 0: no quota
    # Reads already translated in this session (tools repeat theirs), by current schema and
    # text; emptied by DDL, which may change what a name resolves to.
    cache: dict[tuple[str, str], str] = field(default_factory=dict)
    timeout_s: int = 0
    _quota_checked: float = 0.0

    def __post_init__(self) -> None:
        name = self.context.name
        lookup = self.warehouse.endpoint_workspace_objects
        self.workspace = WorkspaceNames(
            WORKSPACE_SCHEMA, workspace_namespace(name), lambda: lookup(name),
            type_dialect=DIALECT, source_dialect=DIALECT,
        )  # fmt: skip

    @property
    def warehouse(self) -> SnowflakeWarehouse:
        warehouse = self.context.warehouse
        assert isinstance(warehouse, SnowflakeWarehouse)  # the endpoint serves the emulator
        return warehouse

    @property
    def database(self) -> str:
        return self.context.name.upper()

    @property
    def qualifiers(self) -> frozenset[str]:
        return frozenset({PUBLIC.lower(), self.context.name})

    def statement(self, sql: str) -> str | Answer:
        """The SQL to send the emulator for `sql`, or the endpoint's own answer, or `Refused`."""
        words = leading_words(sql)
        first = words[0] if words else ""
        if first in TRANSACTION:
            return sql
        if first == "USE":
            return self._use(words)
        if first == "ALTER" and words[1:2] == ["SESSION"]:
            return self._alter_session(sql, words)
        if first == "SHOW":
            return self._show(sql)
        if first in ("DESCRIBE", "DESC"):
            return self._describe(sql)
        if first in READS:
            return self._read(sql)
        if first in {"GRANT", "REVOKE"} or (first in WRITES and "ROLE" in words[1:4]):
            raise Refused(
                "42501",
                f"{' '.join(words[:2])} is not allowed: every statement runs as the experiment's "
                f"own role {ROLE}, which reads its generated tables and writes its workspace",
            )
        if first in WRITES and words[1:2] in (["USER"], ["WAREHOUSE"], ["DATABASE"]):
            raise Refused("42501", f"{' '.join(words[:2])} is not allowed here")
        if first in WRITES:
            return self._write(sql)
        if first in {"PUT", "GET", "COPY", "REMOVE", "LIST", "LS", "RM"}:
            raise Refused(
                "0A000",
                f"{first} is not supported by the endpoint: files stay out of reach; load rows "
                "into the workspace with INSERT",
            )
        raise Refused("0A000", f"{first or 'this statement'} is not supported by the endpoint")

    def logical_names(self, text: str) -> str:
        """The emulator's message with the schemas named as the client names them."""
        for physical, logical in (
            (self.workspace.physical, WORKSPACE),
            (live_namespace(self.context.name), PUBLIC),
        ):
            text = text.replace(f'"{physical}"', logical).replace(physical, logical)
        return text

    # -- session -----------------------------------------------------------------------------

    def _use(self, words: list[str]) -> Answer:
        kind = words[1] if len(words) > 1 else ""
        target = words[2] if len(words) > 2 else ""
        if kind == "WAREHOUSE":
            return _done()  # compute has no meaning here
        if kind == "ROLE":
            if target.upper() == ROLE:
                return _done()
            raise Refused(
                "42501", f"USE ROLE {target} is not allowed: the session's role is {ROLE}"
            )
        if kind == "DATABASE" and target.lower() == self.context.name:
            return _done()
        if kind == "SCHEMA" or (kind not in ("DATABASE", "ROLE", "WAREHOUSE") and kind):
            name = target if kind == "SCHEMA" else kind
            wanted = name.split(".")[-1].upper()
            if wanted in (PUBLIC, WORKSPACE):
                self.schema = wanted
                return _done()
        raise Refused(
            "3D000",
            f"USE {' '.join(words[1:3])} is not available: the database is {self.database}, its "
            f"schemas {PUBLIC} (generated tables, read-only) and {WORKSPACE} (yours)",
        )

    def _alter_session(self, sql: str, words: list[str]) -> Answer:
        name = words[3] if len(words) > 3 else ""
        if words[2:3] in (["SET"], ["UNSET"]) and name in SESSION_PARAMETERS:
            return _done()
        raise Refused(
            "0A000",
            f"ALTER SESSION {' '.join(words[2:4])} is not supported by the endpoint (only "
            f"{', '.join(sorted(SESSION_PARAMETERS))}): the session's timeout and formats are "
            "those of the query service",
        )

    def session_values(self) -> dict[str, str]:
        values = snowflake_session(self.database, self.schema, self.user)
        return {name.lower(): value for name, value in values.items()} | {"current_session": "0"}

    def _answer_session_functions(self, sql: str) -> str:
        if "current_" not in sql.lower():
            return sql
        try:
            tree = sqlglot.parse_one(sql, read=DIALECT)
        except SqlglotError:
            return sql  # the pipeline reports the syntax error with its position
        values = self.session_values()
        changed = False
        for node in list(tree.walk()):
            if not isinstance(node, exp.Func):
                continue
            name = (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).lower()
            if name not in values:
                continue
            literal: exp.Expr = exp.Literal.string(str(values[name]))
            if isinstance(node.parent, exp.Select) and node.arg_key == "expressions":
                literal = exp.alias_(literal, f"{name.upper()}()", quoted=True)
            node.replace(literal)
            changed = True
        return tree.sql(dialect=DIALECT) if changed else sql

    # -- introspection -----------------------------------------------------------------------

    def _show(self, sql: str) -> Answer:
        found = _SHOW.match(_COMMENTS.sub(" ", sql))
        if found is None:
            raise Refused(
                "0A000",
                "this SHOW is not supported by the endpoint (SHOW DATABASES, SCHEMAS, OBJECTS, "
                "TABLES and VIEWS are)",
            )
        what, like, account, scope_kind, scope = found.groups()
        what = " ".join(what.upper().split())
        if what == "PARAMETERS":
            values = {"QUERY_TAG": "", "TIMEZONE": "Etc/UTC", "AUTOCOMMIT": "true",
                      "STATEMENT_TIMEOUT_IN_SECONDS": str(self.timeout_s)}  # fmt: skip
            settings: list[list[str | None]] = [
                [k, v, v, "SESSION", "", "STRING"] for k, v in values.items() if _like(like, k)
            ]
            return Answer(["key", "value", "default", "level", "description", "type"], settings)
        if what == "USER FUNCTIONS":  # none: the workspace takes tables and views
            columns = ["created_on", "name", "schema_name", "is_builtin", "is_aggregate",
                       "is_ansi", "min_num_arguments", "max_num_arguments", "arguments",
                       "description", "catalog_name", "is_table_function",
                       "valid_for_clustering", "is_secure", "is_external_function",
                       "language", "is_memoizable"]  # fmt: skip
            return Answer(columns, [])
        like = like.replace("''", "'") if like is not None else None
        database, schema = self.database, None
        if scope and not account:
            parts = [_unquoted(p) for p in re.findall(r'"(?:[^"]|"")*"|[^.]+', scope)]
            if (scope_kind or "").upper() == "DATABASE" or (
                what in ("SCHEMAS",) and len(parts) == 1
            ):
                database = parts[0]
            elif len(parts) == 2:
                database, schema = parts
            else:
                schema = parts[0]
        if database.upper() != self.database:
            raise Refused("3D000", f"Database '{database}' does not exist or not authorized.")
        created = "0.000000000"  # seconds since the epoch, as a JSON result sends TIMESTAMP_LTZ
        rows: list[list[str | None]]
        if what == "DATABASES":
            rows = [[created, self.database, "N", "N", None, "DWSIM", "", "", "1", "STANDARD"]]
            columns = ["created_on", "name", "is_default", "is_current", "origin", "owner",
                       "comment", "options", "retention_time", "kind"]  # fmt: skip
            return Answer(columns, [r for r in rows if _like(like, str(r[1]))])
        if what == "SCHEMAS":
            columns = ["created_on", "name", "is_default", "is_current", "database_name",
                       "owner", "comment", "options", "retention_time", "owner_role_type"]  # fmt: skip
            rows = [
                [created, name, "N", "Y" if name == self.schema else "N", self.database,
                 ROLE, "", "", "1", "ROLE"]
                for name in (PUBLIC, WORKSPACE)
                if _like(like, name)
            ]  # fmt: skip
            return Answer(columns, rows)
        schemas = [schema.upper()] if schema else [PUBLIC, WORKSPACE]
        objects: list[tuple[str, str, str]] = []  # (schema, name, kind)
        for name in schemas:
            if name == PUBLIC:
                objects += [
                    (PUBLIC, t.name.upper(), "TABLE") for t in self.context.experiment.tables
                ]
            elif name == WORKSPACE:
                views = self._workspace_views()
                objects += [
                    (WORKSPACE, table.upper(), "VIEW" if table in views else "TABLE")
                    for table in sorted(self.workspace.objects(refresh=True))
                ]
            else:
                raise Refused(
                    "3F000", f"Schema '{self.database}.{name}' does not exist or not authorized."
                )
        kinds = {"OBJECTS": ("TABLE", "VIEW"), "TABLES": ("TABLE",), "VIEWS": ("VIEW",)}[what]
        columns = ["created_on", "name", "database_name", "schema_name", "kind", "comment",
                   "cluster_by", "rows", "bytes", "owner", "retention_time", "owner_role_type",
                   "is_dynamic", "is_iceberg"]  # fmt: skip
        rows = [
            [created, name, self.database, schema_name, kind, "", "", None, None, ROLE, "1",
             "ROLE", "N", "N"]
            for schema_name, name, kind in objects
            if kind in kinds and _like(like, name)
        ]  # fmt: skip
        return Answer(columns, rows)

    def _workspace_views(self) -> set[str]:
        return set(self.warehouse.endpoint_workspace_views(self.context.name))

    def _describe(self, sql: str) -> str:
        try:
            tree = sqlglot.parse_one(sql, read=DIALECT)
        except SqlglotError as error:
            raise Refused("42601", f"SQL syntax error: {error}") from error
        if not isinstance(tree, exp.Describe) or not isinstance(tree.this, exp.Table):
            raise Refused("0A000", "DESCRIBE of a table or view is supported, not this one")
        table = tree.this
        placed = self._place(table)
        tree.set("this", placed)
        return tree.sql(dialect=DIALECT)

    def _place(self, table: exp.Table) -> exp.Table:
        """A named table (generated, workspace or temporary) as the emulator names it."""
        if table.args.get("catalog") and table.catalog.lower() != self.context.name:
            raise Refused("3D000", f"Database '{table.catalog}' does not exist or not authorized.")
        schema = table.db.lower() if table.args.get("db") else None
        name = table.name.lower()
        if name in self.workspace.temporary and schema in (None, WORKSPACE_SCHEMA):
            return exp.table_(exp.to_identifier(name, quoted=True))
        generated = {t.name.lower() for t in self.context.experiment.tables}
        if schema == WORKSPACE_SCHEMA or (schema is None and name not in generated):
            return exp.table_(
                exp.to_identifier(name, quoted=True),
                db=exp.to_identifier(self.workspace.physical, quoted=True),
            )
        if schema in (None, PUBLIC.lower(), self.context.name) and name in generated:
            physical: exp.Table = self.context.resolve(name)
            return physical
        raise Refused(
            "42P01", f"Table '{table.sql(dialect=DIALECT)}' does not exist or not authorized."
        )

    # -- reads and writes --------------------------------------------------------------------

    def _read(self, sql: str) -> str:
        key = (self.schema, sql)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        engine_sql = self._translate_read(sql)
        if len(self.cache) >= CACHED_STATEMENTS:
            self.cache.pop(next(iter(self.cache)))
        self.cache[key] = engine_sql
        return engine_sql

    def _translate_read(self, sql: str) -> str:
        sql = self._answer_session_functions(sql)
        try:
            prepared = self.context.prepare(
                sql, qualifiers=self.qualifiers, dialect=DIALECT, workspace=self.workspace
            )
        except DWSimError as error:
            raise Refused(sqlstate_of(error), error.message) from error
        return with_source_names(prepared.sql, [c.name for c in prepared.columns], DIALECT)

    def _write(self, sql: str) -> str | Answer:
        try:
            prepared = self.context.prepare_write(sql, self.workspace, self.qualifiers)
        except DWSimError as error:
            raise Refused(sqlstate_of(error), error.message) from error
        if prepared.noop:
            return _done()
        if prepared.ddl:
            self.workspace.forget()
            self.cache.clear()
        if prepared.adds_data:
            self._check_quota()
        return prepared.sql

    def _check_quota(self) -> None:
        """Refuse a write while the workspace holds its quota of rows (checked before a
        statement: the one that crosses it completes, the next is refused)."""
        if not self.quota_rows:
            return
        now = time.monotonic()
        if now - self._quota_checked < QUOTA_CHECK_S:
            return
        used = self.warehouse.workspace_rows(self.context.name)
        if used >= self.quota_rows:
            raise Refused(
                "53400",
                f"the workspace of {self.context.name!r} holds {used:,} rows, its quota is "
                f"{self.quota_rows:,} (DWSIM_SNOWFLAKE_WORKSPACE_MAX_ROWS): drop or truncate "
                "tables to write more",
            )
        self._quota_checked = now


def _done() -> Answer:
    return Answer(["status"], [["Statement executed successfully."]], 0x3000)


def answer_json(answer: Answer, query_id: str, database: str, schema: str) -> dict[str, Any]:
    """The endpoint's own answer as Snowflake's JSON result (text columns)."""
    rowtype = [
        {"name": name, "database": "", "schema": "", "table": "", "type": "text",
         "length": 16777216, "byteLength": 16777216, "precision": None, "scale": None,
         "nullable": True, "collation": None}
        if name != "created_on" else
        {"name": name, "database": "", "schema": "", "table": "", "type": "timestamp_ltz",
         "length": None, "byteLength": None, "precision": 0, "scale": 9, "nullable": True,
         "collation": None}
        for name in answer.columns
    ]  # fmt: skip
    return {
        "data": {
            "parameters": [],
            "rowtype": rowtype,
            "rowset": answer.rows,
            "total": len(answer.rows),
            "returned": len(answer.rows),
            "queryId": query_id,
            "statementTypeId": answer.statement_type,
            "queryResultFormat": "json",
            "finalDatabaseName": database,
            "finalSchemaName": schema,
        },
        "code": None,
        "message": None,
        "success": True,
    }
