"""SQL helpers for the worksheet, in the experiment's source dialect: split a script into its
statements (with where each starts), and pretty-print SQL (sqlglot's formatter)."""

from __future__ import annotations

from typing import Any

import sqlglot
from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import TokenType

from dwsim_gateway.deps import ExperimentDep
from dwsim_gateway.show_ddl import experiment_ddl
from dwsim_shared.engines import source_dialect_of
from dwsim_shared.errors import BadRequest
from dwsim_shared.experiment import Experiment
from dwsim_shared.sql_errors import parse_failure

router = APIRouter(tags=["query"])


class SqlText(BaseModel):
    model_config = {
        "extra": "forbid",
        "json_schema_extra": {"examples": [{"sql": "select 1; select 2"}]},
    }

    sql: str = Field(max_length=1_000_000, description="SQL text, one or several statements")


def _dialect(row: Any) -> str:
    return source_dialect_of(row.source_dialect).sqlglot


def _position(text: str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of a character offset."""
    before = text[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


def split_statements(text: str, dialect: str) -> list[dict[str, Any]]:
    """Each statement's own text (as written, comments kept) and where it starts and ends; a
    `;` inside a string, identifier or comment does not split (sqlglot's tokenizer decides)."""
    try:
        tokens = sqlglot.tokenize(text, read=dialect)
    except TokenError as error:
        raise BadRequest(f"cannot split the script: {error}") from None
    statements = []
    start: int | None = None
    end = 0
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON:
            if start is not None:
                statements.append((start, end))
            start = None
            continue
        # A comment before a statement is part of the token's `comments`, not its offsets.
        if start is None:
            start = token.start
        end = token.end + 1
    if start is not None:
        statements.append((start, end))
    answer = []
    for begin, finish in statements:
        line, column = _position(text, begin)
        answer.append(
            {
                "sql": text[begin:finish],
                "start": begin,
                "end": finish,
                "line": line,
                "column": column,
            }
        )
    return answer


@router.post("/{name}/sql/statements")
def statements(row: ExperimentDep, request: SqlText) -> dict[str, Any]:
    """The statements of a script in order, each with its offsets and starting line/column
    (the worksheet runs the one at the cursor, or all of them in turn)."""
    return {"statements": split_statements(request.sql, _dialect(row))}


@router.post("/{name}/sql/format")
def format_sql(row: ExperimentDep, request: SqlText) -> dict[str, Any]:
    """The SQL pretty-printed by sqlglot in the experiment's dialect (statements kept apart by `;`)."""
    dialect = _dialect(row)
    if not request.sql.strip():
        return {"sql": ""}
    try:
        parsed = sqlglot.parse(request.sql, read=dialect)
    except (ParseError, TokenError) as error:
        description, where = parse_failure(error)
        raise BadRequest(
            f"cannot format: the SQL does not parse in {row.source_dialect} "
            f"({description or 'syntax error'})",
            **where,
        ) from None
    pretty = [e.sql(dialect=dialect, pretty=True) for e in parsed if e is not None]
    return {"sql": ";\n\n".join(pretty) + (";" if len(pretty) > 1 else "")}


@router.get("/{name}/ddl")
def show_ddl(row: ExperimentDep) -> dict[str, Any]:
    """The experiment's tables as CREATE TABLE statements in its source dialect (types as the
    imported DDL spelled them, NOT NULL, keys); importing them gives the same tables back."""
    experiment = Experiment.model_validate(row.schema_json)
    return {"dialect": row.source_dialect, "ddl": experiment_ddl(experiment)}
