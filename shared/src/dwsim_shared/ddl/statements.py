"""Split a DDL script into statements and parse each with sqlglot, keeping positions.

Each statement is parsed on its own, so a warning can name its line; a syntax error becomes
`BadRequest` with the line, the column where the offending text starts, and that text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError, TokenError
from sqlglot.parser import Parser
from sqlglot.tokens import Token, TokenType

from dwsim_shared.ddl.options import RedshiftAttributes, strip_redshift_attributes
from dwsim_shared.errors import BadRequest

TABLE_MODIFIERS = frozenset(
    {"OR", "REPLACE", "TEMP", "TEMPORARY", "LOCAL", "GLOBAL", "TRANSIENT", "VOLATILE",
     "UNLOGGED", "EXTERNAL", "HYBRID", "DYNAMIC", "ICEBERG"}
)  # fmt: skip
SNIPPET = 80
TWO_WORD_COMMANDS = frozenset({"CREATE", "ALTER", "DROP", "COMMENT", "SHOW", "DESCRIBE"})


@dataclass
class Statement:
    """One parsed statement with the tokens it was parsed from."""

    expression: exp.Expr
    tokens: list[Token]
    line: int
    text: str
    redshift: RedshiftAttributes = field(default_factory=RedshiftAttributes)

    @property
    def snippet(self) -> str:
        flat = " ".join(self.text.split())
        return flat if len(flat) <= SNIPPET else flat[: SNIPPET - 3] + "..."

    @property
    def label(self) -> str:
        """What kind of statement this is, e.g. `CREATE VIEW`, `GRANT`, `INSERT`."""
        expr = self.expression
        if isinstance(expr, exp.Create):
            props = expr.args.get("properties")
            materialized = props and any(
                isinstance(p, exp.MaterializedProperty) for p in props.expressions
            )
            return f"CREATE {'MATERIALIZED ' if materialized else ''}{expr.kind or ''}".strip()
        if isinstance(expr, exp.Command):
            words = f"{expr.this} {expr.expression or ''}".upper().split()
            return " ".join(words[:2] if words[0] in TWO_WORD_COMMANDS else words[:1])
        kind = expr.args.get("kind")
        if isinstance(expr, exp.Alter | exp.Drop | exp.Comment) and isinstance(kind, str):
            on = " ON" if isinstance(expr, exp.Comment) else ""
            return f"{expr.key.upper()}{on} {kind.upper()}"
        return expr.key.upper()


def position(sql: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character offset."""
    offset = max(0, min(offset, len(sql)))
    line = sql.count("\n", 0, offset) + 1
    return line, offset - (sql.rfind("\n", 0, offset) + 1) + 1


def _offset(sql: str, line: int, col: int) -> int:
    start = 0
    for _ in range(line - 1):
        found = sql.find("\n", start)
        if found < 0:
            break
        start = found + 1
    return start + col - 1


def syntax_error(sql: str, line: int, column: int, near: str, why: str) -> BadRequest:
    return BadRequest(
        f"syntax error at line {line}, column {column} near {near!r}: {why}",
        line=line,
        column=column,
        near=near,
    )


def _from_parse_error(sql: str, error: ParseError) -> BadRequest:
    info: dict[str, Any] = error.errors[0] if error.errors else {}
    near = str(info.get("highlight") or "")
    line, col = int(info.get("line") or 1), int(info.get("col") or 1)
    # sqlglot points at the last character of the offending token; report where it starts.
    start = _offset(sql, line, col) - max(len(near), 1) + 1
    line, column = position(sql, start)
    why = str(info.get("description") or error).split("\n")[0]
    why = re.sub(r"<class '(?:[\w.]+\.)?(\w+)'>", r"\1", why)
    missing = re.match(r"Required keyword: '\w+' missing for (\w+?)(ColumnConstraint)?$", why)
    if missing:
        why = f"incomplete {missing.group(1).upper()} clause"
    return syntax_error(sql, line, column, near.split("\n")[0], why)


def _from_token_error(sql: str, error: TokenError) -> BadRequest:
    cause = str(error.__cause__ or error)
    found = re.search(r"from \d+:(\d+)", cause)
    offset = int(found.group(1)) if found else (getattr(error, "start", None) or 0)
    line, column = position(sql, offset)
    near = sql[offset : offset + 20].split("\n")[0]
    what = "unterminated string, quoted name or comment" if "Missing" in cause else "bad token"
    return syntax_error(sql, line, column, near, what)


def _parse_as_command(self: Any, start: Token) -> exp.Command:
    # sqlglot keeps what it cannot parse as an opaque command; for CREATE TABLE that would drop
    # the table silently, so point at the first token it could not use instead.
    if getattr(self, "strict_create", False) and self._curr:
        self.raise_error("unsupported syntax in CREATE TABLE", self._curr)
    return Parser._parse_as_command(self, start)


def _warn_unsupported(self: Any) -> None:
    """Skipped statements are reported as import warnings, not logged by sqlglot."""


@cache
def _parser_class(dialect: str) -> type[Parser]:
    base = Dialect.get_or_raise(dialect).parser_class
    methods = {"_parse_as_command": _parse_as_command, "_warn_unsupported": _warn_unsupported}
    return type(f"Strict{base.__name__}", (base,), methods)


def is_create_table(tokens: list[Token]) -> bool:
    if not tokens or tokens[0].token_type != TokenType.CREATE:
        return False
    for token in tokens[1:]:
        if token.token_type == TokenType.TABLE:
            return True
        if token.text.upper() not in TABLE_MODIFIERS:
            return False
    return False


def _chunks(tokens: list[Token]) -> list[list[Token]]:
    chunks: list[list[Token]] = [[]]
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON:
            chunks.append([])
        else:
            chunks[-1].append(token)
    return [c for c in chunks if c]


def split_statements(sql: str, dialect: str) -> list[Statement]:
    """Every statement of `sql`, parsed; raises `BadRequest` at the first syntax error."""
    dialect_obj = Dialect.get_or_raise(dialect)
    try:
        tokens = dialect_obj.tokenize(sql)
    except TokenError as error:
        raise _from_token_error(sql, error) from None
    statements = []
    for chunk in _chunks(tokens):
        text = sql[chunk[0].start : chunk[-1].end + 1]
        line, _ = position(sql, chunk[0].start)
        create_table = is_create_table(chunk)
        attributes = RedshiftAttributes()
        if create_table and dialect == "redshift":
            chunk, attributes = strip_redshift_attributes(chunk)
        parser = _parser_class(dialect)(dialect=dialect_obj)
        parser.strict_create = create_table  # type: ignore[attr-defined]
        try:
            parsed = parser.parse(chunk, sql)
        except ParseError as error:
            raise _from_parse_error(sql, error) from None
        except TokenError as error:
            raise _from_token_error(sql, error) from None
        for expression in parsed:
            if expression is not None:
                statements.append(Statement(expression, chunk, line, text, attributes))
    return statements
