"""Snowflake conversions and parts the engines lack or read differently: TO_BOOLEAN, STARTSWITH,
TIME_SLICE, SECOND as a whole number, TO_TIME with a format, TRY_TO_TIMESTAMP of text that is
no timestamp on the emulator."""

from __future__ import annotations

import decimal

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.time import format_time

from dwsim_query.compat.nodes import (
    Refusal,
    call,
    cast,
    is_date,
    is_text,
    text,
    type_of,
    unit_name,
)
from dwsim_query.compat.registry import Rewrite, rewrite

TRUE_WORDS = ("true", "t", "yes", "y", "on", "1")
FALSE_WORDS = ("false", "f", "no", "n", "off", "0")
TIMESTAMPS = (exp.DataType.Type.TIMESTAMP, exp.DataType.Type.TIMESTAMPNTZ)
# An ISO date or timestamp without its offset (TIMESTAMP_NTZ ignores one)
ISO = r" *[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?)?"
DATE_SLICE_PARTS = frozenset({"YEAR", "QUARTER", "MONTH", "WEEK", "DAY"})
SLICE_PARTS = frozenset({"YEAR", "QUARTER", "MONTH", "WEEK", "DAY", "HOUR", "MINUTE", "SECOND"})


# DD-MON-YYYY, which Snowflake's AUTO detection reads ('05-Mar-2016', the try_cast page)
DAY_MON_YEAR = r" *[0-9]{1,2}-[A-Za-z]{3}-[0-9]{4} *"
MONTHS = "JANFEBMARAPRMAYJUNJULAUGSEPOCTNOVDEC"


def _day_mon_year_iso(value: exp.Expression) -> exp.Expression:
    """DD-MON-YYYY text as YYYY-MM-DD (an unknown month name stays as written, and fails)."""
    trimmed = exp.Trim(this=value.copy())
    part = lambda i: call("SPLIT_PART", trimmed.copy(), text("-"), exp.Literal.number(i))  # noqa: E731
    at = exp.StrPosition(this=text(MONTHS), substr=exp.Upper(this=part(2)))
    month = exp.Floor(this=exp.Div(this=exp.Paren(this=exp.Add(
        this=at.copy(), expression=exp.Literal.number(2))), expression=exp.Literal.number(3)))  # fmt: skip
    two = lambda v: exp.Pad(this=cast(v, "VARCHAR"), expression=exp.Literal.number(2),  # noqa: E731
                            fill_pattern=text("0"), is_left=True)  # fmt: skip
    iso = exp.DPipe(this=exp.DPipe(this=exp.DPipe(this=exp.DPipe(
        this=part(3), expression=text("-")), expression=two(cast(month, "INT"))),
        expression=text("-")), expression=two(part(1)))  # fmt: skip
    known = exp.and_(
        exp.GT(this=at.copy(), expression=exp.Literal.number(0)),
        exp.EQ(this=exp.Mod(this=exp.Paren(this=exp.Sub(this=at.copy(), expression=exp.Literal.number(1))),
                            expression=exp.Literal.number(3)), expression=exp.Literal.number(0)),
    )  # fmt: skip
    return exp.Case(ifs=[exp.If(this=known, true=iso)], default=value.copy())


DAY_MON_YEAR_TARGETS = frozenset(
    {exp.DataType.Type.DATE, exp.DataType.Type.TIMESTAMP, exp.DataType.Type.TIMESTAMPNTZ}
)


def _is_text(node: exp.Expression) -> bool:
    """A string literal or an expression typed as text (not a date, a number or NULL)."""
    if isinstance(node, exp.Literal):
        return bool(node.is_string)
    return type_of(node) in exp.DataType.TEXT_TYPES


def _untyped(node: exp.Expression) -> bool:
    """Text or NULL where a date or a timestamp is wanted."""
    return isinstance(node, exp.Null) or is_text(node)


def _to_boolean(engine: str) -> Rewrite:
    """TO_BOOLEAN: 'true'/'t'/'yes'/'y'/'on'/'1' are TRUE, 'false'/'f'/'no'/'n'/'off'/'0'
    FALSE (any case), other text fails; a number is TRUE unless it is 0."""

    def fn(node: exp.Expression) -> exp.Expression:
        if not isinstance(node, exp.ToBoolean):
            return node
        value = node.this
        if engine == "sqlite":
            return call("dwsim_to_boolean", value)
        if type_of(value) in exp.DataType.NUMERIC_TYPES:
            return exp.NEQ(this=value, expression=exp.Literal.number(0))
        if type_of(value) == exp.DataType.Type.BOOLEAN:
            return value
        lowered = exp.Lower(this=cast(value.copy(), "TEXT"))
        failing = cast(
            exp.DPipe(this=text("Boolean value "), expression=exp.DPipe(
                this=cast(value.copy(), "TEXT"), expression=text(" is not recognized"))),
            "BOOLEAN",
        )  # fmt: skip
        return exp.Case(
            ifs=[
                exp.If(this=exp.Is(this=value.copy(), expression=exp.Null()), true=exp.Null()),
                exp.If(this=exp.In(this=lowered, expressions=[text(w) for w in TRUE_WORDS]),
                       true=exp.true()),
                exp.If(this=exp.In(this=lowered.copy(), expressions=[text(w) for w in FALSE_WORDS]),
                       true=exp.false()),
            ],
            default=failing,
        )  # fmt: skip

    return fn


def _starts_with(node: exp.Expression) -> exp.Expression:
    """STARTSWITH(s, prefix): the first LENGTH(prefix) characters of s are the prefix."""
    if not isinstance(node, exp.StartsWith):
        return node
    prefix = node.expression
    head = exp.Substring(this=node.this, start=exp.Literal.number(1),
                         length=exp.Length(this=prefix.copy()))  # fmt: skip
    return exp.EQ(this=head, expression=prefix)


for _engine in ("sqlite", "postgres"):
    rewrite("conditionals", sources=["snowflake"], engines=[_engine])(_to_boolean(_engine))
    rewrite("conditionals", sources=["snowflake"], engines=[_engine])(_starts_with)


def _to_char(node: exp.ToChar, engine: str) -> exp.Expression:
    """TO_CHAR / TO_VARCHAR without a format: a TIMESTAMP_NTZ as its default output format
    (YYYY-MM-DD HH24:MI:SS.FF3), a DECIMAL with its scale's digits, a BOOLEAN as true/false.
    A FLOAT prints with Snowflake's own digits (TO_VARCHAR(LOG(3,4)) is 1.261859507): refused."""
    value, kind = node.this, type_of(node.this)
    if kind in TIMESTAMPS:
        if engine == "snowflake":
            return call("STRFTIME", value, text("%Y-%m-%d %H:%M:%S.%g"))
        formatted = exp.ToChar(this=value, format=text("YYYY-MM-DD HH24:MI:SS.FF3"))
        formatted.meta["dwsim_format"] = "YYYY-MM-DD HH24:MI:SS.FF3"
        return formatted
    literal, sign = (value.this, "-") if isinstance(value, exp.Neg) else (value, "")
    if isinstance(literal, exp.Literal) and literal.is_number and "e" not in literal.this.lower():
        # a number literal is a NUMBER with its own scale (12.50 prints 12.50), not a FLOAT
        return text(sign + format(decimal.Decimal(literal.this), "f"))
    if kind in (exp.DataType.Type.DOUBLE, exp.DataType.Type.FLOAT):
        raise Refusal("TO_CHAR of a FLOAT without a format", node,
                      "Snowflake prints a FLOAT with its own number of digits")  # fmt: skip
    if engine != "sqlite":
        return node
    if kind == exp.DataType.Type.BOOLEAN:
        return exp.Case(ifs=[exp.If(this=value.copy(), true=text("true")),
                             exp.If(this=exp.Not(this=value.copy()), true=text("false"))])  # fmt: skip
    scale = value.type.expressions[1:2] if isinstance(value.type, exp.DataType) else []
    if kind == exp.DataType.Type.DECIMAL and scale and int(scale[0].name or 0) > 0:
        return call("printf", text(f"%.{int(scale[0].name)}f"), value)  # SQLite keeps a REAL
    return node


def _times(engine: str) -> Rewrite:
    def fn(node: exp.Expression) -> exp.Expression:
        if (
            isinstance(node, exp.Anonymous)
            and node.name.upper() in ("TRY_TO_TIMESTAMP", "TRY_TO_TIMESTAMP_NTZ")
            and len(node.expressions) == 1
        ):  # the parser reads TRY_TO_TIMESTAMP(column) as an unknown function
            node = exp.TryCast(this=node.expressions[0], to=exp.DataType.build("TIMESTAMP"))
            node.type = node.to
        if (
            isinstance(node, exp.Anonymous)
            and node.name.upper() in ("TO_TIMESTAMP_NTZ", "TO_TIMESTAMP")
            and len(node.expressions) == 1
            and (
                isinstance(node.expressions[0], exp.Null)
                or type_of(node.expressions[0])
                in (*exp.DataType.TEXT_TYPES, exp.DataType.Type.DATE, *TIMESTAMPS)
            )
        ):  # the parser reads TO_TIMESTAMP_NTZ(column) as an unknown function: a cast
            node = cast(node.expressions[0], "TIMESTAMP")
        if isinstance(node, exp.ToChar) and node.args.get("format") is None:
            return _to_char(node, engine)
        if isinstance(node, exp.TsOrDsToTime) and node.args.get("format") is not None:
            # TO_TIME(text, model): the text parsed as a timestamp by the model, its time of day
            if node.args.get("safe"):
                raise Refusal("TRY_TO_TIME with a format", node)
            parsed = exp.StrToTime(this=node.this, format=node.args["format"])
            parsed.type = exp.DataType.build("TIMESTAMP")
            # the model as the user wrote it (else the parser's copy, converted back)
            written = node.meta.get("dwsim_format") if node._meta else None
            if written is None:
                snowflake = Dialect.get_or_raise("snowflake")
                written = format_time(node.args["format"].name,
                                      snowflake.INVERSE_TIME_MAPPING, snowflake.INVERSE_TIME_TRIE)  # fmt: skip
            parsed.meta["dwsim_format"] = written
            return cast(parsed, "TIME")
        if isinstance(node, exp.TimeSlice) and is_date(node.this):
            unit = unit_name(node.args.get("unit"))
            if unit not in DATE_SLICE_PARTS:  # Snowflake fails it; the engines kept the date
                raise Refusal(f"TIME_SLICE of a DATE with part {unit.lower()}", node,
                              "a DATE is sliced by YEAR, QUARTER, MONTH, WEEK or DAY")  # fmt: skip
        if (
            engine == "sqlite"
            and isinstance(node, exp.ToDouble)
            and not node.args.get("format")
            and type_of(node.this) not in exp.DataType.NUMERIC_TYPES
        ):  # SQLite reads 'abc' as 0.0
            return call("dwsim_to_double", node.this, exp.Boolean(this=bool(node.args.get("safe"))))
        if isinstance(node, exp.TimeSlice) and _untyped(node.this):
            # Snowflake coerces text (and NULL) to TIMESTAMP: the slice is a timestamp, where
            # SQLite's kept the text's shape and DuckDB fails an untyped literal
            coerced = call("dwsim_cast_timestamp", node.this) if engine == "sqlite" else None
            node.set("this", coerced or cast(node.this, "TIMESTAMP"))
            node.type = exp.DataType.build("TIMESTAMP")  # the emulator renders it as one
        if engine == "snowflake":
            if isinstance(node, exp.TimeSlice) and is_date(node.this):
                return cast(node, "DATE")  # fakesnow answers a timestamp for the END of a date
            if (
                isinstance(node, exp.TryCast)
                and node.to.this in (exp.DataType.Type.TIMESTAMP, exp.DataType.Type.TIMESTAMPNTZ)
                and type_of(node.this) not in (exp.DataType.Type.DATE, *TIMESTAMPS)
            ):
                # fakesnow turns any TRY_CAST to TIMESTAMP into its failing conversion; one to
                # TIMESTAMP_TZ (of the text without an offset, which TIMESTAMP_NTZ ignores)
                # answers NULL for text that is no timestamp, as TRY_TO_TIMESTAMP does.
                value = cast(node.this, "VARCHAR")
                local = exp.Case(
                    ifs=[exp.If(
                        this=exp.RegexpLike(this=value.copy(), expression=text(ISO + r" *([+-][0-9]{2}(:?[0-9]{2})?|Z)? *")),
                        true=exp.RegexpExtract(this=value.copy(), expression=text(ISO)),
                    ), exp.If(this=exp.RegexpLike(this=value.copy(), expression=text(DAY_MON_YEAR)),
                              true=_day_mon_year_iso(value))],
                    default=value,
                )  # fmt: skip
                local.type = exp.DataType.build("VARCHAR")
                zoned = exp.TryCast(this=local, to=exp.DataType.build("TIMESTAMPTZ"))
                return cast(zoned, "TIMESTAMP_NTZ", "snowflake")
            if (
                type(node) is exp.Cast
                and node.to.this in DAY_MON_YEAR_TARGETS
                and _is_text(node.this)
            ):
                # Snowflake's AUTO format reads DD-MON-YYYY ('05-Mar-2016', the try_cast
                # page) in a plain cast too; DuckDB failed it in its own words. Text of
                # that shape is written as ISO first; anything else is cast as it was.
                value = node.this
                shaped = exp.Case(
                    ifs=[exp.If(this=exp.RegexpLike(this=value.copy(), expression=text(DAY_MON_YEAR)),
                                true=_day_mon_year_iso(value))],
                    default=value.copy(),
                )  # fmt: skip
                shaped.type = exp.DataType.build("VARCHAR")
                node.set("this", shaped)
                return node
            return node
        if isinstance(node, exp.Second):  # SECOND is the whole second (20 for 20.123)
            seconds = exp.Extract(this=exp.Var(this="SECOND"), expression=node.this)
            return cast(exp.Floor(this=seconds), "INT")
        if isinstance(node, exp.TimeSlice):
            unit = unit_name(node.args.get("unit"))
            if unit not in SLICE_PARTS:
                raise Refusal(f"TIME_SLICE with part {unit.lower()}", node)
            kind = node.args.get("kind")
            if kind is not None and not (
                isinstance(kind, exp.Literal)
                and kind.is_string
                and kind.this.upper() in ("START", "END")
            ):
                raise Refusal("TIME_SLICE with a start_or_end other than 'START' or 'END'", node)
            end = exp.Boolean(this=kind is not None and kind.this.upper() == "END")
            value = node.this
            if engine == "sqlite":
                return call("dwsim_time_slice", value, node.expression, text(unit), end)
            sliced = call("dwsim_time_slice", cast(value.copy(), "TIMESTAMP"),
                          cast(node.expression, "INT"), text(unit), end)  # fmt: skip
            return cast(sliced, "DATE" if is_date(value) else "TIMESTAMP")
        return node

    return fn


for _engine in ("sqlite", "postgres", "snowflake"):
    rewrite("dates", sources=["snowflake"], engines=[_engine], first=True)(_times(_engine))
