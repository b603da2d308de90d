"""The SQL function catalogue, as data: every function of the vendors' SQL references
(`vendor_redshift.txt`, `vendor_snowflake.txt`, read from their function lists) and, for the
ones the simulator runs (`functions.txt`), the argument forms each source dialect accepts, the
result type rule, the literal arguments whose meaning is honoured, the engines that refuse a
form and the reference page.

`check_calls(sql, dialect)` refuses, by name, a call the source itself would not accept
(IFF in Redshift SQL, REGEXP_SUBSTR with eight arguments) and a vendor function the simulator
does not run (with the catalogue's reason and the dialect named).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import SqlglotError
from sqlglot.parser import Parser
from sqlglot.tokens import Token, TokenType

from dwsim_query.compat.registry import engine_labels
from dwsim_shared.engines import SOURCE_DIALECTS, semantic_sources
from dwsim_shared.errors import BadRequest

SOURCES = semantic_sources()
LABELS = {name: SOURCE_DIALECTS[name].label for name in SOURCES}
ENGINE_LABELS = engine_labels()
# Number format model elements parsed on every engine (the rest are refused by name).
NUMBER_FORMATS = "format elements 9 0 . D , G $ S MI TM TM9 TME X (up to 15 on the emulator)"
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
    **{
        name: {"snowflake": NUMBER_FORMATS}
        for name in (
            "TO_NUMBER",
            "TO_DECIMAL",
            "TO_NUMERIC",
            "TRY_TO_NUMBER",
            "TRY_TO_DECIMAL",
            "TRY_TO_NUMERIC",
            "TO_DOUBLE",
            "TRY_TO_DOUBLE",
        )
    },
    "TIME_SLICE": {"snowflake": "parts YEAR QUARTER MONTH WEEK DAY HOUR MINUTE SECOND; START, END"},
}
# Engines that refuse a function (or a form of it), with the reason; a key naming a dialect
# too refuses it for that source dialect only.
_OFF_EMULATOR = "not on the emulator's list of checked functions yet"
_OFF_SQLITE = "SQLite has no such function and the pack does not carry it yet"
REFUSED: dict[tuple[str, ...], str] = {
    **{
        (name, "snowflake"): _OFF_EMULATOR
        for name in (
            "ACOS",
            "ASIN",
            "ATAN",
            "ATAN2",
            "COS",
            "SIN",
            "TAN",
            "DEGREES",
            "RADIANS",
            "PI",
            "RANDOM",
            "VAR_POP",
        )
    },
    **{(name, "sqlite"): _OFF_SQLITE for name in ("ASCII", "CBRT", "VAR_POP", "TO_TIMESTAMP_NTZ")},
    # Redshift SQL's OCTET_LENGTH runs everywhere (redshift_functions._octet_length);
    # Snowflake's is not carried yet.
    **{
        ("OCTET_LENGTH", e, "snowflake"): "not carried yet"
        for e in ("sqlite", "postgres", "snowflake")
    },
    ("STRTOL", "snowflake"): "the emulator has no conversion from an arbitrary base",
    ("TEXT_TO_INT_ALT", "snowflake"): "the emulator does not read Teradata-style numbers",
    ("ANY_VALUE", "postgres"): "PostgreSQL 15 has no ANY_VALUE",
    ("SHA1_HEX", "postgres"): "PostgreSQL has no SHA-1 without pgcrypto",
    ("TO_NUMBER", "snowflake"): "a format argument (the emulator reads none)",
    ("GREATEST", "snowflake", "redshift"): "the emulator answers NULL for a NULL argument; "
    "Redshift skips NULLs",
    ("LEAST", "snowflake", "redshift"): "the emulator answers NULL for a NULL argument; "
    "Redshift skips NULLs",
    ("TO_HEX", "snowflake"): "the emulator answers the decimal digits",
    ("REGEXP_SUBSTR", "snowflake"): "parameters 'p' (RE2 is not PCRE)",
    **{
        (name, "postgres"): "PostgreSQL has no SHA-1 without pgcrypto"
        for name in ("SHA1", "SHA", "FUNC_SHA1")
    },
    **{
        ("QUOTE_IDENT", e): "which words need quotes follows PostgreSQL's list of keywords"
        for e in ("sqlite", "snowflake")
    },
    ("EDITDISTANCE", "snowflake"): "the emulator counts bytes, not characters",
    ("SOUNDEX", "snowflake"): "the emulator has no SOUNDEX",
    ("SHA2", "snowflake"): "digest sizes other than 256 (the emulator computes SHA-256 only)",
    **{
        (name, "sqlite"): "SQLite keeps no time zone with a timestamp"
        for name in (
            "DATE_CMP_TIMESTAMPTZ",
            "TIMESTAMP_CMP_TIMESTAMPTZ",
            "TIMESTAMPTZ_CMP",
            "TIMESTAMPTZ_CMP_DATE",
            "TIMESTAMPTZ_CMP_TIMESTAMP",
        )
    },
    **{
        ("INTERVAL_CMP", e): "intervals of months and days are not compared here"
        for e in ("sqlite", "snowflake")
    },
    **{
        (name, "snowflake"): "the emulator's JSON reader accepts trailing commas and NaN"
        for name in ("IS_VALID_JSON", "IS_VALID_JSON_ARRAY", "CAN_JSON_PARSE")
    },
    **{
        (name, "snowflake"): "the emulator cannot rename keys at every depth"
        for name in ("LOWER_ATTRIBUTE_NAMES", "UPPER_ATTRIBUTE_NAMES")
    },
    ("JSON_EXTRACT_ARRAY_ELEMENT_TEXT", "snowflake"): "the emulator cannot tell an invalid "
    "array from a short one",
    ("REGEXP_REPLACE", "snowflake"): "a position other than 1 or an occurrence other than 0",
    ("REGEXP_INSTR", "snowflake"): "parameters 'e' or a group (it answers the whole match)",
    **{("MONTHS_BETWEEN", e): "its fractional months are not carried yet" for e in ENGINE_LABELS},
    **{("CRC32", e): "not carried yet" for e in ENGINE_LABELS},
    ("TO_JSON", "snowflake"): "the emulator cannot sort an OBJECT's keys as Snowflake writes them",
    ("TRY_PARSE_JSON", "snowflake"): "the emulator's JSON reader accepts trailing commas, NaN "
    "and duplicate keys",
    **{("FNV_HASH", e): "not carried yet" for e in ENGINE_LABELS},
}
# Argument forms the source accepts that no engine here honours (the parser drops the argument).
REFUSED_FORMS: dict[tuple[str, str, int | None], str] = {
    ("TRY_PARSE_JSON", "snowflake", 2): "its parameter argument (duplicate keys) is not carried",
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
_NOT_CALLS = {TokenType.IDENTIFIER, TokenType.STRING, TokenType.NUMBER}
_OPENING = {TokenType.L_PAREN, TokenType.L_BRACKET, TokenType.L_BRACE}
_CLOSING = {TokenType.R_PAREN, TokenType.R_BRACKET, TokenType.R_BRACE}
_STOP = {TokenType.FROM, TokenType.IN, TokenType.FOR, TokenType.ALIAS, TokenType.USING}
# Why a vendor function the simulator does not run is refused, per family of the reference.
UNSUPPORTED = "not supported by the simulator"
LEADER_ONLY = "Redshift deprecates it, as it runs on the leader node only"
# Functions the simulator could run but does not yet, with what is missing.
NOT_YET = {
    "ARRAYS_TO_OBJECT": "not carried yet: its checks (string keys, arrays of one length) and "
    "the omission of NULL keys are not written for the engines' JSON",
    "TEXT_TO_NUMERIC_ALT": "not carried yet: its DECIMAL result (precision, scale and "
    "rounding of a Teradata-style number) is not computed exactly on SQLite",
}
REASONS = {
    "ai": "Cortex AI functions need Snowflake's hosted models",
    "context": "the session, account and role context of a warehouse is not simulated",
    "system": "system functions act on a real warehouse account",
    "table": "account history and metadata table functions are not simulated",
    "file": "stages and files are not simulated",
    "dmf": "data metric functions are not simulated",
    "geospatial": "geospatial types are not simulated",
    "vector": "the VECTOR type is not simulated",
    "encryption": "encryption keys are not simulated",
    "notification": "notifications are not simulated",
    "ml": "machine learning models are not simulated",
    "privacy": "differential privacy is not simulated",
    "metadata": "metadata functions act on a real warehouse account",
    "period": "the PERIOD type is not simulated",
    "binary": "the VARBYTE and BINARY types are not simulated",
    "datagen": "generated values differ from the warehouse's own",
}


@dataclass(frozen=True)
class Entry:
    """One function: the dialects that have it and whether the simulator runs it there."""

    name: str
    family: str
    forms: dict[str, frozenset[int] | None]  # per dialect the simulator runs: argument counts
    result: str
    literals: dict[str, str] = field(default_factory=dict)
    pages: dict[str, str] = field(default_factory=dict)  # per dialect: the reference page
    # Dialects whose reference has the function while the simulator refuses it, with why.
    unsupported: dict[str, str] = field(default_factory=dict)
    # Per dialect, as the reference writes them: argument counts and the result's types.
    documented: dict[str, tuple[str, str]] = field(default_factory=dict)

    def in_dialect(self, dialect: str) -> bool:
        """The simulator runs it for this source dialect."""
        return dialect in self.forms

    def exists_in(self, dialect: str) -> bool:
        """The dialect's reference has it (whether or not the simulator runs it)."""
        return dialect in self.forms or dialect in self.unsupported

    def argument_counts(self, dialect: str) -> frozenset[int] | None:
        """The argument counts the simulator runs in `dialect`, else the ones the vendor's
        reference writes (None: any, or not known)."""
        if dialect in self.forms:
            return self.forms[dialect]
        documented = self.documented.get(dialect)
        return _forms(documented[0]) if documented else None

    def doc(self, dialect: str) -> str:
        if dialect == "redshift":
            page = self.pages.get(dialect) or REDSHIFT_PAGES.get(self.name, f"r_{self.name}")
            return f"https://docs.aws.amazon.com/redshift/latest/dg/{page}.html"
        page = self.pages.get(dialect) or self.name.lower()
        return f"https://docs.snowflake.com/en/sql-reference/functions/{page}"

    def status(self, engine: str, dialect: str | None = None) -> str:
        """`yes`, or `refused: why` (for the dialect, when given, else for any form)."""
        if dialect is not None and dialect in self.unsupported:
            return f"refused: {self.unsupported[dialect]}"
        reason = REFUSED.get((self.name, engine, dialect or "")) or REFUSED.get((self.name, engine))
        return f"refused: {reason}" if reason else "yes"


def _forms(spec: str) -> frozenset[int] | None:
    if spec.endswith("+"):
        return None if spec == "0+" else frozenset(range(int(spec[:-1]), 64))
    counts: set[int] = set()
    for part in spec.split(","):
        low, _, high = part.partition("-")
        counts.update(range(int(low), int(high or low) + 1))
    return frozenset(counts)


def _lines(filename: str) -> list[list[str]]:
    text = resources.files(__package__).joinpath(filename).read_text(encoding="utf-8")
    return [shlex.split(line) for line in text.splitlines() if line.strip() and line[0] != "#"]


@cache
def catalogue() -> dict[str, Entry]:
    """Every catalogued function by name: the ones the simulator runs and the vendors' rest."""
    entries: dict[str, Entry] = {}
    for name, family, redshift, snowflake, result in _lines("functions.txt"):
        forms = {
            dialect: _forms(spec)
            for dialect, spec in (("redshift", redshift), ("snowflake", snowflake))
            if spec != "-"
        }
        entries[name] = Entry(name, family, forms, result, LITERALS.get(name, {}))
    for dialect in SOURCES:
        for name, family, page, spec, result in _lines(f"vendor_{dialect}.txt"):
            entry = entries.get(name)
            if entry is None:
                entry = entries[name] = Entry(name, family, {}, result)
            entry.pages[dialect] = page
            entry.documented[dialect] = (spec, result)
            if dialect not in entry.forms:
                entry.unsupported[dialect] = (
                    LEADER_ONLY if page == "c_SQL_functions_leader_node_only"
                    else NOT_YET.get(name) or REASONS.get(family, UNSUPPORTED)
                )  # fmt: skip
    return entries


@dataclass(frozen=True)
class Operator:
    """One operator of the vendors' references (`operators.txt`): its pages, a documented
    example with each source's answer, and the engines that refuse it."""

    symbol: str
    family: str
    pages: dict[str, str]  # per dialect that has it
    example: str  # an expression over the golden table's first row, or a whole query
    answers: dict[str, str]  # per dialect, the source's answer as the file writes it
    refused: dict[str, str] = field(default_factory=dict)  # per engine: why

    def exists_in(self, dialect: str) -> bool:
        return dialect in self.pages

    def doc(self, dialect: str) -> str:
        page = self.pages[dialect]
        if page.startswith("https://"):
            return page
        if dialect == "redshift":
            return f"https://docs.aws.amazon.com/redshift/latest/dg/{page}.html"
        return f"https://docs.snowflake.com/en/{page}"

    def status(self, engine: str) -> str:
        reason = self.refused.get(engine)
        return f"refused: {reason}" if reason else "yes"


@cache
def operators() -> dict[str, Operator]:
    """Every catalogued operator by its symbol (or words: `IS DISTINCT FROM`)."""
    out: dict[str, Operator] = {}
    for symbol, family, redshift, snowflake, example, *answers in _lines("operators.txt"):
        refused: dict[str, str] = {}
        if len(answers) > 2:
            for part in answers[2].split(";"):
                engine, _, reason = part.partition("=")
                refused[engine.strip()] = reason.strip()
        pages = {d: p for d, p in (("redshift", redshift), ("snowflake", snowflake)) if p != "-"}
        told = {d: a for d, a in zip(("redshift", "snowflake"), answers[:2], strict=True)}
        out[symbol] = Operator(symbol, family, pages, example, {d: told[d] for d in pages}, refused)
    return out


# Functions both sources call without parentheses (a keyword, not a column name).
WITHOUT_PARENTHESES = frozenset(
    {"CURRENT_DATE", "CURRENT_TIME", "CURRENT_TIMESTAMP", "SYSDATE", "LOCALTIME", "LOCALTIMESTAMP"}
)


def _merge_insert(tokens: list[Token], index: int) -> bool:
    """Whether the INSERT at `index` is MERGE's clause `THEN INSERT (columns) VALUES (...)`:
    after THEN, and its parenthesis is followed by VALUES (a call of INSERT() never is)."""
    if not index or tokens[index - 1].token_type != TokenType.THEN:
        return False
    depth = 0
    for position in range(index + 1, len(tokens)):
        kind = tokens[position].token_type
        depth += kind == TokenType.L_PAREN
        depth -= kind == TokenType.R_PAREN
        if depth == 0:
            following = tokens[position + 1] if position + 1 < len(tokens) else None
            return following is not None and following.text.upper() == "VALUES"
    return False


def _calls(sql: str, dialect: str) -> list[tuple[str, int | None, int, int]]:
    """(NAME, argument count or None for keyword forms, line, column) of each call."""
    tokens = Dialect.get_or_raise(dialect).tokenize(sql)
    found: list[tuple[str, int | None, int, int]] = []
    for index, token in enumerate(tokens):
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        if following is None or following.token_type != TokenType.L_PAREN:
            before = tokens[index - 1] if index else None
            if (
                token.text.upper() in WITHOUT_PARENTHESES
                and token.token_type not in (TokenType.IDENTIFIER, TokenType.STRING)
                and (before is None or before.token_type != TokenType.DOT)
            ):  # CURRENT_DATE, SYSDATE: a call written without parentheses
                found.append((token.text.upper(), 0, token.line, token.col - len(token.text) + 1))
            continue
        if token.token_type in _NOT_CALLS:
            continue
        if token.token_type == TokenType.INSERT and _merge_insert(tokens, index):
            continue  # MERGE ... WHEN NOT MATCHED THEN INSERT (a, b) VALUES: not INSERT()
        if (
            token.token_type in Parser.TYPE_TOKENS
            and index
            and (
                tokens[index - 1].token_type in (TokenType.ALIAS, TokenType.DCOLON)
                or (index >= 2 and tokens[index - 2].text.upper() == "CONVERT")
            )
        ):
            continue  # a type: CAST(a AS DECIMAL(10, 2)), a::NUMBER(10, 2), CONVERT(CHAR(4), a)
        name, first = token.text.upper(), index
        while first >= 2 and tokens[first - 1].token_type == TokenType.DOT:
            first -= 2  # a qualified name: SNOWFLAKE.CORTEX.COMPLETE
            name = f"{tokens[first].text.upper()}.{name}"
        depth, commas, empty, keyword = 0, 0, True, False
        for inner in tokens[index + 1 :]:
            if inner.token_type in _OPENING:  # an ARRAY or OBJECT constant nests as well
                depth += 1
                if depth == 1:
                    continue
            elif inner.token_type in _CLOSING:
                depth -= 1
                if depth == 0:
                    break
            if depth == 1 and inner.token_type == TokenType.COMMA:
                commas += 1
            elif depth == 1 and inner.token_type in _STOP:
                keyword = True
            empty = False
        count = None if keyword else (0 if empty else commas + 1)
        start = tokens[first]
        found.append((name, count, start.line, start.col - len(start.text) + 1))
    return found


def check_calls(sql: str, dialect: str) -> None:
    """Refuse a catalogued function the source dialect does not have, or not in that form."""
    if dialect not in SOURCES:
        return
    entries = catalogue()
    for name, count, line, column in _calls(sql, dialect):
        entry = entries.get(name)
        if entry is None or entry.family == "operators":
            continue
        place = f" (line {line}, column {column})"
        if dialect in entry.unsupported:
            reason = entry.unsupported[dialect]
            raise BadRequest(
                f"{name} ({LABELS[dialect]} SQL) is {UNSUPPORTED}{place}"
                + ("" if reason == UNSUPPORTED else f": {reason}"),
                construct=name, line=line, column=column,
            )  # fmt: skip
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
        if (name, dialect, count) in REFUSED_FORMS:
            raise BadRequest(
                f"{name} with {count} arguments ({LABELS[dialect]} SQL) is {UNSUPPORTED}{place}: "
                f"{REFUSED_FORMS[(name, dialect, count)]}",
                construct=name, line=line, column=column,
            )  # fmt: skip


def check_operators(sql: str, dialect: str) -> None:
    """Refuse, by name and position, a catalogued operator that no engine here reads (Redshift's
    `@` and `#`); called where the parser failed, so it only names what already fails."""
    if dialect not in SOURCES:
        return
    try:
        tokens = Dialect.get_or_raise(dialect).tokenize(sql)
    except SqlglotError:
        return
    known = operators()
    for token in tokens:
        if token.token_type in (TokenType.STRING, TokenType.IDENTIFIER):
            continue
        found = known.get(token.text)
        if found is None or not found.exists_in(dialect):
            continue
        if all(found.status(engine) != "yes" for engine in ENGINE_LABELS):
            column = token.col - len(token.text) + 1
            raise BadRequest(
                f"the {token.text} operator ({LABELS[dialect]} SQL) is {UNSUPPORTED} (line "
                f"{token.line}, column {column}): {found.refused[next(iter(ENGINE_LABELS))]}",
                construct=token.text, line=token.line, column=column,
            )  # fmt: skip
