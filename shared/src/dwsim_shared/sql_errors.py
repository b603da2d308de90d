"""Where a SQL text fails to parse, as both services tell the user (line, column, the words)."""

from __future__ import annotations

from typing import Any

from sqlglot.errors import SqlglotError


def parse_failure(error: SqlglotError) -> tuple[str | None, dict[str, Any]]:
    """The first problem a sqlglot error reports: its description, and where it is as the
    details of a `BadRequest` (`line`, `column`, `near`; None where sqlglot does not say)."""
    errors = getattr(error, "errors", None) or [{}]
    first = errors[0]
    where = {"line": first.get("line"), "column": first.get("col"), "near": first.get("highlight")}
    return first.get("description"), where
