"""Ceilings on what one request may ask for: rows and shards of a run, size and shape of DDL.

Each refusal names the limit and the setting that raises it, and is raised before any work.
"""

from __future__ import annotations

from sqlglot.errors import TokenError
from sqlglot.tokens import Tokenizer, TokenType

from dwsim_shared.errors import BadRequest, InvalidInput
from dwsim_shared.settings import Settings


def check_run_size(row_targets: dict[str, int], shard_size: int, settings: Settings) -> None:
    """422 when a run would hold more rows or shards than the configured ceilings."""
    rows = sum(row_targets.values())
    if rows > settings.max_rows_per_run:
        raise InvalidInput(
            f"rows: a run may hold at most {settings.max_rows_per_run:,} rows in all "
            f"(DWSIM_MAX_ROWS_PER_RUN); this one asks for {rows:,}",
            path="rows", limit=settings.max_rows_per_run, requested=rows,
        )  # fmt: skip
    shards = sum(max(1, -(-n // shard_size)) for n in row_targets.values())
    if shards > settings.max_shards_per_run:
        raise InvalidInput(
            f"shard_size: a run may have at most {settings.max_shards_per_run:,} shards "
            f"(DWSIM_MAX_SHARDS_PER_RUN); {rows:,} rows in shards of {shard_size:,} make "
            f"{shards:,}: use a larger shard_size",
            path="shard_size", limit=settings.max_shards_per_run, requested=shards,
        )  # fmt: skip


def check_ddl_size(sql: str, settings: Settings) -> None:
    """400 for DDL longer, with more statements or nested deeper than the limits allow, found by
    the tokenizer (a loop, so no input can exhaust the stack before the parser sees it)."""
    if len(sql) > settings.ddl_max_chars:
        raise BadRequest(
            f"DDL is {len(sql):,} characters long; the limit is {settings.ddl_max_chars:,} "
            "(DWSIM_DDL_MAX_CHARS)",
            limit=settings.ddl_max_chars,
        )
    try:
        tokens = Tokenizer().tokenize(sql)
    except TokenError:
        return  # the parser reports the syntax error with its position
    statements = 1 + sum(1 for t in tokens if t.token_type == TokenType.SEMICOLON)
    if statements > settings.ddl_max_statements:
        raise BadRequest(
            f"DDL has {statements:,} statements; the limit is {settings.ddl_max_statements:,} "
            "(DWSIM_DDL_MAX_STATEMENTS)",
            limit=settings.ddl_max_statements,
        )
    depth = 0
    for token in tokens:
        if token.token_type in (TokenType.L_PAREN, TokenType.L_BRACKET):
            depth += 1
            if depth > settings.ddl_max_depth:
                raise BadRequest(
                    f"DDL nests parentheses more than {settings.ddl_max_depth} deep at line "
                    f"{token.line}, column {token.col} (DWSIM_DDL_MAX_DEPTH)",
                    limit=settings.ddl_max_depth, line=token.line, column=token.col,
                )  # fmt: skip
        elif token.token_type in (TokenType.R_PAREN, TokenType.R_BRACKET):
            depth = max(0, depth - 1)
