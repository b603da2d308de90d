"""CREATE TABLE statements -> table drafts: columns, types, nullability, defaults, sequences,
keys and foreign keys as written (resolved later by `constraints`), and warehouse options."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from dwsim_shared.ddl.names import TableRef, fold, model_name, unique_name
from dwsim_shared.ddl.options import (
    add_column_option,
    literal,
    property_options,
    redshift_options,
)
from dwsim_shared.ddl.statements import Statement
from dwsim_shared.ddl.types import map_type, spelled_type
from dwsim_shared.experiment import INTEGER_TYPES

SEQUENCE_TYPES = INTEGER_TYPES | {"DECIMAL"}


@dataclass
class ForeignKeyDraft:
    """A foreign key as written: child columns (model names), parent reference and columns."""

    columns: list[str]
    parent: TableRef
    parent_columns: list[str] | None  # folded names; None = the parent's primary key
    line: int  # of the statement that declared it


@dataclass
class TableDraft:
    """A table being imported; `columns` are model column documents in DDL order."""

    name: str
    ref: TableRef
    line: int
    columns: list[dict[str, Any]] = field(default_factory=list)
    primary_key: list[str] | None = None
    unique: list[list[str]] = field(default_factory=list)
    foreign_keys: list[ForeignKeyDraft] = field(default_factory=list)
    checks: list[exp.Expr] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    sequence_defaults: dict[str, TableRef] = field(default_factory=dict)
    folded: dict[str, str] = field(default_factory=dict)  # folded DDL name (lower) -> model name
    fk_lines: dict[tuple[str, ...], int] = field(default_factory=dict)  # key columns -> line

    def column(self, name: str) -> dict[str, Any] | None:
        """The column a DDL name (or model name) means, case-insensitively."""
        wanted = self.folded.get(name.lower(), name).lower()
        return next((c for c in self.columns if c["name"].lower() == wanted), None)

    def column_name(self, name: str) -> str:
        """The model name of a DDL column name (the name itself when the table lacks it)."""
        col = self.column(name)
        return col["name"] if col is not None else name

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)


def add_column(
    table: TableDraft, coldef: exp.ColumnDef, statement: Statement, sql: str, dialect: str
) -> dict[str, Any]:
    """Append a column (with its inline constraints) to `table`."""
    written = fold(coldef.this)
    valid = model_name(written)
    name = unique_name(valid, {c["name"].lower() for c in table.columns})
    if name != valid:
        table.warn(f"column {written!r} is named {name!r}: names are case-insensitive in the model")
    elif name != written:
        table.warn(f"column {written!r} is named {name!r}: the model allows letters, digits, _, $")
    table.folded[written.lower()] = name
    col: dict[str, Any] = {"name": name, "required": False}
    kind = coldef.kind
    if not isinstance(kind, exp.DataType):
        col.update(data_type="VARCHAR")
        table.warn(f"column {name} has no type: generated as text")
    else:
        spelled = _spelled(coldef, kind, statement, sql, dialect)
        ctype = map_type(kind, dialect, spelled)
        col["data_type"], col["source_type"] = ctype.data_type, spelled
        for key in ("varchar_length", "precision", "scale"):
            if getattr(ctype, key) is not None:
                col[key] = getattr(ctype, key)
        if ctype.serial:
            _sequence(table, col, 1, 1)
        if ctype.warning:
            table.warn(f"column {name}: {ctype.warning}")
    table.columns.append(col)
    for constraint in coldef.constraints:
        _column_constraint(table, col, constraint, dialect, statement.line)
    return col


def _spelled(
    coldef: exp.ColumnDef, kind: exp.DataType, statement: Statement, sql: str, dialect: str
) -> str:
    start = coldef.this.meta.get("start") if isinstance(coldef.this, exp.Identifier) else None
    tokens = statement.tokens
    index = next((i for i, t in enumerate(tokens) if t.start == start), None)
    if index is None:
        return kind.sql(dialect=dialect)
    return spelled_type(sql, tokens, index + 1, kind, dialect)


def _column_constraint(
    table: TableDraft, col: dict[str, Any], constraint: exp.Expr, dialect: str, line: int
) -> None:
    name = col["name"]
    kind = (
        constraint.args.get("kind") if isinstance(constraint, exp.ColumnConstraint) else constraint
    )
    if isinstance(kind, exp.NotNullColumnConstraint):
        col["required"] = not kind.args.get("allow_null")
    elif isinstance(kind, exp.PrimaryKeyColumnConstraint):
        if table.primary_key and name not in table.primary_key:
            table.warn(
                f"several columns are declared PRIMARY KEY: one key ({', '.join(table.primary_key)}, {name})"
            )
        table.primary_key = [*(table.primary_key or []), name]
    elif isinstance(kind, exp.UniqueColumnConstraint):
        table.unique.append([name])
    elif isinstance(kind, exp.DefaultColumnConstraint):
        _default(table, col, kind.this, dialect)
    elif isinstance(
        kind, exp.GeneratedAsIdentityColumnConstraint | exp.AutoIncrementColumnConstraint
    ):
        if isinstance(kind, exp.GeneratedAsIdentityColumnConstraint) and kind.args.get(
            "expression"
        ):
            table.warn(f"column {name} is computed in the warehouse; generated as plain values")
            return
        start = literal(kind.args.get("start"))
        step = literal(kind.args.get("increment"))
        _sequence(table, col, start[1] if start[0] else 1, step[1] if step[0] else 1)
    elif isinstance(kind, exp.Reference):
        parent, columns = _reference(kind)
        table.foreign_keys.append(ForeignKeyDraft([name], parent, columns, line))
    elif isinstance(kind, exp.CheckColumnConstraint):
        table.checks.append(kind.this)
    elif isinstance(kind, exp.CommentColumnConstraint):
        add_column_option(table.options, "column_comments", name, literal(kind.this)[1])
    elif isinstance(kind, exp.EncodeColumnConstraint):
        add_column_option(table.options, "encode", name, kind.this.name.lower())
    elif isinstance(kind, exp.CollateColumnConstraint):
        ok, value = literal(kind.this)
        add_column_option(
            table.options, "collate", name, value if ok else kind.this.sql(dialect=dialect)
        )
    elif isinstance(kind, exp.ComputedColumnConstraint):
        table.warn(f"column {name} is computed in the warehouse; generated as plain values")
    elif kind is not None:
        table.options.setdefault("column_options", {}).setdefault(name, []).append(
            kind.sql(dialect=dialect)
        )


def _sequence(table: TableDraft, col: dict[str, Any], start: Any, step: Any) -> None:
    if (
        col["data_type"] not in SEQUENCE_TYPES
        or not isinstance(start, int)
        or not isinstance(step, int)
        or step == 0
    ):
        table.warn(
            f"column {col['name']}: IDENTITY/AUTOINCREMENT on {col['data_type']} is not generated as a sequence"
        )
        return
    # An identity column is unique and never NULL (Redshift and Postgres make it NOT NULL).
    col.update(sequence={"start": start, "step": step}, is_unique=True, required=True)


def _default(table: TableDraft, col: dict[str, Any], value: exp.Expr, dialect: str) -> None:
    ok, python = literal(value)
    if ok:
        col["default"] = python
        return
    if isinstance(value, exp.Null):
        return
    sequence = _nextval(value)
    if sequence is not None:
        table.sequence_defaults[col["name"]] = sequence
        return
    add_column_option(table.options, "default_expressions", col["name"], value.sql(dialect=dialect))


def _nextval(value: exp.Expr) -> TableRef | None:
    """The sequence of `seq.NEXTVAL` (Snowflake) or `nextval('seq')` (Postgres), or None."""
    if isinstance(value, exp.Column) and value.name.lower() == "nextval" and value.table:
        parts = [fold(p) for p in value.parts[:-1]]
        return TableRef(parts[-1], *(reversed(parts[:-1])))
    if (
        isinstance(value, exp.Anonymous)
        and str(value.this).lower() == "nextval"
        and value.expressions
    ):
        ok, text = literal(value.expressions[0])
        if ok and isinstance(text, str):
            parts = [fold(p) for p in text.split(".")]
            return TableRef(parts[-1], *(reversed(parts[:-1])))
    return None


def _reference(reference: exp.Reference) -> tuple[TableRef, list[str] | None]:
    target = reference.this
    if isinstance(target, exp.Schema):
        columns = [fold(e) for e in target.expressions]
        return TableRef.of(target.this), columns or None
    return TableRef.of(target), None


def key_names(nodes: list[exp.Expr]) -> list[str]:
    return [fold(n) for n in nodes]


def add_table_constraint(table: TableDraft, node: exp.Expr, dialect: str, line: int) -> bool:
    """Record a table-level PRIMARY KEY / UNIQUE / FOREIGN KEY / CHECK; False if not one."""
    if isinstance(node, exp.Constraint):
        return all(add_table_constraint(table, n, dialect, line) for n in node.expressions)
    if isinstance(node, exp.PrimaryKey):
        columns = [table.column_name(n) for n in key_names(node.expressions)]
        if table.primary_key and [c.lower() for c in table.primary_key] != [
            c.lower() for c in columns
        ]:
            table.warn(f"a second PRIMARY KEY ({', '.join(columns)}) is ignored")
        else:
            table.primary_key = columns
    elif isinstance(node, exp.UniqueColumnConstraint):
        schema = node.this
        names = key_names(schema.expressions) if isinstance(schema, exp.Schema) else []
        if names:
            table.unique.append([table.column_name(n) for n in names])
    elif isinstance(node, exp.ForeignKey):
        reference = node.args.get("reference")
        if not isinstance(reference, exp.Reference):
            return False
        parent, targets = _reference(reference)
        child = [table.column_name(n) for n in key_names(node.expressions)]
        table.foreign_keys.append(ForeignKeyDraft(child, parent, targets, line))
    elif isinstance(node, exp.CheckColumnConstraint):
        table.checks.append(node.this)
    else:
        return False
    return True


def table_from_create(statement: Statement, sql: str, dialect: str) -> TableDraft:
    """A draft of the table a `CREATE TABLE name (...)` declares."""
    create = statement.expression
    assert isinstance(create, exp.Create) and isinstance(create.this, exp.Schema)
    ref = TableRef.of(create.this)
    table = TableDraft(name=ref.name, ref=ref, line=statement.line)
    inline: list[tuple[int, str]] = []
    for item in create.this.expressions:
        if isinstance(item, exp.ColumnDef):
            col = add_column(table, item, statement, sql, dialect)
            start = item.this.meta.get("start", -1) if isinstance(item.this, exp.Identifier) else -1
            inline.append((start, col["name"]))
        elif not add_table_constraint(table, item, dialect, statement.line):
            table.warn(f"ignored {item.sql(dialect=dialect)!r}: not a column or a key")
    flagged = []  # Redshift DISTKEY / SORTKEY written on a column: the column before it
    for offset, flag in statement.redshift.column_flags:
        owner = max((c for c in inline if c[0] < offset), default=None)
        if owner is not None:
            flagged.append((owner[1], flag))
    options = (
        redshift_options(statement.redshift, table.column_name, flagged)
        if dialect == "redshift"
        else {}
    )
    options.update(property_options(create, dialect, table.column_name))
    options.update(table.options)
    table.options = options
    return table
