"""Casts and numeric semantics: integer division, ROUND / TRUNC on any numeric, numbers from
text (TO_NUMBER, TRY_TO_NUMBER, TRY_CAST), and casts that an engine reads differently."""

from __future__ import annotations

from typing import TypeGuard

from sqlglot import exp

from dwsim_query.compat.nodes import (
    Refusal,
    call,
    cast,
    failure,
    is_date,
    is_integer,
    is_timestamp,
    text,
    type_of,
)
from dwsim_query.compat.registry import Rewrite, compat_engines, rewrite
from dwsim_shared.compat_packs.number_models import (
    NumberModel,
    UnsupportedElement,
    compile_model,
)

T = exp.DataType.Type
EXACT = frozenset({T.DECIMAL, T.BIGDECIMAL, T.INT, T.BIGINT, T.SMALLINT, T.TINYINT})
NUMBER_TARGETS = frozenset(exp.DataType.NUMERIC_TYPES)
INTEGER_TARGETS = frozenset({T.INT, T.BIGINT, T.SMALLINT, T.TINYINT})
TEXT_TYPES = frozenset({T.VARCHAR, T.CHAR, T.TEXT, T.NVARCHAR, T.NCHAR})


@rewrite("numeric", sources=["redshift"])
def integer_average_is_an_integer(node: exp.Expression) -> exp.Expression:
    """Redshift's AVG of an integer type is a BIGINT (AVG(1, 2) = 1), as documented."""
    if (
        isinstance(node, exp.Avg)
        and is_integer(node.this)
        and not isinstance(node.parent, exp.Window)
    ):
        return cast(exp.Trunc(this=node), "BIGINT")
    if (
        isinstance(node, exp.Window)
        and isinstance(node.this, exp.Avg)
        and is_integer(node.this.this)
    ):
        return cast(exp.Trunc(this=node), "BIGINT")  # the whole window call, OVER included
    return node


@rewrite("numeric", sources=["redshift"], engines=["snowflake"])
def integer_division_truncates(node: exp.Expression) -> exp.Expression:
    """Redshift divides integers to an integer (toward zero); Snowflake to a decimal."""
    if isinstance(node, exp.Div) and is_integer(node.this) and is_integer(node.expression):
        return cast(exp.Trunc(this=exp.Div(this=node.this, expression=node.expression)), "BIGINT")
    return node


@rewrite("numeric")
def trunc_of_a_date(node: exp.Expression) -> exp.Expression:
    """TRUNC(timestamp) is the date of it in both sources."""
    if isinstance(node, exp.Trunc) and (is_timestamp(node.this) or is_date(node.this)):
        return cast(node.this, "DATE")
    return node


def _text_to_integer(node: exp.Expression) -> TypeGuard[exp.Cast]:
    return (
        type(node) is exp.Cast  # not TRY_CAST, which answers NULL
        and node.to.this in INTEGER_TARGETS
        and type_of(node.this) in TEXT_TYPES
    )


@rewrite("numeric", sources=["redshift"], engines=["sqlite"])
def text_to_integer_needs_an_integer_sqlite(node: exp.Expression) -> exp.Expression:
    """Redshift fails CAST('12.5' AS INT) (text must spell an integer); SQLite and Snowflake
    round it. Registered before numbers_sqlite, which rewrites the cast itself."""
    if _text_to_integer(node):
        node.set("this", call("dwsim_integer_text", node.this))
    return node


@rewrite("numeric", sources=["redshift"], engines=["snowflake"])
def text_to_integer_needs_an_integer_snowflake(node: exp.Expression) -> exp.Expression:
    """The same on Snowflake: text that does not spell an integer is cast with Redshift's
    words in front, which fails naming the value."""
    if not _text_to_integer(node):
        return node
    value = node.this
    spelled = exp.RegexpLike(this=exp.Trim(this=value.copy()), expression=text("^[+-]?[0-9]+$"))
    failing = exp.Cast(
        this=exp.DPipe(
            this=text("invalid input syntax for type integer: "), expression=value.copy()
        ),
        to=node.to.copy(),
    )
    return exp.Case(ifs=[exp.If(this=spelled, true=node)], default=failing)


@rewrite("numeric", sources=["snowflake"], engines=["postgres"])
def text_to_integer_rounds_postgres(node: exp.Expression) -> exp.Expression:
    """Snowflake rounds CAST('12.5' AS INT) to 13; PostgreSQL refuses the text. Through a
    decimal it rounds as Snowflake does (half away from zero)."""
    if _text_to_integer(node):
        node.set("this", exp.cast(node.this, "DECIMAL"))
    return node


@rewrite("numeric", sources=["redshift"], engines=["snowflake"])
def log_is_base_ten(node: exp.Expression) -> exp.Expression:
    """Redshift's LOG(x) is the base-10 logarithm; the emulator's one-argument LOG is LN."""
    if isinstance(node, exp.Log) and node.expression is None:
        return exp.Log(this=exp.Literal.number(10), expression=node.this)
    return node


def _integer_literal(node: exp.Expression | None, what: str, owner: exp.Expression) -> int:
    if isinstance(node, exp.Literal) and node.is_int:
        return int(node.this)
    raise Refusal(f"TO_NUMBER with a {what} that is not an integer literal", owner)


def _number_model(node: exp.ToNumber | exp.ToDouble, engine: str) -> NumberModel | None:
    """The compiled format model of a Snowflake TO_NUMBER / TO_DOUBLE (None: no format)."""
    fmt = node.args.get("format")
    if fmt is None:
        return None
    if not (isinstance(fmt, exp.Literal) and fmt.is_string):
        raise Refusal("TO_NUMBER with a format that is not a literal", node)
    if type_of(node.this) in NUMBER_TARGETS:
        raise Refusal("TO_NUMBER of a number with a format", node)
    try:
        model = compile_model(fmt.this)
    except UnsupportedElement as unsupported:
        raise Refusal(f"TO_NUMBER format element {unsupported.element}", node) from None
    if model.hexadecimal > 15 and engine == "snowflake":  # read through a BIGINT there
        raise Refusal("TO_NUMBER format element X more than 15 times", node)
    return model


def _snowflake_number(engine: str) -> Rewrite:
    """Snowflake's TO_NUMBER / TO_DECIMAL / TO_NUMERIC (TRY_ too): text parsed by the format
    model, rounded half away from zero to the scale (default 0), failing (TRY_: NULL) when the
    integer digits exceed precision - scale. TO_DOUBLE with a model parses the same way."""

    def fn(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.ToDouble) and node.args.get("safe") and not node.args.get("format"):
            return exp.TryCast(this=node.this, to=exp.DataType.build("DOUBLE"))  # TRY_TO_DOUBLE
        if isinstance(node, exp.ToDouble) and node.args.get("format") is not None:
            model = _number_model(node, engine)
            assert model is not None
            parsed = exp.ToNumber(
                this=node.this, format=node.args["format"], precision=exp.Literal.number(38),
                scale=exp.Literal.number(model.fraction_digits), safe=node.args.get("safe"),
            )  # fmt: skip
            return cast(fn(parsed), "DOUBLE")
        if not isinstance(node, exp.ToNumber):
            return node
        precision = _integer_literal(node.args.get("precision") or exp.Literal.number(38),
                                     "precision", node)  # fmt: skip
        scale = _integer_literal(node.args.get("scale") or exp.Literal.number(0), "scale", node)
        if not 1 <= precision <= 38 or not 0 <= scale < precision:
            raise Refusal(f"TO_NUMBER with precision {precision} and scale {scale}", node,
                          "Snowflake takes a precision of 1 to 38 and a scale below it")  # fmt: skip
        model = _number_model(node, engine)
        safe = bool(node.args.get("safe"))
        pattern = text(model.pattern) if model is not None else exp.Null()
        trailing = exp.Boolean(this=bool(model and model.trailing_sign))
        if engine in ("sqlite", "postgres"):
            value = cast(node.this, "TEXT") if engine == "postgres" else node.this
            return call("dwsim_sf_number", value, pattern, trailing,
                        exp.Literal.number(precision), exp.Literal.number(scale),
                        exp.Boolean(this=safe))  # fmt: skip
        if model is None:  # the emulator rounds and checks the range as Snowflake does
            return node
        value = node.this
        plain: exp.Expression = exp.RegexpReplace(
            this=value.copy(), expression=text("[$, ]"), replacement=text("")
        )
        if model.hexadecimal:  # DuckDB reads '0x...' as a BIGINT; the model allows 15 digits
            hex_text = exp.DPipe(this=text("0x"), expression=exp.Trim(this=value.copy()))
            plain = exp.Cast(this=hex_text, to=exp.DataType.build("BIGINT"))
        elif model.trailing_sign:
            plain = exp.Case(ifs=[exp.If(
                this=exp.Like(this=plain.copy(), expression=text("%-")),
                true=exp.DPipe(this=text("-"), expression=exp.RegexpReplace(
                    this=plain.copy(), expression=text("[+-]$"), replacement=text(""))),
            )], default=exp.RegexpReplace(
                this=plain.copy(), expression=text("[+-]$"), replacement=text("")))  # fmt: skip
        number = exp.ToNumber(this=plain, precision=exp.Literal.number(precision),
                              scale=exp.Literal.number(scale), safe=safe)  # fmt: skip
        if safe:
            otherwise: exp.Expression = exp.Null()
        else:  # text that does not match the model fails, naming the value
            otherwise = exp.ToNumber(
                this=exp.DPipe(this=value.copy(), expression=text(" does not match the format")),
                precision=exp.Literal.number(precision), scale=exp.Literal.number(scale),
            )  # fmt: skip
        matches = exp.RegexpLike(this=value.copy(), expression=pattern)
        return exp.Case(ifs=[exp.If(this=matches, true=number)], default=otherwise)

    return fn


for _engine in ("sqlite", "postgres", "snowflake"):
    rewrite("numeric", sources=["snowflake"], engines=[_engine], first=True)(
        _snowflake_number(_engine)
    )


def _rounding_mode(node: exp.Round) -> str | None:
    mode = node.args.get("truncate")
    if mode is None:
        return None
    if not (isinstance(mode, exp.Literal) and mode.is_string):
        raise Refusal("ROUND with a rounding mode that is not a literal", node)
    name = mode.this.upper()
    if name not in ("HALF_AWAY_FROM_ZERO", "HALF_TO_EVEN"):
        raise Refusal(f"ROUND with rounding mode {mode.this!r}", node,
                      "Snowflake knows HALF_AWAY_FROM_ZERO and HALF_TO_EVEN")  # fmt: skip
    return name


def _places_literal(node: exp.Round) -> bool:
    """ROUND's places are absent or a literal of zero or more."""
    places = node.args.get("decimals")
    return places is None or (
        isinstance(places, exp.Literal) and places.is_int and int(places.this) >= 0
    )


@rewrite("numeric", engines=["sqlite"])
def numbers_sqlite(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Round) and (mode := _rounding_mode(node)) is not None:
        places = node.args.get("decimals") or exp.Literal.number(0)
        rounded = call("dwsim_round_mode", node.this, places, text(mode))
        exact = isinstance(node.this, exp.Literal) or type_of(node.this) in EXACT
        if exact and isinstance(places, exp.Literal) and places.is_int and int(places.this) <= 0:
            # a NUMBER rounded to no decimals answers a whole number (SQLite stores REAL)
            return exp.cast(rounded, "BIGINT")
        return rounded
    if isinstance(node, exp.Round) and (
        type_of(node.this) not in (T.DOUBLE, T.FLOAT) or not _places_literal(node)
    ):
        # SQLite's own ROUND ignores a negative number of places (-975.975 at -1: -976).
        return call("dwsim_round", node.this, node.args.get("decimals") or exp.Literal.number(0))
    if isinstance(node, exp.Trunc):
        return call("dwsim_trunc", node.this, node.args.get("decimals") or exp.Literal.number(0))
    if isinstance(node, exp.ToNumber):
        if node.args.get("safe"):
            return call("dwsim_try_number", node.this)
        return call("dwsim_to_number", node.this, node.args.get("format") or exp.Null())
    if isinstance(node, exp.TryCast) and node.to.this in NUMBER_TARGETS:
        return _cast_number_sqlite(call("dwsim_try_number", node.this), node.to, tried=True)
    if isinstance(node, exp.Cast) and node.to.this in NUMBER_TARGETS and not is_integer(node.this):
        return _cast_number_sqlite(node.this, node.to)
    return node


def _cast_number_sqlite(
    value: exp.Expression, to: exp.DataType, tried: bool = False
) -> exp.Expression:
    # SQLite truncates 3.7 to 3 when casting to an integer; both sources round to 4.
    if to.this in (T.INT, T.BIGINT, T.SMALLINT, T.TINYINT):
        return exp.cast(call("dwsim_round", value, exp.Literal.number(0)), to)
    if to.this == T.DECIMAL and to.expressions:
        scale = to.expressions[1].this if len(to.expressions) > 1 else exp.Literal.number(0)
        rounded = call("dwsim_round", value, scale)
        digits = to.expressions[0].this
        if not (digits.is_int and scale.is_int) or int(digits.this) - int(scale.this) > 15:
            return rounded
        # NUMBER(4, 2) holds less than 10^2 in magnitude: 123.456 fails (SQLite answered it)
        bound = exp.Literal.number(10 ** (int(digits.this) - int(scale.this)))
        past = exp.GTE(this=exp.Abs(this=rounded.copy()), expression=bound)
        answer = (
            exp.Null()
            if tried
            else failure(
                "sqlite",
                f"numeric field overflow: a value out of range for NUMBER({digits.this}, {scale.this})",
            )
        )
        return exp.Case(ifs=[exp.If(this=past, true=answer)], default=rounded)
    return exp.cast(value, to)


@rewrite("numeric", engines=["postgres"])
def numbers_postgres(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Round) and (mode := _rounding_mode(node)) is not None:
        places = node.args.get("decimals") or exp.Literal.number(0)
        name = "dwsim_round_half_even" if mode == "HALF_TO_EVEN" else "ROUND"
        rounded = call(name, cast(node.this, "NUMERIC"), places)
        if name != "ROUND" and isinstance(places, exp.Literal) and places.is_int:
            # the pack divides, which leaves 16 decimals: the answer has the places asked for
            rounded = call("ROUND", rounded, exp.Literal.number(max(int(places.this), 0)))
        return rounded
    if isinstance(node, exp.Round | exp.Trunc) and type_of(node.this) not in EXACT:
        # PostgreSQL rounds to a number of places only on NUMERIC.
        decimals = node.args.get("decimals")
        name = "ROUND" if isinstance(node, exp.Round) else "TRUNC"
        args = [cast(node.this, "NUMERIC")] + ([decimals] if decimals is not None else [])
        return call(name, *args)
    if isinstance(node, exp.Trunc):
        decimals = node.args.get("decimals")
        return call("TRUNC", node.this, *([decimals] if decimals is not None else []))
    if isinstance(node, exp.ToNumber):
        if node.args.get("safe"):
            return call("dwsim_try_number", cast(node.this, "TEXT"))
        fmt = node.args.get("format")
        return call("TO_NUMBER", node.this, fmt) if fmt is not None else cast(node.this, "NUMERIC")
    if isinstance(node, exp.TryCast) and node.to.this in NUMBER_TARGETS:
        tried = call("dwsim_try_number", cast(node.this, "TEXT"))
        to = node.to
        if to.this == T.DECIMAL and len(to.expressions) == 2:
            digits, scale = to.expressions[0].this, to.expressions[1].this
            if digits.is_int and scale.is_int:
                # NULL where the value does not fit (PostgreSQL's cast failed the query)
                bound = exp.Literal.number(10 ** (int(digits.this) - int(scale.this)))
                rounded = call("ROUND", tried.copy(), scale.copy())
                past = exp.GTE(this=exp.Abs(this=rounded), expression=bound)
                return exp.Case(
                    ifs=[exp.If(this=past, true=exp.Null())], default=exp.cast(tried, to)
                )
        return exp.cast(tried, to)
    return node


@rewrite("numeric", engines=["snowflake"])
def numbers_emulator(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.ToNumber) and node.args.get("format") is not None:
        raise Refusal("TO_NUMBER with a format", node)
    if isinstance(node, exp.Sign):  # fakesnow fails on SIGN
        value = node.this
        zero = exp.Literal.number(0)
        return exp.Case(ifs=[
            exp.If(this=exp.GT(this=value.copy(), expression=zero), true=exp.Literal.number(1)),
            exp.If(this=exp.LT(this=value.copy(), expression=zero), true=exp.Literal.number(-1)),
            exp.If(this=exp.EQ(this=value.copy(), expression=zero), true=zero.copy()),
        ])  # fmt: skip
    return node


@rewrite("numeric", engines=["sqlite"])
def division_by_zero_fails_sqlite(node: exp.Expression) -> exp.Expression:
    """Both sources fail `x / 0` (but answer NULL for NULL / 0); SQLite answers NULL. The
    divisor goes through the pack's dwsim_divisor(divisor, dividend), which fails on zero
    unless the dividend is NULL. A non-zero literal, or NULLIF(y, 0), needs no check."""
    if not isinstance(node, exp.Div) or _never_zero(node.expression):
        return node
    node.set("expression", call("dwsim_divisor", node.expression, node.this.copy()))
    return node


@rewrite("numeric", sources=["redshift"], engines=["sqlite"])
def modulo_by_zero_fails_sqlite(node: exp.Expression) -> exp.Expression:
    """Redshift fails `x % 0` and MOD(x, 0) as PostgreSQL does; SQLite answers NULL."""
    if not isinstance(node, exp.Mod) or _never_zero(node.expression):
        return node
    node.set("expression", call("dwsim_divisor", node.expression, node.this.copy()))
    return node


@rewrite("numeric", sources=["snowflake"], engines=["sqlite"])
def integer_literal_past_64_bits_sqlite(node: exp.Expression) -> exp.Expression:
    """SQLite reads an integer literal past 64 bits, or a decimal one of more than 15
    significant digits, as a REAL (12345678901234567890123 became 12345678901234567741440);
    Snowflake holds it exactly (NUMBER(38, s)): refused by name. (Redshift SQL is left: the
    rewrites' own bounds, `9223372036854775807.0`, are such literals.)"""
    if not (isinstance(node, exp.Literal) and node.is_number) or "e" in node.this.lower():
        return node
    written = node.this.lstrip("-")
    if written.isdigit():
        value = -int(written) if isinstance(node.parent, exp.Neg) else int(written)
        if not -(2**63) <= value < 2**63:
            raise Refusal("an integer literal past 64 bits", node,
                          "SQLite would round it to a floating-point value")  # fmt: skip
    elif (
        "." in written
        and written.split(".")[1].strip("0")
        and len(written.replace(".", "").strip("0")) > 15
    ):
        # a REAL keeps 15 significant digits: 1.2345678901234567891 answered 1.2345678901234567
        raise Refusal("a decimal literal of more than 15 significant digits", node,
                      "SQLite would round it to a floating-point value")  # fmt: skip
    return node


@rewrite("numeric", engines=["snowflake"])
def modulo_by_minus_one_emulator(node: exp.Expression) -> exp.Expression:
    """An integer modulo -1 is 0 in both sources (the mock: INT_MIN % -1 is 0); DuckDB computes
    it by a division that overflows for the smallest integer and fails with its own words."""
    if not isinstance(node, exp.Mod) or node.meta.get("dwsim_mod_minus_one"):
        return node
    if not (is_integer(node.this) and is_integer(node.expression)):
        return node
    divisor = node.expression.unnest()
    if isinstance(divisor, exp.Literal) and divisor.is_number:
        return node  # a positive literal (or 0, failed elsewhere): no overflow
    node.meta["dwsim_mod_minus_one"] = True
    by_minus_one = exp.EQ(this=node.expression.copy(), expression=exp.Literal.number(-1))
    zero = exp.Mul(this=exp.Paren(this=node.this.copy()), expression=exp.Literal.number(0))
    return exp.Paren(this=exp.Case(ifs=[exp.If(this=by_minus_one, true=zero)], default=node))


def _scaled_rounding(engine: str) -> Rewrite:
    """Snowflake's CEIL(x, scale) and FLOOR(x, scale), exact on decimals."""

    def fn(node: exp.Expression) -> exp.Expression:
        if not isinstance(node, exp.Ceil | exp.Floor) or node.args.get("decimals") is None:
            return node
        places = node.args["decimals"]
        name = "CEIL" if isinstance(node, exp.Ceil) else "FLOOR"
        if engine == "sqlite":
            return call(f"dwsim_{name.lower()}", node.this, places)
        scale = call("POWER", cast(exp.Literal.number(10), "NUMERIC"), places)
        scaled = exp.Mul(this=cast(node.this, "NUMERIC"), expression=scale)
        return exp.Div(this=call(name, scaled), expression=scale.copy())

    return fn


for _engine in ("sqlite", "postgres"):
    rewrite("numeric", sources=["snowflake"], engines=[_engine])(_scaled_rounding(_engine))


@rewrite("numeric", engines=["sqlite"])
def modulo_of_decimals_sqlite(node: exp.Expression) -> exp.Expression:
    """MOD(4.5, 1.2) is 0.9 in both sources; SQLite's % works on integers only."""
    if isinstance(node, exp.Mod):
        return call("dwsim_mod", node.this, node.expression)
    return node


def _never_zero(divisor: exp.Expression) -> bool:
    inner = divisor.unnest()
    if isinstance(inner, exp.Neg):
        inner = inner.this.unnest()
    if isinstance(inner, exp.Literal) and inner.is_number:
        return float(inner.this) != 0
    return (
        isinstance(inner, exp.Nullif)
        and isinstance(inner.expression, exp.Literal)
        and inner.expression.is_number
        and float(inner.expression.this) == 0
    )


@rewrite("numeric", sources=["redshift"], engines=["sqlite"])
def random_in_unit_interval(node: exp.Expression) -> exp.Expression:
    """Redshift's RANDOM() is a double in [0, 1); SQLite's is a 64-bit integer."""
    if not isinstance(node, exp.Rand) or node.this is not None:
        return node
    spread = exp.Mod(this=exp.Abs(this=call("RANDOM")), expression=exp.Literal.number(1 << 53))
    return exp.Div(this=exp.Paren(this=spread), expression=exp.Literal.number(f"{1 << 53}.0"))


def _selects_above(node: exp.Expression) -> int:
    count, parent = 0, node.parent
    while parent is not None:
        count += isinstance(parent, exp.Select)
        parent = parent.parent
    return count


def _snowflake_random(engine: str) -> Rewrite:
    """Snowflake's RANDOM() is a 64-bit integer: SQLite's own; on PostgreSQL its double spread
    over the 64-bit range; the emulator's is Snowflake's. RANDOM(seed) repeats one value for
    every call with that seed in a row and differs between rows, which no engine here can do
    (it would not repeat Snowflake's numbers either): refused by name."""

    def fn(node: exp.Expression) -> exp.Expression:
        if not isinstance(node, exp.Rand):
            return node
        if node.this is not None:
            raise Refusal("RANDOM with a seed", node, "a seeded sequence is not carried")
        if engine == "snowflake":
            # fakesnow rewrites the first RANDOM() it finds below each SELECT: one nested in a
            # subquery (or a CTE) is rewritten twice and overflows.
            if _selects_above(node) > 1:
                raise Refusal("RANDOM in a subquery", node, "the emulator fails it")
            return node
        if engine == "sqlite":
            return call("RANDOM")
        centred = exp.Sub(this=call("RANDOM"), expression=exp.Literal.number(0.5))
        spread = exp.Mul(this=exp.Paren(this=centred), expression=exp.Literal.number(1 << 64))
        return cast(exp.Floor(this=spread), "BIGINT")

    return fn


@rewrite("numeric", sources=["redshift"], engines=["snowflake"])
def redshift_random_on_the_emulator(node: exp.Expression) -> exp.Expression:
    """The emulator's RANDOM is Snowflake's 64-bit integer, not Redshift's [0, 1) double."""
    if isinstance(node, exp.Rand):
        raise Refusal("RANDOM (Redshift SQL)", node)
    return node


for _engine in compat_engines():
    rewrite("numeric", sources=["snowflake"], engines=[_engine])(_snowflake_random(_engine))
