"""Schema-aware translation: columns qualified and every expression typed from the
experiment's declared column types, so rewrites know integers from decimals and dates from
timestamps."""

from __future__ import annotations

from sqlglot import exp
from sqlglot.errors import OptimizeError, SqlglotError
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.qualify import qualify
from sqlglot.schema import MappingSchema

from dwsim_shared.errors import BadRequest

Schema = dict[str, dict[str, str]]


def annotate(tree: exp.Expression, schema: Schema | None, dialect: str) -> exp.Expression:
    """Qualify columns against the schema and annotate types; an unknown column is a 400 that
    lists the columns of the tables in the query."""
    if not schema:
        return annotate_types(tree, dialect=dialect)
    # Names are already folded to quoted lower case: the schema must not be normalized again.
    if dialect == "snowflake":  # a document is a VARIANT there, not JSON text to parse
        schema = {
            t: {c: "VARIANT" if k == "JSON" else k for c, k in cols.items()}
            for t, cols in schema.items()
        }
    mapping = MappingSchema(dict(schema), dialect=dialect, normalize=False)
    try:
        qualified = qualify(
            tree.copy(), schema=mapping, dialect=dialect, quote_identifiers=False,
            identify=False, validate_qualify_columns=True,
        )  # fmt: skip
    except OptimizeError as error:
        message = str(error).split(". Line")[0]
        lateral = tree.find(exp.Lateral, exp.Unnest, exp.Explode)
        if lateral is None and ("could not be resolved" in message or "Unknown column" in message):
            tables = sorted({t.name for t in tree.find_all(exp.Table) if t.name in schema})
            columns = sorted({c for t in tables for c in schema[t]})
            column = message.split("'")[1] if "'" in message else message
            raise BadRequest(
                f"unknown column {column!r}; columns of {', '.join(tables) or 'the tables'}: "
                f"{', '.join(columns)}",
                column=column,
                columns=columns,
            ) from error
        return _best_effort(tree, schema, dialect)
    except SqlglotError:
        return _best_effort(tree, schema, dialect)
    return annotate_types(qualified, schema=mapping, dialect=dialect)


def _best_effort(tree: exp.Expression, schema: Schema, dialect: str) -> exp.Expression:
    """When the qualifier cannot follow a query (table functions), a column still gets its
    declared type where its name belongs to one table of the query only."""
    tree = annotate_types(tree, dialect=dialect)
    tables = {t.name for t in tree.find_all(exp.Table) if t.name in schema}
    for column in tree.find_all(exp.Column):
        owners = [t for t in tables if column.name in schema[t]]
        if len(owners) == 1:
            column.type = exp.DataType.build(schema[owners[0]][column.name], dialect=dialect)
    return tree
