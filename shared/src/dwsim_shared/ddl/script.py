"""A whole DDL script -> table drafts: CREATE TABLE, ALTER TABLE, COMMENT ON and CREATE SEQUENCE
are used; every other statement is skipped with a warning that names it."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlglot import exp

from dwsim_shared.ddl.constraints import find_table
from dwsim_shared.ddl.names import TableRef, fold, model_name, unique_name
from dwsim_shared.ddl.options import add_column_option, literal
from dwsim_shared.ddl.statements import Statement
from dwsim_shared.ddl.tables import (
    SEQUENCE_TYPES,
    TableDraft,
    add_column,
    add_table_constraint,
    table_from_create,
)


@dataclass
class Script:
    """What a script declares: tables in order, notes on unused statements, sequences."""

    tables: list[TableDraft] = field(default_factory=list)
    notes: list[tuple[int, str]] = field(default_factory=list)  # (line, warning)
    sequences: dict[TableRef, tuple[Statement, int, int]] = field(default_factory=dict)

    def skip(self, statement: Statement, why: str = "") -> None:
        reason = f" ({why})" if why else ""
        self.notes.append(
            (
                statement.line,
                f"skipped {statement.label} at line {statement.line}{reason}: {statement.snippet}",
            )
        )

    @property
    def warnings(self) -> list[str]:
        return [message for _, message in sorted(self.notes, key=lambda n: n[0])]


def _has_columns(create: exp.Create) -> bool:
    schema = create.this
    return isinstance(schema, exp.Schema) and any(
        isinstance(e, exp.ColumnDef) for e in schema.expressions
    )


def _add_table(script: Script, statement: Statement, table: TableDraft) -> None:
    create = statement.expression
    same = next((t for t in script.tables if t.ref == table.ref), None)
    if same is not None:
        if create.args.get("replace"):
            table.name = same.name
            script.tables[script.tables.index(same)] = table
            script.notes.append(
                (
                    statement.line,
                    f"CREATE OR REPLACE TABLE {table.ref} at line "
                    f"{statement.line} replaces the one at line {same.line}",
                )
            )
        else:
            script.skip(statement, f"table {table.ref} is already created at line {same.line}")
        return
    wanted = model_name(table.ref.name)
    taken = {t.name.lower() for t in script.tables}
    if wanted.lower() in taken and table.ref.db:
        wanted = model_name(f"{table.ref.db}_{table.ref.name}")
    table.name = unique_name(wanted, taken)
    if table.name.lower() != table.ref.name.lower():
        clash = next((t for t in script.tables if t.name.lower() == table.ref.name.lower()), None)
        why = (
            f"{clash.ref} already has that name"
            if clash
            else "the model allows letters, digits, _, $"
        )
        table.warn(f"table {table.ref} is named {table.name!r}: {why}")
    script.tables.append(table)


def _alter(script: Script, statement: Statement, sql: str, dialect: str) -> None:
    alter = statement.expression
    assert isinstance(alter, exp.Alter)
    ref = TableRef.of(alter.this)
    table = find_table(script.tables, ref)
    if table is None:
        script.skip(statement, f"table {ref} is not created in this DDL")
        return
    unused = []
    for action in alter.args.get("actions") or []:
        if isinstance(action, exp.AddConstraint):
            unused += [
                c
                for c in action.expressions
                if not add_table_constraint(table, c, dialect, statement.line)
            ]
        elif isinstance(action, exp.ColumnDef):
            if table.column(fold(action.this)) is None:
                add_column(table, action, statement, sql, dialect)
        else:
            unused.append(action)
    if unused:
        script.skip(statement, "only ADD CONSTRAINT and ADD COLUMN are used")


def _comment(script: Script, statement: Statement) -> None:
    comment = statement.expression
    target = comment.this
    ok, text = literal(comment.expression)
    kind = str(comment.args.get("kind") or "").upper()
    if kind == "COLUMN" and isinstance(target, exp.Column):
        ref = TableRef(
            fold(target.args.get("table")),
            fold(target.args.get("db")),
            fold(target.args.get("catalog")),
        )
        table = find_table(script.tables, ref)
        col = table.column(fold(target.this)) if table else None
        if table is not None and col is not None and ok:
            add_column_option(table.options, "column_comments", col["name"], text)
            return
    elif kind == "TABLE":
        table = find_table(script.tables, TableRef.of(target))
        if table is not None and ok:
            table.options["comment"] = text
            return
    script.skip(statement, "its table or column is not created in this DDL")


def _sequence(script: Script, statement: Statement) -> None:
    create = statement.expression
    start, step = 1, 1
    props = create.args.get("properties")
    for prop in props.expressions if props else []:
        if isinstance(prop, exp.SequenceProperties):
            start = _int(prop.args.get("start"), start)
            step = _int(prop.args.get("increment"), step)
    script.sequences[TableRef.of(create.this)] = (statement, start, step)


def _int(node: exp.Expr | None, default: int) -> int:
    ok, value = literal(node)
    return value if ok and isinstance(value, int) else default


def _sequence_defaults(script: Script) -> None:
    """`DEFAULT seq.NEXTVAL` columns become sequences (start and step from CREATE SEQUENCE)."""
    used: set[TableRef] = set()
    for table in script.tables:
        for name, ref in table.sequence_defaults.items():
            col = table.column(name)
            found = next((r for r in script.sequences if r.matches(ref)), None)
            _, start, step = script.sequences[found] if found else (None, 1, 1)
            if found:
                used.add(found)
            if col is None or col["data_type"] not in SEQUENCE_TYPES:
                continue
            col.setdefault("sequence", {"start": start, "step": step})
            col["is_unique"] = True
    for ref, (statement, _, _) in script.sequences.items():
        if ref not in used:
            script.skip(statement)


def read_script(statements: list[Statement], sql: str, dialect: str) -> Script:
    """The tables a script creates, and a warning for every statement it does not use."""
    script = Script()
    for statement in statements:
        expr = statement.expression
        kind = str(expr.args.get("kind") or "").upper()
        if isinstance(expr, exp.Create) and kind == "TABLE":
            if _has_columns(expr):
                _add_table(script, statement, table_from_create(statement, sql, dialect))
            else:
                script.skip(statement, "its columns are not declared")
        elif isinstance(expr, exp.Create) and kind == "SEQUENCE":
            _sequence(script, statement)
        elif isinstance(expr, exp.Alter) and kind == "TABLE":
            _alter(script, statement, sql, dialect)
        elif isinstance(expr, exp.Comment) and kind in ("TABLE", "COLUMN"):
            _comment(script, statement)
        else:
            script.skip(statement)
    _sequence_defaults(script)
    return script
