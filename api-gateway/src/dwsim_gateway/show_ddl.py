"""An experiment as CREATE TABLE statements in its source dialect ("Show DDL"): each column's
type as the DDL spelled it (else the schema language's type), NOT NULL, primary, unique and
foreign keys. Generation rules have no place in DDL and are left out."""

from __future__ import annotations

from sqlglot import exp

from dwsim_shared.engines import source_dialect_of
from dwsim_shared.experiment import Column, Experiment, Table


def _name(name: str, dialect: str) -> str:
    # Quoted only where the name needs it, as a user writes DDL.
    plain = name.isidentifier() and name.lower() == name
    return exp.to_identifier(name, quoted=not plain).sql(dialect=dialect)


def _names(names: list[str], dialect: str) -> str:
    return ", ".join(_name(n, dialect) for n in names)


def _type(column: Column) -> str:
    if column.source_type:
        return column.source_type
    if column.data_type in ("VARCHAR", "CHAR") and column.varchar_length:
        return f"{column.data_type}({column.varchar_length})"
    return str(column.data_type)


def table_ddl(table: Table, dialect: str) -> str:
    lines = [
        f"{_name(c.name, dialect)} {_type(c)}{'' if c.nullable else ' NOT NULL'}"
        for c in table.columns
    ]
    if table.primary_key:
        lines.append(f"PRIMARY KEY ({_names(table.primary_key, dialect)})")
    lines += [f"UNIQUE ({_names(u, dialect)})" for u in table.unique_constraints or []]
    links = [
        ([c.name], c.foreign_key.references_table, [c.foreign_key.references_column])
        for c in table.columns
        if c.foreign_key is not None
    ]
    links += [
        (k.columns, k.references_table, k.references_columns) for k in table.foreign_keys or []
    ]
    lines += [
        f"FOREIGN KEY ({_names(mine, dialect)}) REFERENCES {_name(parent, dialect)} "
        f"({_names(theirs, dialect)})"
        for mine, parent, theirs in links
    ]
    body = ",\n".join(f"  {line}" for line in lines)
    return f"CREATE TABLE {_name(table.name, dialect)} (\n{body}\n);"


def experiment_ddl(experiment: Experiment) -> str:
    dialect = source_dialect_of(experiment.source_dialect).sqlglot
    return "\n\n".join(table_ddl(t, dialect) for t in experiment.tables) + "\n"
