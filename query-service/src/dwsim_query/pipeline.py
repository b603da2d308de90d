"""SQL pipeline: parse (source dialect) -> safety checks -> tables by scope -> the compat
chain's parsed stage (SUPER paths) -> types from the experiment's schema -> the compat chain's
rewrites (one chain per engine) -> physical names -> allowlist -> transpile (engine).

Each step is a pure function over sqlglot expressions, so each is tested alone.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, ParseError, SqlglotError, UnsupportedError
from sqlglot.optimizer.scope import traverse_scope
from sqlglot.tokens import Token, TokenType

from dwsim_query import compat
from dwsim_query.compat.allowlist import unknown_constructs
from dwsim_query.compat.catalogue import LABELS as SOURCE_LABELS
from dwsim_query.compat.catalogue import SOURCES as CATALOGUE_SOURCES
from dwsim_query.compat.catalogue import catalogue, check_calls, check_operators
from dwsim_query.compat.nodes import Refusal
from dwsim_query.compat.registry import (
    ColumnTypes,
    engine_labels,
    engine_of,
    mark_origins,
    origin_of,
)
from dwsim_query.compat.schema import Schema, _best_effort, annotate
from dwsim_query.grouping_sets import expand_grouping_sets
from dwsim_query.results import ResultColumn, describe, name_derived_columns, projection_names
from dwsim_query.session_functions import answer_session_functions
from dwsim_query.structure import (
    coerce_temporal_literals,
    name_tables_by_themselves,
    set_operands_as_selects,
    values_as_selects,
    values_tables,
)
from dwsim_query.value_limits import ValueLimits, bound_values
from dwsim_shared.engines import source_dialect_of
from dwsim_shared.errors import BadRequest
from dwsim_shared.sql_errors import parse_failure

READ_ROOTS = (exp.Select, exp.Union, exp.Intersect, exp.Except, exp.Subquery)
MAX_SQL_CHARS = 100_000
MAX_NESTING = (
    40  # parentheses: beyond real reports, within what the parser and optimizer recurse through
)
CTE_REF = "dwsim_cte_ref"
log = logging.getLogger(__name__)

TableResolver = Callable[[str], exp.Table | None]
# While a statement is checked and typed, a workspace object or a session's temporary table is
# named by one of these prefixes (so a workspace table named like a generated one stays apart);
# `rewrite_tables` gives it its place.
WORKSPACE_REF = "dwsim_ws__"
TEMPORARY_REF = "dwsim_tmp__"


@dataclass
class WorkspaceNames:
    """An experiment's workspace as statements name it: the schema `logical` (the physical
    schema `physical`), its objects and their column types read by `lookup` when a statement
    first needs them, and the session's temporary tables (wire endpoints only)."""

    logical: str
    physical: str
    lookup: Callable[[], dict[str, dict[str, str]]]
    temporary: set[str] = field(default_factory=set)
    _objects: dict[str, dict[str, str]] | None = None
    # How `lookup` spells column types, and the dialect statements are typed in.
    type_dialect: str = "postgres"
    source_dialect: str = "redshift"

    def objects(self, refresh: bool = False) -> dict[str, dict[str, str]]:
        if self._objects is None or refresh:
            self._objects = {k.lower(): v for k, v in self.lookup().items()}
        return self._objects

    @property
    def loaded(self) -> bool:
        return self._objects is not None

    def forget(self) -> None:
        """After DDL: the objects are read again when next needed."""
        self._objects = None

    def schema(self, tree: exp.Expression) -> Schema:
        """The column types of the workspace objects `tree` names, under their reference
        names (PostgreSQL's type names, as sqlglot reads them)."""
        wanted = {
            t.name[len(WORKSPACE_REF) :] for t in tree.find_all(exp.Table)
            if t.name.startswith(WORKSPACE_REF)
        }  # fmt: skip
        if not wanted:
            return {}
        objects = self.objects()
        out: Schema = {}
        for name in wanted:
            columns = objects.get(name)
            if columns is None:
                continue
            typed = {}
            for column, kind in columns.items():
                try:
                    built = exp.DataType.build(kind, dialect=self.type_dialect)
                    typed[column] = built.sql(self.source_dialect)
                except (SqlglotError, ValueError):
                    typed[column] = "UNKNOWN"
            out[WORKSPACE_REF + name] = typed
        return out


def annotate_known(tree: exp.Expression, schema: Schema | None, dialect: str) -> exp.Expression:
    """`annotate`, when every table the query reads has known columns; else typed as far as
    the known ones go (a temporary table, or a workspace object the same transaction made)."""
    if schema and any(
        t.name.startswith((WORKSPACE_REF, TEMPORARY_REF)) and t.name not in schema
        for t in tree.find_all(exp.Table)
    ):
        return _best_effort(tree, schema, dialect)
    return annotate(tree, schema, dialect)


def _as_workspace(table: exp.Table, prefix: str = WORKSPACE_REF) -> None:
    """Name `table` by its reference name (its own name as alias, so `t.col` still reads)."""
    name = table.name
    if not table.args.get("alias"):
        table.set("alias", exp.TableAlias(this=exp.to_identifier(name)))
    table.set("this", exp.to_identifier(prefix + name.lower(), quoted=True))
    table.set("db", None)
    table.set("catalog", None)


_CLASS_NAMES = re.compile(r"<class '[^']*'>|sqlglot\.[\w.]+")


def check_limits(sql: str) -> None:
    """Length and nesting limits, checked on the text before any parsing."""
    if len(sql) > MAX_SQL_CHARS:
        raise BadRequest(
            f"the query is {len(sql)} characters long; the limit is {MAX_SQL_CHARS}",
            limit="max_sql_chars",
        )
    depth = deepest = 0
    quote: str | None = None
    for ch in sql:
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"`":
            quote = ch
        elif ch == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif ch == ")":
            depth -= 1
    if deepest > MAX_NESTING:
        raise BadRequest(
            f"the query nests parentheses {deepest} deep; the limit is {MAX_NESTING}",
            limit="max_nesting",
        )


def _plain(message: str) -> str:
    """A parser message without library class names."""
    message = message.replace(
        "Required keyword: 'expression' missing for", "an operand is missing for"
    )
    return _CLASS_NAMES.sub("an expression", message)


def _unknown_opening(sql: str, dialect: str) -> Token | None:
    """The first token when it is a plain word, which no statement starts with."""
    try:
        tokens = sqlglot.Dialect.get_or_raise(dialect).tokenize(sql)
    except SqlglotError:
        return None
    if tokens and tokens[0].token_type == TokenType.VAR:
        return tokens[0]
    return None


def parse_one_read(sql: str, dialect: str) -> exp.Expression:
    """Exactly one statement that only reads, or `BadRequest` saying where and why."""
    opening = _unknown_opening(sql, dialect)
    if opening is not None:  # `SELEC x FROM t`: the parser itself would only notice at FROM
        column = opening.col - len(opening.text) + 1
        raise BadRequest(
            f"SQL syntax error at line {opening.line}, column {column}: {opening.text!r} does not "
            "start a statement; a query starts with SELECT or WITH",
            line=opening.line, column=column, near=opening.text,
        )  # fmt: skip
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    except ParseError as error:
        check_operators(sql, dialect)  # a catalogued operator the parser cannot read: by name
        description, where = parse_failure(error)
        at = f"line {where['line'] or '?'}, column {where['column'] or '?'}"
        raise BadRequest(
            f"SQL syntax error at {at}: {_plain(description or str(error))}",
            **where,
        ) from error
    except SqlglotError as error:  # tokenizer errors: an unterminated string and the like
        raise BadRequest(f"SQL syntax error: {_plain(str(error))}") from error
    if len(statements) != 1:
        raise BadRequest(f"send exactly one statement, not {len(statements)}")
    statement = statements[0]
    if not isinstance(statement, READ_ROOTS):
        kind = statement.key.upper()
        raise BadRequest(f"only SELECT / WITH / set operations are allowed here, not {kind}")
    return statement


def refuse_unsafe(tree: exp.Expression) -> exp.Expression:
    """Refuse writes nested in reads (`SELECT ... INTO`, data-modifying CTEs) and commands.
    Functions are checked later, against the engine's allowlist."""
    for node in tree.walk():
        if isinstance(node, exp.Into):
            raise BadRequest("SELECT ... INTO writes a table; only reads are allowed")
        if isinstance(node, exp.DML | exp.DDL | exp.Command):
            raise BadRequest(f"{node.key.upper()} is not allowed inside a query")
    return tree


def check_tables(
    tree: exp.Expression,
    known: list[str],
    qualifiers: frozenset[str] = frozenset(),
    workspace: WorkspaceNames | None = None,
    catalogs: frozenset[str] = frozenset(),
) -> exp.Expression:
    """Resolve every table by scope: a name is a CTE only where that CTE is visible, so a CTE
    named like a real table never hides a table of that name elsewhere in the query.

    A table qualified by one of `qualifiers` (schema names that stand for the experiment's own
    tables) loses its qualifier and resolves like a bare name; one qualified by the workspace's
    name is a workspace object, and so is a bare name that is no generated table but names a
    workspace object (or the session's temporary table). `catalogs`: database names that stand
    for the experiment (a three-part name's first part)."""
    known_lower = {k.lower() for k in known}
    try:
        scopes = traverse_scope(tree)
    except (SqlglotError, RecursionError) as error:
        raise BadRequest(
            f"cannot resolve the tables of this query: {_plain(str(error))}"
        ) from error
    for scope in scopes:
        for table in scope.tables:
            if not table.name or table.name.startswith((WORKSPACE_REF, TEMPORARY_REF)):
                continue
            if table.args.get("catalog") and table.catalog.lower() in catalogs:
                table.set("catalog", None)
            if not table.args.get("catalog") and table.db.lower() in qualifiers:
                table.set("db", None)
            if (
                workspace is not None
                and not table.args.get("catalog")
                and table.db.lower() == workspace.logical
            ):
                # A temporary table named in the workspace's schema (Snowflake's are in one).
                temporary = (
                    workspace.source_dialect == "snowflake"
                    and table.name.lower() in workspace.temporary
                )
                _as_workspace(table, TEMPORARY_REF if temporary else WORKSPACE_REF)
                continue
            if table.args.get("db") or table.args.get("catalog"):
                raise BadRequest(
                    f"table {table.sql()} is qualified: refer to the experiment's tables by name "
                    f"only (tables: {', '.join(known)})"
                )
            if table.name in scope.cte_sources:
                table.meta[CTE_REF] = True
            elif (
                table.name.lower() not in known_lower
                and workspace is not None
                and (_workspace_name(table, workspace))
            ):
                continue
            elif table.name.lower() not in known_lower:
                raise BadRequest(
                    f"unknown table {table.name!r}; this experiment's tables: {', '.join(known)}",
                    tables=known,
                )
    return tree


def _workspace_name(table: exp.Table, workspace: WorkspaceNames) -> bool:
    """Whether a bare name that is no generated table names a temporary table of the session
    or a workspace object (named so when it does)."""
    name = table.name.lower()
    if name in workspace.temporary:
        _as_workspace(table, TEMPORARY_REF)
        return True
    known_before = workspace.loaded
    objects = workspace.objects()
    if name not in objects and known_before:  # made since it was read: read it again
        objects = workspace.objects(refresh=True)
    if name in objects:
        _as_workspace(table)
        return True
    return False


def rewrite_tables(
    tree: exp.Expression,
    resolve: TableResolver,
    known: list[str],
    *,
    copy: bool = True,
    workspace: WorkspaceNames | None = None,
) -> exp.Expression:
    """Replace each logical table name with its physical table; unknown names are refused.

    An unaliased table keeps its logical name as alias, so `customers.id` still resolves.
    """
    tree = check_tables(tree.copy() if copy else tree, known)
    for table in list(tree.find_all(exp.Table)):
        name = table.name
        if not name or (table._meta and table.meta.get(CTE_REF)):
            continue
        if name.startswith(WORKSPACE_REF):
            if workspace is None:
                raise BadRequest(f"unknown table {name[len(WORKSPACE_REF) :]!r}")
            table.set("this", exp.to_identifier(name[len(WORKSPACE_REF) :], quoted=True))
            table.set("db", exp.to_identifier(workspace.physical, quoted=True))
            continue
        if name.startswith(TEMPORARY_REF):
            table.set("this", exp.to_identifier(name[len(TEMPORARY_REF) :], quoted=True))
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


def fold_identifiers(tree: exp.Expression, *, copy: bool = True) -> exp.Expression:
    """Every identifier in lower case, quoted: physical names are lower case (as Redshift folds
    even quoted names), so `"EmployeeID"`, `EmployeeId` and `employeeid` all name one column."""
    tree = tree.copy() if copy else tree
    for identifier in tree.find_all(exp.Identifier):
        identifier.set("this", identifier.this.lower())
        identifier.set("quoted", True)
    return tree


def _where(node: exp.Expression | None) -> tuple[str | None, int | None, int | None]:
    found = origin_of(node)
    return found if found else (None, None, None)


def _refuse(
    construct: str, engine: str, node: exp.Expression | None, reason: str = ""
) -> BadRequest:
    _words, line, column = _where(node)
    place = f" (line {line}, column {column})" if line else ""
    detail = f": {reason}" if reason else ""
    label = engine_labels()[engine]
    return BadRequest(
        f"{construct} is not supported on the {label} engine{place}{detail}",
        construct=construct, engine=label, line=line, column=column,
    )  # fmt: skip


def translate(tree: exp.Expression, source: str, engine: str) -> exp.Expression:
    """The compat chain of (source, engine); a construct it cannot carry is refused by name."""
    try:
        return compat.apply(tree, source, engine)
    except Refusal as refusal:
        raise _refused(refusal, engine) from refusal


def translate_parsed(
    tree: exp.Expression, dialect: str, engine: str, schema: ColumnTypes
) -> exp.Expression:
    """The compat chain's parsed stage; a construct it cannot carry is refused by name."""
    try:
        return compat.apply_parsed(tree, dialect, engine, schema)
    except Refusal as refusal:
        raise _refused(refusal, engine) from refusal


def _answered(
    tree: exp.Expression, session: Mapping[str, str] | None, engine: str
) -> exp.Expression:
    try:
        return answer_session_functions(tree, session)
    except Refusal as refusal:
        raise _refused(refusal, engine) from refusal


def _refused(refusal: Refusal, engine: str) -> BadRequest:
    words, _, _ = _where(refusal.node)
    construct = refusal.construct
    if words and words.upper() not in construct.upper():
        construct = f"{words.upper()}: {construct}"
    return _refuse(construct, engine, refusal.node, refusal.reason)


def check_allowed(
    tree: exp.Expression,
    engine: str,
    dialect: str,
    sql: str | None = None,
    source: str | None = None,
) -> None:
    """Every function and type the engine would run is on its allowlist; a refusal names the
    source dialect of a catalogued function, and the catalogue's reason."""
    for node in unknown_constructs(tree, engine, dialect, sql):
        words, _, _ = _where(node)
        reason = ""
        if isinstance(node, exp.DataType):
            construct = f"type {node.sql(dialect=dialect)}"
        else:
            construct = (
                words or (node.name if isinstance(node, exp.Anonymous) else node.key)
            ).upper()
            entry = catalogue().get(construct)
            if (
                source is not None
                and source in CATALOGUE_SOURCES
                and entry is not None
                and entry.exists_in(source)
            ):
                status = entry.status(engine, source)
                reason = status.removeprefix("refused: ") if status != "yes" else ""
                construct = f"{construct} ({SOURCE_LABELS[source]} SQL)"
        raise _refuse(construct, engine, node, reason)


def transpile(tree: exp.Expression, engine_dialect: str) -> str:
    """The rewritten query in the engine's dialect; untranslatable SQL is refused, never changed."""
    try:
        return tree.sql(dialect=engine_dialect, unsupported_level=ErrorLevel.RAISE, copy=False)
    except UnsupportedError as error:
        label = engine_labels().get(engine_of(engine_dialect), engine_dialect)
        reason = _plain(str(error).splitlines()[0])
        raise BadRequest(f"cannot translate this query for the {label} engine: {reason}") from error


def mark_formats(tree: exp.Expression, sql: str, dialect: str) -> None:
    """Keep each format model as written: the parser converts it to its own notation, and
    that conversion loses elements (`Dy`); and a third argument TRUE (Redshift's is_strict)."""
    wanted = [
        n for n in tree.walk()
        if isinstance(n, exp.TimeToStr | exp.ToChar | exp.StrToDate | exp.StrToTime
                      | exp.TsOrDsToDate | exp.TsOrDsToTimestamp | exp.TsOrDsToTime)
        and n.args.get("format") is not None and n._meta and "end" in n.meta
    ]  # fmt: skip
    if not wanted:
        return
    tokens = sqlglot.Dialect.get_or_raise(dialect).tokenize(sql)
    for node in wanted:
        depth, commas = 0, 0
        for token in tokens:
            if token.start <= node.meta["end"]:
                continue
            if token.token_type == TokenType.L_PAREN:
                depth += 1
            elif token.token_type == TokenType.R_PAREN:
                depth -= 1
                if depth == 0:
                    break
            elif token.token_type == TokenType.COMMA and depth == 1:
                commas += 1
            elif token.token_type == TokenType.STRING and depth == 1 and commas == 1:
                node.meta["dwsim_format"] = token.text
            elif token.token_type == TokenType.TRUE and depth == 1 and commas == 2:
                node.meta["dwsim_strict"] = True  # Redshift's is_strict (the parser drops it)


def _described(
    names: list[str | None] | None, tree: exp.Expression, source: str
) -> list[ResultColumn]:
    """The result's source names and types; a query whose columns cannot be described still
    runs, named as the engine names them (logged, so the gap is seen)."""
    try:
        return describe(names, tree, source)
    except (SqlglotError, ValueError, TypeError, AttributeError, IndexError) as error:
        log.warning("result columns not described: %s", error)
        return []


@dataclass(frozen=True)
class PreparedSQL:
    """What the engine runs, and the result's columns as the source warehouse names and types
    them (the engine's own names are positional stand-ins)."""

    sql: str
    columns: list[ResultColumn]


def prepare_query(
    sql: str,
    source_dialect: str,
    engine_dialect: str,
    resolve: TableResolver,
    known: list[str],
    schema: Schema | None = None,
    *,
    qualifiers: frozenset[str] = frozenset(),
    workspace: WorkspaceNames | None = None,
    catalogs: frozenset[str] = frozenset(),
    value_limits: ValueLimits | None = None,
    session: Mapping[str, str] | None = None,
) -> PreparedSQL:
    """The whole pipeline: the engine's SQL for the user's `sql`, and its result columns.
    `value_limits`: check value-growing calls against them (`value_limits.bound_values`).
    `session`: the answers of Snowflake's context functions (`session_functions`)."""
    check_limits(sql)
    engine = engine_of(engine_dialect)
    semantics = source_dialect_of(source_dialect).semantics
    try:
        tree = parse_one_read(sql, source_dialect)
        check_calls(sql, source_dialect)
        try:
            names = projection_names(tree, sql, source_dialect, semantics)
            if names is not None and None in names:
                tree = name_derived_columns(tree, source_dialect, semantics)
        except (SqlglotError, ValueError, TypeError, AttributeError, IndexError) as error:
            log.warning("result names not read: %s", error)
            names = None
        mark_origins(tree, sql)
        mark_formats(tree, sql, source_dialect)
        if semantics == "snowflake":
            tree = _answered(tree, session, engine)
        tree = refuse_unsafe(tree)
        tree = check_tables(tree, known, qualifiers, workspace, catalogs)
        tree = fold_identifiers(tree, copy=False)
        if workspace is not None:
            schema = {**(schema or {}), **workspace.schema(tree)}
        tree = values_tables(name_tables_by_themselves(tree), semantics)
        tree = translate_parsed(tree, source_dialect, engine, schema)
        # The qualifier adds aliases in its dialect's case (Snowflake: upper): fold them too.
        tree = fold_identifiers(annotate_known(tree, schema, source_dialect), copy=False)
        columns = _described(names, tree, semantics)
        tree = coerce_temporal_literals(tree)
        tree = translate(tree, semantics, engine)
        tree = bound_values(tree, engine, value_limits)
        tree = rewrite_tables(tree, resolve, known, copy=False, workspace=workspace)
        if engine == "sqlite":
            tree = expand_grouping_sets(values_as_selects(tree))
        if engine in ("sqlite", "snowflake"):
            tree = set_operands_as_selects(tree)
        engine_sql = transpile(tree, engine_dialect)
        check_allowed(tree, engine, engine_dialect, engine_sql, source_dialect)
        return PreparedSQL(engine_sql, columns)
    except RecursionError as error:
        raise BadRequest(
            f"the query is nested too deeply to translate (limit: {MAX_NESTING} levels)",
            limit="max_nesting",
        ) from error
