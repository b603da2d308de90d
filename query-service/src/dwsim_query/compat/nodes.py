"""Small builders and type tests the rewrites share."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

T = exp.DataType.Type
INTEGER_TYPES = frozenset({T.TINYINT, T.SMALLINT, T.INT, T.BIGINT, T.UBIGINT, T.UINT})
TIMESTAMP_TYPES = frozenset(
    {T.TIMESTAMP, T.TIMESTAMPNTZ, T.DATETIME, T.TIMESTAMPTZ, T.TIMESTAMPLTZ}
)


class Refusal(Exception):
    """Raised by a rewrite for a construct the engine cannot run with the source's meaning;
    the chain turns it into a message naming the construct, the engine and the position."""

    def __init__(self, construct: str, node: exp.Expression, reason: str = "") -> None:
        super().__init__(construct)
        self.construct = construct
        self.node = node
        self.reason = reason


def call(name: str, *args: exp.Expression) -> exp.Anonymous:
    """A call the generator writes verbatim (engine built-ins and our function packs)."""
    return exp.Anonymous(this=name, expressions=list(args))


def text(value: str) -> exp.Literal:
    return exp.Literal.string(value)


UNIT_ALIASES = {
    "Y": "YEAR", "YY": "YEAR", "YYY": "YEAR", "YYYY": "YEAR", "YR": "YEAR", "YEARS": "YEAR",
    "YRS": "YEAR", "Q": "QUARTER", "QTR": "QUARTER", "QTRS": "QUARTER", "QUARTERS": "QUARTER",
    "MM": "MONTH", "MON": "MONTH", "MONS": "MONTH", "MONTHS": "MONTH", "W": "WEEK", "WK": "WEEK",
    "WEEKS": "WEEK", "D": "DAY", "DD": "DAY", "DAYS": "DAY", "H": "HOUR", "HH": "HOUR",
    "HR": "HOUR", "HRS": "HOUR", "HOURS": "HOUR", "M": "MINUTE", "MI": "MINUTE", "MIN": "MINUTE",
    "MINS": "MINUTE", "MINUTES": "MINUTE", "S": "SECOND", "SEC": "SECOND", "SECS": "SECOND",
    "SECONDS": "SECOND", "DAYOFWEEK": "DOW", "WEEKDAY": "DOW", "DW": "DOW",
    "DAYOFYEAR": "DOY", "YEARDAY": "DOY", "DAYOFMONTH": "DAY", "MS": "MILLISECOND",
    "MSEC": "MILLISECOND", "MILLISECONDS": "MILLISECOND", "WEEKOFYEAR": "WEEK",
    "MSECS": "MILLISECOND", "MSECOND": "MILLISECOND", "MSECONDS": "MILLISECOND",
    "US": "MICROSECOND", "USEC": "MICROSECOND", "USECS": "MICROSECOND",
    "USECOND": "MICROSECOND", "USECONDS": "MICROSECOND", "MICROSECONDS": "MICROSECOND",
    "DEC": "DECADE", "DECADES": "DECADE", "C": "CENTURY", "CENT": "CENTURY",
    "CENTS": "CENTURY", "CENTURIES": "CENTURY", "MIL": "MILLENNIUM", "MILS": "MILLENNIUM",
    "MILLENNIA": "MILLENNIUM", "MILLENNIUMS": "MILLENNIUM",
}  # fmt: skip


def unit_name(node: exp.Expression | None, default: str = "DAY") -> str:
    """The canonical unit of a date part argument (`day`, `'DAY'`, `dd` -> `DAY`)."""
    if node is None:
        return default
    name = node.name.upper()
    return UNIT_ALIASES.get(name, name)


def type_of(node: exp.Expression) -> Any:
    kind = node.type
    return kind.this if isinstance(kind, exp.DataType) else None


def is_integer(node: exp.Expression) -> bool:
    # Counts and DATEDIFF are integers in both sources, whatever the annotator concluded.
    if isinstance(node, exp.Count | exp.DateDiff | exp.TsOrDsDiff):
        return True
    return type_of(node) in INTEGER_TYPES


def is_date(node: exp.Expression) -> bool:
    return type_of(node) == T.DATE


def is_timestamp(node: exp.Expression) -> bool:
    return type_of(node) in TIMESTAMP_TYPES


def is_text(node: exp.Expression) -> bool:
    return type_of(node) in exp.DataType.TEXT_TYPES


def cast(node: exp.Expression, to: str, dialect: str | None = None) -> exp.Cast:
    built = exp.cast(node, exp.DataType.build(to, dialect=dialect), copy=False)
    built.type = built.to
    return built


def failure(engine: str, message: str) -> exp.Expression:
    """An expression that fails the query with `message` when the engine evaluates it."""
    if engine == "sqlite":
        return call("dwsim_value_too_large", text(message))
    if engine == "postgres":
        return call("dwsim_fail", text(message))
    return call("ERROR", text(message))
