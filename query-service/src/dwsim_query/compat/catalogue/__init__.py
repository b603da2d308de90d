"""The SQL function catalogue, as data (`functions.txt`): per function, the argument forms
each source dialect accepts, the result type rule, the literal arguments whose meaning is
honoured, the engines that refuse it and the reference page.

`check_calls(sql, dialect)` refuses, by name, a call the source itself would not accept
(IFF in Redshift SQL, REGEXP_SUBSTR with eight arguments) and a form an engine cannot honour.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from sqlglot.dialects.dialect import Dialect
from sqlglot.tokens import TokenType

from dwsim_query.compat.registry import engine_labels
from dwsim_shared.engines import SOURCE_DIALECTS, semantic_sources
from dwsim_shared.errors import BadRequest

SOURCES = semantic_sources()
LABELS = {name: SOURCE_DIALECTS[name].label for name in SOURCES}
ENGINE_LABELS = engine_labels()
# Literal arguments whose meaning is honoured on every engine (or refused by name there).
LITERALS = {
    "REGEXP_SUBSTR": {"redshift": "parameters c i e p", "snowflake": "parameters c i m e s"},
    "REGEXP_COUNT": {"redshift": "parameters c i p", "snowflake": "parameters c i m e s"},
    "REGEXP_INSTR": {"redshift": "parameters c i e p", "snowflake": "parameters c i m e s"},
    "REGEXP_REPLACE": {"redshift": "parameters c i p", "snowflake": "parameters c i m e s"},
    "REGEXP_LIKE": {"snowflake": "parameters c i m e s"},
    "RLIKE": {"snowflake": "parameters c i m e s"},
    "ROUND": {"snowflake": "rounding mode HALF_AWAY_FROM_ZERO, HALF_TO_EVEN"},
    "INITCAP": {"snowflake": "delimiters (any characters)"},
    "DATE_PART": {"redshift": "every part, ms/us/decade/century/millennium/epoch included"},
}
# Engines that refuse a function (or a form of it), with the reason.
REFUSED = {
    ("TO_HEX", "snowflake"): "the emulator answers the decimal digits",
    ("REGEXP_SUBSTR", "snowflake"): "parameters 'p' (RE2 is not PCRE)",
    ("REGEXP_REPLACE", "snowflake"): "a position other than 1 or an occurrence other than 0",
    ("SHA1", "postgres"): "PostgreSQL has no SHA-1 without pgcrypto",
    **{("MONTHS_BETWEEN", e): "its fractional months are not carried yet" for e in ENGINE_LABELS},
    **{("CRC32", e): "not carried yet" for e in ENGINE_LABELS},
    **{("FNV_HASH", e): "not carried yet" for e in ENGINE_LABELS},
}
# What to write instead, in the other dialect.
INSTEAD = {
    "IFF": "CASE WHEN ... THEN ... ELSE ... END",
    "IFNULL": "NVL or COALESCE",
    "ZEROIFNULL": "COALESCE(x, 0)",
    "NULLIFZERO": "NULLIF(x, 0)",
    "DIV0": "CASE WHEN divisor = 0 THEN 0 ELSE x / divisor END",
    "DIV0NULL": "CASE WHEN divisor = 0 OR divisor IS NULL THEN 0 ELSE x / divisor END",
    "STRPOS": "POSITION or CHARINDEX",
    "BTRIM": "TRIM",
    "BOOL_AND": "BOOLAND_AGG",
    "BOOL_OR": "BOOLOR_AGG",
    "BOOLAND_AGG": "BOOL_AND",
    "BOOLOR_AGG": "BOOL_OR",
    "COUNT_IF": "SUM(CASE WHEN ... THEN 1 ELSE 0 END)",
    "CONTAINS": "POSITION(...) > 0",
    "STARTSWITH": "LIKE 'prefix%'",
    "ENDSWITH": "LIKE '%suffix'",
    "TO_VARCHAR": "TO_CHAR",
    "TRUNCATE": "TRUNC",
    "SQUARE": "POWER(x, 2)",
    "ARRAY_AGG": "LISTAGG",
    "YEAR": "EXTRACT(year FROM ...)",
    "MONTH": "EXTRACT(month FROM ...)",
    "DAY": "EXTRACT(day FROM ...)",
}
# Reference pages whose address does not follow the vendor's usual pattern.
REDSHIFT_PAGES = {
    "REGEXP_SUBSTR": "REGEXP_SUBSTR", "REGEXP_COUNT": "REGEXP_COUNT",
    "REGEXP_INSTR": "REGEXP_INSTR", "REGEXP_REPLACE": "REGEXP_REPLACE",
    "DATE_PART": "r_DATE_PART_function", "NULLIF": "r_NULLIF_function",
    "NVL": "r_NVL_function", "NVL2": "r_NVL2", "DATEADD": "r_DATEADD_function",
    "DATEDIFF": "r_DATEDIFF_function", "DATE_TRUNC": "r_DATE_TRUNC", "SHA1": "SHA1",
    "SHA2": "SHA2", "CRC32": "crc32-function", "FNV_HASH": "r_FNV_HASH",
    "GREATEST": "r_GREATEST_LEAST", "LEAST": "r_GREATEST_LEAST",
}  # fmt: skip
_STOP = {TokenType.FROM, TokenType.IN, TokenType.FOR, TokenType.ALIAS, TokenType.USING}


@dataclass(frozen=True)
class Entry:
    name: str
    family: str
    forms: dict[str, frozenset[int] | None]  # per dialect: argument counts (None: any)
    result: str
    literals: dict[str, str] = field(default_factory=dict)

    def in_dialect(self, dialect: str) -> bool:
        return dialect in self.forms

    def doc(self, dialect: str) -> str:
        if dialect == "redshift":
            page = REDSHIFT_PAGES.get(self.name, f"r_{self.name}")
            return f"https://docs.aws.amazon.com/redshift/latest/dg/{page}.html"
        return f"https://docs.snowflake.com/en/sql-reference/functions/{self.name.lower()}"

    def status(self, engine: str) -> str:
        reason = REFUSED.get((self.name, engine))
        return f"refused: {reason}" if reason else "yes"


def _forms(spec: str) -> frozenset[int] | None:
    if spec.endswith("+"):
        return None if spec == "0+" else frozenset(range(int(spec[:-1]), 64))
    counts: set[int] = set()
    for part in spec.split(","):
        low, _, high = part.partition("-")
        counts.update(range(int(low), int(high or low) + 1))
    return frozenset(counts)


@cache
def catalogue() -> dict[str, Entry]:
    text = resources.files(__package__).joinpath("functions.txt").read_text(encoding="utf-8")
    entries: dict[str, Entry] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, family, redshift, snowflake, result = shlex.split(line)
        forms = {
            dialect: _forms(spec)
            for dialect, spec in (("redshift", redshift), ("snowflake", snowflake))
            if spec != "-"
        }
        entries[name] = Entry(name, family, forms, result, LITERALS.get(name, {}))
    return entries


def _calls(sql: str, dialect: str) -> list[tuple[str, int | None, int, int]]:
    """(NAME, argument count or None for keyword forms, line, column) of each call."""
    tokens = Dialect.get_or_raise(dialect).tokenize(sql)
    found = []
    for index, token in enumerate(tokens[:-1]):
        if tokens[index + 1].token_type != TokenType.L_PAREN:
            continue
        if token.token_type in (TokenType.IDENTIFIER, TokenType.STRING, TokenType.NUMBER):
            continue
        depth, commas, empty, keyword = 0, 0, True, False
        for inner in tokens[index + 1 :]:
            if inner.token_type == TokenType.L_PAREN:
                depth += 1
                if depth == 1:
                    continue
            elif inner.token_type == TokenType.R_PAREN:
                depth -= 1
                if depth == 0:
                    break
            if depth == 1 and inner.token_type == TokenType.COMMA:
                commas += 1
            elif depth == 1 and inner.token_type in _STOP:
                keyword = True
            empty = False
        count = None if keyword else (0 if empty else commas + 1)
        found.append((token.text.upper(), count, token.line, token.col - len(token.text) + 1))
    return found


def check_calls(sql: str, dialect: str) -> None:
    """Refuse a catalogued function the source dialect does not have, or not in that form."""
    if dialect not in SOURCES:
        return
    entries = catalogue()
    for name, count, line, column in _calls(sql, dialect):
        entry = entries.get(name)
        if entry is None:
            continue
        place = f" (line {line}, column {column})"
        if not entry.in_dialect(dialect):
            other = next(d for d in SOURCES if d != dialect)
            hint = f": use {INSTEAD[name]}" if name in INSTEAD else ""
            raise BadRequest(
                f"{name} is {LABELS[other]} SQL; this experiment is {LABELS[dialect]}{place}{hint}",
                construct=name, line=line, column=column,
            )  # fmt: skip
        forms = entry.forms[dialect]
        if count is not None and forms is not None and count not in forms:
            accepted = ", ".join(str(n) for n in sorted(forms)[:8])
            raise BadRequest(
                f"{name} with {count} argument{'s' if count != 1 else ''} is not "
                f"{LABELS[dialect]} SQL{place}: it takes {accepted}",
                construct=name, line=line, column=column,
            )  # fmt: skip
