"""Statements that write, for the wire endpoints' workspace: DDL and DML on the experiment's
workspace schema, checked and rewritten like reads.

A write may read the generated tables and workspace objects (through the same compatibility
chain as a query), and change only workspace objects and the session's temporary tables; the
generated tables stay read-only (runs, reset and load change them). What PostgreSQL cannot do
with Redshift's meaning is refused by name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, SqlglotError

from dwsim_query.compat.catalogue import check_calls
from dwsim_query.compat.registry import engine_of, mark_origins
from dwsim_query.compat.schema import Schema, _best_effort
from dwsim_query.pipeline import (
    TEMPORARY_REF,
    WORKSPACE_REF,
    WorkspaceNames,
    _as_workspace,
    _plain,
    annotate_known,
    check_allowed,
    check_limits,
    fold_identifiers,
    refuse_unsafe,
    translate,
    translate_parsed,
    transpile,
)
from dwsim_query.structure import coerce_temporal_literals
from dwsim_shared.errors import BadRequest

SOURCE = "redshift"
ENGINE = "postgres"
QUERY_ROOTS = (exp.Select, exp.Union, exp.Intersect, exp.Except, exp.Subquery)
# Redshift's physical design (distribution, sort keys, compression, backup) changes no answer.
PHYSICAL_PROPERTIES = (
    exp.DistKeyProperty, exp.DistStyleProperty, exp.SortKeyProperty, exp.BackupProperty,
)  # fmt: skip
PHYSICAL_CONSTRAINTS = (exp.EncodeColumnConstraint,)
# Redshift types the mock spells otherwise (https://docs.aws.amazon.com/redshift/latest/dg/c_Supported_data_types.html)
SUPER_TYPES = {exp.DataType.Type.SUPER: "JSONB"}


class WriteRefused(BadRequest):
    """A write the workspace does not take; `sqlstate` is what a PostgreSQL client sees."""

    def __init__(self, sqlstate: str, message: str) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


@dataclass(frozen=True)
class PreparedWrite:
    sql: str
    kind: str  # CREATE TABLE, INSERT, ...
    ddl: bool  # the workspace's objects change: what was read of them is stale
    adds_data: bool  # the workspace quota is checked before it runs
    noop: bool = False  # answered without running (CREATE SCHEMA of the workspace itself)


def parse_statement(sql: str, dialect: str = SOURCE) -> exp.Expression:
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    except ParseError as error:
        first = error.errors[0] if error.errors else {}
        raise BadRequest(
            f"SQL syntax error at line {first.get('line', '?')}, column {first.get('col', '?')}: "
            f"{_plain(str(first.get('description', error)))}",
            line=first.get("line"), column=first.get("col"), near=first.get("highlight"),
        ) from error  # fmt: skip
    except SqlglotError as error:
        raise BadRequest(f"SQL syntax error: {_plain(str(error))}") from error
    if len(statements) != 1:
        raise BadRequest(f"send exactly one statement, not {len(statements)}")
    statement: exp.Expression = statements[0]  # type: ignore[assignment]
    return statement


def _kind(tree: exp.Expression) -> str:
    if isinstance(tree, exp.Create | exp.Drop | exp.Alter):
        return f"{tree.key.upper()} {str(tree.args.get('kind') or '').upper()}".strip()
    if isinstance(tree, exp.TruncateTable):
        return "TRUNCATE"
    if isinstance(tree, exp.Command):
        return " ".join(str(tree.this).upper().split()[:2])
    return tree.key.upper()


def _targets(tree: exp.Expression) -> list[exp.Table]:
    """The tables a statement changes (or creates, or drops)."""
    if isinstance(tree, exp.Create | exp.Insert):
        target = tree.this
        return [target.this if isinstance(target, exp.Schema) else target]
    if isinstance(tree, exp.Drop):
        tables = tree.args.get("tables") or ([tree.this] if tree.this else [])
        return [t for t in tables if isinstance(t, exp.Table)]
    if isinstance(tree, exp.Alter | exp.Update | exp.Delete | exp.Merge):
        return [tree.this]
    if isinstance(tree, exp.TruncateTable):
        return list(tree.expressions)
    return []


def _check_statement(tree: exp.Expression, workspace: WorkspaceNames, source: str) -> None:
    """Refuse, by name, the statements the workspace does not take."""
    kind = _kind(tree)
    if isinstance(tree, exp.Create):
        properties = tree.args.get("properties")
        props = list(properties.expressions) if properties else []
        if tree.args.get("kind") not in ("TABLE", "VIEW") or any(
            isinstance(p, exp.MaterializedProperty) for p in props
        ):
            what = (
                "CREATE MATERIALIZED VIEW"
                if any(isinstance(p, exp.MaterializedProperty) for p in props)
                else kind
            )
            raise WriteRefused(
                "0A000", f"{what} is not supported in the workspace: create tables and views"
            )
        # Snowflake's `CREATE TABLE t LIKE s` is a property; Redshift's `(LIKE s)` a column entry.
        columns = tree.this.expressions if isinstance(tree.this, exp.Schema) else []
        if any(isinstance(p, exp.LikeProperty) for p in [*props, *columns]):
            raise WriteRefused("0A000", "CREATE TABLE ... LIKE is not supported in the workspace")
    elif isinstance(tree, exp.Drop | exp.Alter):
        if tree.args.get("kind") not in ("TABLE", "VIEW"):
            raise WriteRefused("0A000", f"{kind} is not supported in the workspace")
        if isinstance(tree, exp.Alter):
            for action in tree.args.get("actions") or []:
                if not isinstance(
                    action,
                    exp.AlterRename | exp.ColumnDef | exp.Drop | exp.RenameColumn | exp.AlterColumn,
                ):
                    raise WriteRefused(
                        "0A000",
                        f"ALTER {tree.args.get('kind')} ... {action.key.upper()} is not supported "
                        "in the workspace (rename, add, drop, rename and alter columns are)",
                    )
    elif not isinstance(tree, exp.Insert | exp.Update | exp.Delete | exp.Merge | exp.TruncateTable):
        raise WriteRefused("0A000", f"{kind} is not supported by the endpoint")
    if isinstance(tree, exp.Insert) and tree.args.get("conflict") is not None:
        raise WriteRefused("0A000", f"INSERT ... ON CONFLICT is not {source.capitalize()} SQL")


def _resolve(
    tree: exp.Expression,
    known: list[str],
    qualifiers: frozenset[str],
    catalogs: frozenset[str],
    workspace: WorkspaceNames,
) -> None:
    """Every table named as the engine will know it: generated tables keep their logical name
    (mapped later), workspace objects and temporary tables their reference names. A target
    that is a generated table is refused."""
    known_lower = {k.lower() for k in known}
    targets = {id(t) for t in _targets(tree)}
    ddl = isinstance(tree, exp.Create | exp.Drop | exp.Alter | exp.TruncateTable)
    creates_temporary = isinstance(tree, exp.Create) and any(
        isinstance(p, exp.TemporaryProperty)
        for p in (tree.args.get("properties") or exp.Properties()).expressions
    )
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    renamed = {id(a.this) for a in tree.find_all(exp.AlterRename)}
    # Snowflake's temporary tables live in a schema: one named in the workspace's schema is
    # the session's (DuckDB keeps them apart, in its temp catalog, by their bare names).
    schema_temporary = workspace.source_dialect == "snowflake"
    for table in list(tree.find_all(exp.Table)):
        name = table.name.lower()
        if not name or id(table) in renamed or not isinstance(table.this, exp.Identifier):
            continue
        target = id(table) in targets
        if table.args.get("catalog"):
            if table.catalog.lower() not in catalogs:
                raise WriteRefused("3D000", f"database {table.catalog!r} is not this experiment's")
            table.set("catalog", None)
        schema = table.db.lower()
        # A DDL's REFERENCES names a table as its target does: no alias.
        named = target or table.find_ancestor(exp.Reference) is not None
        alias = not (named and (ddl or isinstance(tree, exp.Insert)))
        if (
            schema_temporary
            and schema == workspace.logical
            and (name in workspace.temporary or (target and creates_temporary))
        ):
            _as_workspace(table, TEMPORARY_REF) if alias else _name_only(table, TEMPORARY_REF)
            continue
        if schema == workspace.logical or (
            not schema and target and isinstance(tree, exp.Create) and not creates_temporary
        ):
            _as_workspace(table) if alias else _name_only(table, WORKSPACE_REF)
            continue
        if schema and schema not in qualifiers:
            raise WriteRefused(
                "3F000",
                f"schema {table.db!r} is not available: the experiment's generated tables are in "
                f"public (read-only), its workspace is {workspace.logical}",
            )
        if not schema and name in ctes and not target:
            continue
        if not schema and (name in workspace.temporary or (target and creates_temporary)):
            _as_workspace(table, TEMPORARY_REF) if alias else _name_only(table, TEMPORARY_REF)
            continue
        if name in known_lower:
            if target:
                raise WriteRefused(
                    "42501",
                    f"{_kind(tree)} on {table.name} is not allowed: the experiment's generated "
                    f"tables are read-only (runs, reset and load change them); write in the "
                    f"{workspace.logical} schema",
                )
            table.set("db", None)
            table.meta["dwsim_generated"] = True
            continue
        if schema:  # public.<not a generated table>
            raise WriteRefused(
                "42P01" if not target else "42501",
                f"{table.db}.{table.name} is not a generated table of this experiment; the "
                f"workspace is {workspace.logical}",
            )
        _as_workspace(table) if alias else _name_only(table, WORKSPACE_REF)


def _name_only(table: exp.Table, prefix: str) -> None:
    table.set("this", exp.to_identifier(prefix + table.name.lower(), quoted=True))
    table.set("db", None)
    table.set("catalog", None)


def _place(
    tree: exp.Expression, resolve: Callable[[str], exp.Table | None], workspace: WorkspaceNames
) -> None:
    for table in list(tree.find_all(exp.Table)):
        name = table.name
        if name.startswith(WORKSPACE_REF):
            table.set("this", exp.to_identifier(name[len(WORKSPACE_REF) :], quoted=True))
            table.set("db", exp.to_identifier(workspace.physical, quoted=True))
        elif name.startswith(TEMPORARY_REF):
            table.set("this", exp.to_identifier(name[len(TEMPORARY_REF) :], quoted=True))
        elif table._meta and table.meta.get("dwsim_generated"):
            physical = resolve(name)
            if physical is None:
                raise BadRequest(f"unknown table {name!r}")
            replacement = physical.copy()
            replacement.set(
                "alias", table.args.get("alias") or exp.TableAlias(this=exp.to_identifier(name))
            )
            for key in ("joins", "laterals", "pivots", "hints"):
                if table.args.get(key):
                    replacement.set(key, table.args[key])
            table.replace(replacement)
    # `db.schema.table.column`: the table's alias is its name, so the column is `table.column`.
    for column in tree.find_all(exp.Column):
        if column.args.get("db") or column.args.get("catalog"):
            column.set("db", None)
            column.set("catalog", None)


def _physical_design_dropped(tree: exp.Expression, engine: str = ENGINE) -> None:
    properties = tree.args.get("properties")
    if isinstance(properties, exp.Properties):
        kept = [p for p in properties.expressions if not isinstance(p, PHYSICAL_PROPERTIES)]
        properties.set("expressions", kept)
        if not kept:
            tree.set("properties", None)
    for constraint in list(tree.find_all(exp.ColumnConstraint)):
        if isinstance(constraint.args.get("kind"), PHYSICAL_CONSTRAINTS):
            constraint.pop()
    if isinstance(tree, exp.Create) and tree.args.get("no_schema_binding"):
        tree.set("no_schema_binding", None)  # the mock's views are bound: same answers
    for kind in tree.find_all(exp.DataType):
        if kind.this in SUPER_TYPES:
            kind.replace(exp.DataType.build(SUPER_TYPES[kind.this], dialect=engine))
        elif kind.this in (
            exp.DataType.Type.VARCHAR,
            exp.DataType.Type.NVARCHAR,
            exp.DataType.Type.CHAR,
        ):
            params = kind.expressions
            if params and params[0].name.upper() == "MAX":
                kind.set("expressions", [exp.DataTypeParam(this=exp.Literal.number(65535))])


def _merge_inserts_read_the_source(tree: exp.Expression) -> None:
    """In `WHEN NOT MATCHED THEN INSERT ... VALUES (c)`, an unqualified column is the source's
    (there is no target row: https://docs.snowflake.com/en/sql-reference/sql/merge); DuckDB
    finds it ambiguous when the target has a column of that name, so it is qualified."""
    if not isinstance(tree, exp.Merge):
        return
    source = tree.args.get("using")
    name = source.alias_or_name if isinstance(source, exp.Expression) else ""
    whens = tree.args.get("whens")
    if not name or whens is None:
        return
    for when in whens.expressions:
        insert = when.args.get("then")
        if when.args.get("matched") or not isinstance(insert, exp.Insert):
            continue
        values = insert.expression
        for column in list(values.find_all(exp.Column)) if values is not None else []:
            if not column.table:
                column.set("table", exp.to_identifier(name))


def _query_part(tree: exp.Expression) -> exp.Expression | None:
    part = tree.args.get("expression")
    if isinstance(tree, exp.Create | exp.Insert) and isinstance(part, QUERY_ROOTS):
        return part
    return None


def prepare_write(
    sql: str,
    *,
    known: list[str],
    resolve: Callable[[str], exp.Table | None],
    schema: Schema,
    workspace: WorkspaceNames,
    qualifiers: frozenset[str],
    catalogs: frozenset[str],
    source: str = SOURCE,
    engine: str = ENGINE,
) -> PreparedWrite:
    """The engine's SQL for one write of the workspace, or `BadRequest` (`WriteRefused`
    with a SQLSTATE) saying why not. `source`/`engine`: Redshift SQL on PostgreSQL (the
    Redshift endpoint) or Snowflake SQL on the emulator (the Snowflake endpoint)."""
    check_limits(sql)
    tree = parse_statement(sql, source)
    kind = _kind(tree)
    if isinstance(tree, exp.Create) and tree.args.get("kind") == "SCHEMA":
        if tree.this.name.lower() == workspace.logical and tree.args.get("exists"):
            return PreparedWrite("SELECT 1 WHERE false", kind, ddl=False, adds_data=False,
                                 noop=True)  # fmt: skip
        raise WriteRefused(
            "42501",
            f"CREATE SCHEMA is not allowed: the experiment's workspace is the schema "
            f"{workspace.logical}",
        )
    _check_statement(tree, workspace, source)
    check_calls(sql, source)
    mark_origins(tree, sql)
    query = _query_part(tree)
    if query is not None:
        refuse_unsafe(query)
    if source != SOURCE:
        _merge_inserts_read_the_source(tree)
    _resolve(tree, known, qualifiers, catalogs, workspace)
    tree = fold_identifiers(tree, copy=False)
    typed = {**schema, **workspace.schema(tree)}
    query = _query_part(tree)
    if query is not None:
        # SUPER paths (the chain's parsed stage) for Redshift's SQL only, before qualifying.
        query = translate_parsed(query, source, engine_of(engine), typed)
        query.replace(annotate_known(query, typed, source))
    else:
        tree = _best_effort(tree, typed, source)
    tree = coerce_temporal_literals(tree)
    tree = translate(tree, source, engine_of(engine))
    _physical_design_dropped(tree, engine)
    _place(tree, resolve, workspace)
    engine_sql = transpile(tree, engine)
    check_allowed(tree, engine_of(engine), engine, engine_sql)
    if isinstance(tree, exp.Create) and any(
        isinstance(p, exp.TemporaryProperty)
        for p in (tree.args.get("properties") or exp.Properties()).expressions
    ):
        workspace.temporary.add(tree.this.this.name if isinstance(tree.this, exp.Schema)
                                else tree.this.name)  # fmt: skip
    elif isinstance(tree, exp.Drop) and source != SOURCE:
        for table in _targets(tree):
            workspace.temporary.discard(table.name.lower())
    ddl = isinstance(tree, exp.Create | exp.Drop | exp.Alter)
    adds = isinstance(tree, exp.Insert | exp.Update | exp.Merge) or (
        isinstance(tree, exp.Create) and tree.args.get("kind") == "TABLE"
    )
    return PreparedWrite(engine_sql, kind, ddl=ddl, adds_data=adds)
