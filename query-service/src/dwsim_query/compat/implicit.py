"""Snowflake's implicit conversions and NULL arguments, where an engine answered otherwise
(found by tests/test_differential.py, docs/decisions.md "Snowflake differential disagreements").

Text where Snowflake wants a number is converted, and text that spells no number fails
("Numeric value 'abc' is not recognized", data-type-conversion and the aggregates' pages); a
text literal of that kind is known to fail before any engine runs it. A condition that is a
number is TRUE when it is not zero, and only 'true' / 'false' convert to a boolean implicitly
(data-types-logical). A NULL argument answers NULL. Forms whose answer the reference does not
state (an empty pattern, a NULL LISTAGG delimiter, EXP past the float range, a group the pattern
does not have) are refused by name."""

from __future__ import annotations

import math
import re
from typing import NoReturn

from sqlglot import exp

from dwsim_query.compat.nodes import Refusal, call, cast, is_text, text, type_of
from dwsim_query.compat.registry import Rewrite, origin_of, rewrite
from dwsim_shared.compat_packs.sqlite_json_conversions import json_literals
from dwsim_shared.errors import BadRequest

# Aggregates whose VARCHAR argument Snowflake casts to floating point (functions/sum, avg, ...).
AGGREGATES: dict[type[exp.Expression], str] = {
    exp.Sum: "SUM", exp.Avg: "AVG", exp.Stddev: "STDDEV", exp.StddevPop: "STDDEV_POP",
    exp.StddevSamp: "STDDEV_SAMP", exp.Variance: "VARIANCE", exp.VariancePop: "VAR_POP",
    exp.Median: "MEDIAN",
}  # fmt: skip
# Text TO_DOUBLE reads: decimal numbers, scientific notation, nan / inf / infinity.
_NUMBER = re.compile(r"(?i)\s*[+-]?((\d+\.?\d*|\.\d+)(e[+-]?\d+)?|nan|inf|infinity)\s*")
NUMBERS = exp.DataType.NUMERIC_TYPES
FLOATS = frozenset({exp.DataType.Type.DOUBLE, exp.DataType.Type.FLOAT})
REGEXES = (exp.RegexpExtract, exp.RegexpCount, exp.RegexpInstr, exp.RegexpReplace, exp.RegexpLike)
UNDOCUMENTED = "Snowflake's reference does not say what it answers"
LARGEST_EXP = math.log(1.7976931348623157e308)  # EXP of more is past the largest double


def _fails(node: exp.Expression, message: str) -> NoReturn:
    """The query fails in Snowflake: the same message, before any engine runs it."""
    found = origin_of(node)
    place = f" (line {found[1]}, column {found[2]})" if found else ""
    raise BadRequest(f"{message}{place}: Snowflake fails this query")


def _string(node: exp.Expression | None) -> str | None:
    if isinstance(node, exp.Literal) and node.is_string:
        return str(node.this)
    return None


def _null(node: exp.Expression | None) -> bool:
    """A NULL literal, parenthesised or not."""
    while isinstance(node, exp.Paren):
        node = node.this
    return isinstance(node, exp.Null)


def _number_text(node: exp.Expression | None) -> None:
    """A text literal where Snowflake converts to a number must spell one."""
    value = _string(node)
    if node is not None and value is not None and not _NUMBER.fullmatch(value):
        _fails(node, f"Numeric value '{value}' is not recognized")


@rewrite("conditionals", sources=["snowflake"])
def text_literals_as_numbers(node: exp.Expression) -> exp.Expression:
    """SUM('abc'), LEAST('abc', n), DECODE(n, 'abc', ...) fail in Snowflake (the emulator
    answered NULL for the aggregates and LEAST, SQLite answered DECODE's default)."""
    if type(node) in AGGREGATES:
        _number_text(node.this)
    elif isinstance(node, exp.Greatest | exp.Least):
        values = [node.this, *node.expressions]
        if any(type_of(v) in NUMBERS for v in values):
            for value in values:
                _number_text(value)
    elif isinstance(node, exp.DecodeCase) and node.expressions:
        subject, *rest = node.expressions
        if type_of(subject) in NUMBERS:
            for search in rest[0 : 2 * (len(rest) // 2) : 2]:
                _number_text(search)
    return node


@rewrite("numeric", sources=["snowflake"], engines=["snowflake", "postgres"])
def aggregates_of_text(node: exp.Expression) -> exp.Expression:
    """The aggregates cast a VARCHAR argument to floating point, and fail where it spells no
    number (the emulator answered NULL for SUM of a text column); SUM(NULL) is NULL (the
    Redshift mock failed: "function sum(unknown) is not unique")."""
    if type(node) not in AGGREGATES:
        return node
    value = node.this
    if (
        _null(value)
        or _string(value) is not None
        or (not isinstance(value, exp.Literal) and type_of(value) in exp.DataType.TEXT_TYPES)
    ):
        node.set("this", cast(value, "DOUBLE"))
    return node


def _boolean(node: exp.Expression) -> exp.Expression | None:
    """A condition as Snowflake converts it implicitly: 'true' / 'false' (any case) only, a
    number TRUE when it is not zero; None when it needs nothing."""
    value = _string(node)
    if value is not None:
        if value.lower() in ("true", "false"):
            return exp.Boolean(this=value.lower() == "true")
        _fails(node, f"Boolean value '{value}' is not recognized")
    return None


def _condition(node: exp.Expression) -> bool:
    """IFF, COUNT_IF and a searched CASE's WHEN hold a condition (a simple CASE's WHEN holds a
    value compared with its operand)."""
    if isinstance(node, exp.CountIf):
        return True
    if not isinstance(node, exp.If):
        return False
    return not (isinstance(node.parent, exp.Case) and node.parent.this is not None)


@rewrite("conditionals", sources=["snowflake"])
def conditions_as_booleans(node: exp.Expression) -> exp.Expression:
    """IFF('abc', ...) and COUNT_IF('abc') fail in Snowflake (SQLite answered)."""
    if _condition(node) and node.this is not None:
        converted = _boolean(node.this)
        if converted is not None:
            node.set("this", converted)
    return node


def _text_condition(value: exp.Expression, engine: str) -> exp.Expression:
    """A text condition that is not a literal: 'true' / 'false' (any case), NULL, else a
    failure naming the value (SQLite read 'true' as 0, PostgreSQL takes booleans only)."""
    message = exp.DPipe(
        this=text("Boolean value "),
        expression=exp.DPipe(this=value.copy(), expression=text(" is not recognized")),
    )
    failing = call("dwsim_to_boolean", message) if engine == "sqlite" else cast(message, "BOOLEAN")
    lowered = exp.Lower(this=value.copy())
    return exp.Case(
        ifs=[
            exp.If(this=exp.Is(this=value.copy(), expression=exp.Null()), true=exp.Null()),
            exp.If(this=exp.EQ(this=lowered, expression=text("true")), true=exp.true()),
            exp.If(this=exp.EQ(this=lowered.copy(), expression=text("false")), true=exp.false()),
        ],
        default=failing,
    )


def _text_conditions(engine: str) -> Rewrite:
    def fn(node: exp.Expression) -> exp.Expression:
        value = node.this if _condition(node) else None
        if value is not None and not isinstance(value, exp.Literal) and is_text(value):
            node.set("this", _text_condition(value, engine))
        return node

    return fn


for _engine in ("sqlite", "postgres"):
    rewrite("conditionals", sources=["snowflake"], engines=[_engine])(_text_conditions(_engine))


@rewrite("conditionals", sources=["snowflake"], engines=["postgres"])
def number_conditions_postgres(node: exp.Expression) -> exp.Expression:
    """IFF(2.5, ...) and COUNT_IF(2.5): a number is TRUE when it is not zero (PostgreSQL's CASE
    takes booleans only)."""
    if _condition(node) and type_of(node.this) in NUMBERS:
        test = exp.NEQ(this=node.this, expression=exp.Literal.number(0))
        node.set("this", exp.Paren(this=test))
    return node


@rewrite("conditionals", sources=["snowflake"], engines=["snowflake"])
def null_arguments_emulator(node: exp.Expression) -> exp.Expression:
    """NULL arguments answer NULL, where the emulator fails to choose a function for them
    (CONTAINS(NULL, NULL)) or fails on a NULL pattern (REGEXP_*)."""
    if isinstance(node, exp.Contains):
        for key in ("this", "expression"):
            if _null(node.args.get(key)):
                node.set(key, cast(node.args[key], "VARCHAR"))
        return node
    if isinstance(node, REGEXES) and _null(node.expression):
        kind = "BOOLEAN" if isinstance(node, exp.RegexpLike) else "VARCHAR"
        if isinstance(node, exp.RegexpCount | exp.RegexpInstr):
            kind = "BIGINT"
        return cast(exp.Null(), kind)
    return node


@rewrite("conditionals", sources=["snowflake"])
def null_scale(node: exp.Expression) -> exp.Expression:
    """ROUND / TRUNC of a number to a NULL scale is NULL: the emulator failed it ("the
    precision argument must be constant"), and sqlglot leaves TRUNC(column, NULL) an unknown
    call that SQLite failed ("wrong number of arguments")."""
    if isinstance(node, exp.Round | exp.Trunc):
        value, scale = node.this, node.args.get("decimals")
    elif isinstance(node, exp.Anonymous) and node.name.upper() in ("TRUNC", "TRUNCATE"):
        if len(node.expressions) != 2:
            return node
        value, scale = node.expressions
    else:
        return node
    if not _null(scale) or type_of(value) in exp.DataType.TEMPORAL_TYPES:
        return node
    return cast(exp.Null(), "DOUBLE" if type_of(value) in FLOATS else "DECIMAL(38, 12)")


def _group_count(pattern: str) -> int | None:
    try:
        return re.compile(pattern).groups
    except re.error:
        return None


@rewrite("conditionals", sources=["snowflake"])
def undocumented_forms(node: exp.Expression) -> exp.Expression:
    """Forms the engines answer differently and Snowflake's reference does not settle."""
    if isinstance(node, exp.RegexpCount | exp.RegexpInstr) and _string(node.expression) == "":
        name = "REGEXP_COUNT" if isinstance(node, exp.RegexpCount) else "REGEXP_INSTR"
        raise Refusal(f"{name} with an empty pattern", node, UNDOCUMENTED)
    if isinstance(node, exp.RegexpExtract):
        pattern, group = _string(node.expression), node.args.get("group")
        if pattern is not None and isinstance(group, exp.Literal) and group.is_int:
            groups = _group_count(pattern)
            if groups is not None and int(group.this) > max(groups, 0) and group.this != "0":
                raise Refusal(
                    f"REGEXP_SUBSTR of group {group.this} of a pattern with {groups}", node,
                    UNDOCUMENTED,
                )  # fmt: skip
    if isinstance(node, exp.GroupConcat) and _null(node.args.get("separator")):
        raise Refusal("LISTAGG with a NULL delimiter", node, UNDOCUMENTED)
    value = node.this if isinstance(node, exp.Exp) else None
    if isinstance(value, exp.Literal) and value.is_number and float(value.this) > LARGEST_EXP:
        raise Refusal("EXP past the largest FLOAT", node, UNDOCUMENTED)
    return node


WHITESPACE = " \t\n\r"


@rewrite("conditionals", sources=["snowflake"])
def parse_json_blank(node: exp.Expression) -> exp.Expression:
    """PARSE_JSON of an empty or blank string is NULL (functions/parse_json: "rather than
    throwing an error"); the Redshift mock and the emulator failed it."""
    if not isinstance(node, exp.ParseJSON) or node.meta.get("dwsim_blank"):
        return node
    value = node.this
    if isinstance(value, exp.Literal) and value.is_string:
        # TRUE, False, NULL... are read in any case (functions/try_parse_json, whose usage
        # notes are PARSE_JSON's, parses `"y": FALSE`); JSON readers take lower case only.
        value = text(str(json_literals(value.this)))
        node.meta["dwsim_literals"] = True
    trimmed = exp.Trim(this=value, expression=text(WHITESPACE))
    node.set("this", exp.Nullif(this=trimmed, expression=text("")))
    node.meta["dwsim_blank"] = True
    return node


def _literals_emulator(value: exp.Expression) -> exp.Expression:
    """DuckDB: the text's pieces outside strings with TRUE / FALSE / NULL in lower case (the
    pack function `dwsim_json_literals` of SQLite and the mock)."""
    piece = exp.to_identifier("dwsim_j")
    lowered: exp.Expression = exp.column(piece.copy())
    for word in ("true", "false", "null"):
        lowered = exp.RegexpReplace(
            this=lowered, expression=text(rf"(?i)\b{word}\b"), replacement=text(word)
        )
    quoted = exp.Like(this=exp.column(piece.copy()), expression=text('"%'))
    kept = exp.Case(ifs=[exp.If(this=quoted, true=exp.column(piece.copy()))], default=lowered)
    pieces = call("regexp_extract_all", value.copy(), text(r'"(?:[^"\\]|\\.)*"?|[^"]+'))
    joined = call("array_to_string", call("list_transform", pieces,
                  exp.Lambda(this=kept, expressions=[piece])), text(""))  # fmt: skip
    others = exp.RegexpReplace(
        this=value.copy(), expression=text(r"\b(true|false|null)\b"), replacement=text("")
    )
    upper = call("regexp_matches", others, text(r"(?i)\b(true|false|null)\b"))
    return exp.Case(ifs=[exp.If(this=upper, true=joined)], default=value)


def _literals_for(engine: str) -> Rewrite:
    def parse_json_literals(node: exp.Expression) -> exp.Expression:
        """PARSE_JSON of text that is not a literal: TRUE / FALSE / NULL in lower case first."""
        if not isinstance(node, exp.ParseJSON) or node.args.get("safe"):
            return node
        if node.meta.get("dwsim_literals") or not node.meta.get("dwsim_blank"):
            return node
        node.meta["dwsim_literals"] = True
        if engine == "snowflake":
            node.set("this", _literals_emulator(node.this))
        else:
            node.set("this", call("dwsim_json_literals", node.this))
        return node

    return parse_json_literals


for _engine in ("sqlite", "postgres", "snowflake"):
    rewrite("conditionals", sources=["snowflake"], engines=[_engine])(_literals_for(_engine))


@rewrite("windows", sources=["snowflake"], engines=["sqlite"])
def parse_json_sqlite(node: exp.Expression) -> exp.Expression:
    """PARSE_JSON checks its text is JSON (SQLite passed 'abc' through as the answer)."""
    if isinstance(node, exp.ParseJSON):
        return call("json", node.this)
    return node


def _kind(node: exp.Expression) -> object:
    if isinstance(node, exp.Literal):
        if node.is_string:
            return "text"
        digits = str(node.this)
        return ("number", len(digits.split(".")[1]) if "." in digits else 0)
    return type_of(node)


@rewrite("semistructured", sources=["snowflake"], engines=["snowflake"])
def mixed_arrays_emulator(node: exp.Expression) -> exp.Expression:
    """ARRAY_CONSTRUCT of values of several kinds keeps each value as it is (the emulator's
    list holds one type: it failed ('abc', 20) and printed 20 as 20.0 beside 2.5)."""
    if not isinstance(node, exp.Array):
        return node
    kinds = {_kind(e) for e in node.expressions if not isinstance(e, exp.Null)}
    if len(kinds) < 2:
        return node
    node.set("expressions", [call("TO_VARIANT", e) for e in node.expressions])
    return node
