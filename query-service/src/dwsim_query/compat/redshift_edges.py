"""Redshift's meaning at the edges where an engine read an argument otherwise: untyped NULL and
text literals, NULL arguments, empty patterns and formats (found by tests/test_differential.py;
decisions: "Redshift differential disagreements" in docs/decisions.md)."""

from __future__ import annotations

import decimal
import re

from sqlglot import exp

from dwsim_query.compat.literals import compact_dates
from dwsim_query.compat.nodes import INTEGER_TYPES, Refusal, call, cast, failure, text, type_of
from dwsim_query.compat.registry import Rewrite, combine, rewrite
from dwsim_shared.compat_packs.formats import FormatError, parse_datetime

NUMERIC_AGGREGATES = (
    exp.Sum, exp.Avg, exp.Stddev, exp.StddevPop, exp.StddevSamp, exp.Variance, exp.VariancePop,
    exp.Median,
)  # fmt: skip
# Text a date or timestamp literal spells (ISO, or compact as compact_dates reads it).
_DATE_TEXT = re.compile(r"\s*\d{4}-?\d{2}-?\d{2}([ T]\d.*)?\s*")
# The largest x whose EXP(x) is a finite DOUBLE PRECISION.
EXP_LIMIT = 709.782712893384


def _untyped(node: exp.Expression | None) -> bool:
    """An untyped NULL or a text literal (PostgreSQL types both `unknown`)."""
    if isinstance(node, exp.Null):
        return True
    return isinstance(node, exp.Literal) and node.is_string


@rewrite("numeric", sources=["redshift"], engines=["postgres", "snowflake"], first=True)
def aggregate_literals(node: exp.Expression) -> exp.Expression:
    """SUM/AVG/STDDEV/VARIANCE/MEDIAN of NULL answer NULL in Redshift; of text that spells no
    number they fail. The mock could not choose a `sum(unknown)`; the emulator answered NULL for
    SUM('abc'). The literal is read as a number, which fails for 'abc' and ''."""
    if isinstance(node, NUMERIC_AGGREGATES) and _untyped(node.this):
        node.set("this", cast(node.this.copy(), "DOUBLE"))
    return node


@rewrite("numeric", sources=["redshift"], engines=["snowflake"], first=True)
def round_to_null_places(node: exp.Expression) -> exp.Expression:
    """ROUND(x, NULL) is NULL (the emulator refused a scale that is not a constant)."""
    places = node.args.get("decimals") if isinstance(node, exp.Round) else None
    if isinstance(places, exp.Expression) and isinstance(places.unnest(), exp.Null):
        return exp.Null()
    return node


@rewrite("numeric", sources=["redshift"], engines=["postgres"], first=True)
def substring_positions_are_integers(node: exp.Expression) -> exp.Expression:
    """SUBSTRING(s, 'abc') fails in Redshift (the position is an integer); the mock's
    `SUBSTRING(s FROM 'abc')` is a regular-expression match, which answered NULL."""
    if not isinstance(node, exp.Substring):
        return node
    for key in ("start", "length"):
        argument = node.args.get(key)
        if isinstance(argument, exp.Expression) and (
            (isinstance(argument, exp.Literal) and argument.is_string)
            or type_of(argument) in exp.DataType.TEXT_TYPES
        ):
            node.set(key, cast(argument.copy(), "INT"))
    return node


def _finite_exp(node: exp.Expression) -> bool:
    argument = node.this
    return (
        isinstance(argument, exp.Literal)
        and not argument.is_string
        and (float(argument.this) <= EXP_LIMIT)
    )


# After numeric_args (text arguments are converted first).
@rewrite("numeric", sources=["redshift"], engines=["sqlite"])
def exp_overflow_sqlite(node: exp.Expression) -> exp.Expression:
    """EXP past DOUBLE PRECISION's range fails in Redshift ("value out of range: overflow", as
    on the mock); SQLite answered infinity."""
    if isinstance(node, exp.Exp) and not _finite_exp(node):
        node.set("this", call("dwsim_in_domain", node.this.copy(), text("EXP")))
    return node


@rewrite("numeric", sources=["redshift"], engines=["snowflake"], first=True)
def exp_overflow_emulator(node: exp.Expression) -> exp.Expression:
    """The emulator answers infinity for EXP past DOUBLE PRECISION's range: there it fails as
    the mock does (a cast that cannot succeed, which DuckDB runs only on the rows past it)."""
    if not isinstance(node, exp.Exp) or _finite_exp(node):
        return node
    past = exp.GT(this=node.this.copy(), expression=exp.Literal.number(EXP_LIMIT))
    failure = cast(text("EXP: value out of range: overflow"), "DOUBLE")
    return exp.Case(ifs=[exp.If(this=past, true=failure)], default=node)


# Redshift's integer types and their ranges (r_Numeric_types201): a value past them fails
# ("smallint out of range"); a fraction rounds first (r_Examples_with_numeric_types201).
INTEGER_RANGES = {
    exp.DataType.Type.SMALLINT: ("smallint", -(2**15), 2**15 - 1),
    exp.DataType.Type.INT: ("integer", -(2**31), 2**31 - 1),
    exp.DataType.Type.BIGINT: ("bigint", -(2**63), 2**63 - 1),
}
# Meta of a range guard: the guarded expression without its guards (the emulator's range test
# of an enclosing arithmetic reads it), and that value in DOUBLE PRECISION.
_ORIGINAL = "dwsim_int_original"
_PLAIN = "dwsim_int_plain"
_WIDTH = {exp.DataType.Type.TINYINT: 8, exp.DataType.Type.SMALLINT: 16, exp.DataType.Type.INT: 32,
          exp.DataType.Type.BIGINT: 64}  # fmt: skip


def _exact_literal(node: exp.Expression) -> int | None:
    """A number literal (or text of an integer) rounded half away from zero, as Redshift rounds
    a fraction cast to an integer type; None for anything else."""
    bare, sign = node.unnest(), 1
    if isinstance(bare, exp.Neg):
        bare, sign = bare.this.unnest(), -1
    if not isinstance(bare, exp.Literal):
        return None
    written = bare.this.strip()
    if bare.is_string and not re.fullmatch(r"[+-]?\d+", written):
        return None
    try:
        number = decimal.Decimal(written)
    except decimal.InvalidOperation:
        return None
    if not number.is_finite():
        return None
    return sign * int(number.quantize(decimal.Decimal(1), rounding=decimal.ROUND_HALF_UP))


def _integer_cast_range(engine: str) -> Rewrite:
    def fn(node: exp.Expression) -> exp.Expression:
        """CAST to SMALLINT, INTEGER or BIGINT fails (TRY_CAST answers NULL) past the type's
        range, as Redshift and the mock fail; SQLite stored 12345678 as a SMALLINT and clamped
        BIGINTs, and the emulator's Snowflake integers are NUMBER(38, 0). BIGINT's bound is
        checked in DOUBLE: a value within 1,024 past 2^63 - 1 reaches SQLite's clamp."""
        if type(node) not in (exp.Cast, exp.TryCast) or node.meta.get("range_checked"):
            return node
        assert isinstance(node, exp.Cast)
        target = node.to.this
        if target not in INTEGER_RANGES:
            return node
        source = type_of(node.this)
        if source in INTEGER_TYPES and _WIDTH.get(source, 64) <= _WIDTH[target]:
            return node  # a narrower integer always fits
        tried = type(node) is exp.TryCast
        if engine == "postgres" and not tried:
            return node  # the mock fails past the range itself
        name, low, high = INTEGER_RANGES[target]
        node.meta["range_checked"] = True
        written = _exact_literal(node.this)
        if written is not None and low <= written <= high:
            return cast(exp.Literal.number(written), node.to.sql(), None)  # decided here, exactly
        if written is not None and tried:
            return cast(exp.Null(), node.to.sql(), None)
        if written is not None:  # past the range, whichever engine
            if engine == "snowflake":
                return cast(text(f"{name} out of range"), "BIGINT")
            return failure(engine, f"{name} out of range")
        value: exp.Expression = (
            exp.TryCast(this=node.this.copy(), to=exp.DataType.build("DOUBLE"))
            if tried
            else cast(node.this.copy(), "DOUBLE")
        )
        at_edge: exp.Expression | None = None
        if target == exp.DataType.Type.BIGINT:
            # 2^63 - 1 is no DOUBLE: every value within 1,024 of either end of the range is
            # 2^63 (or -2^63) there. A DOUBLE of 2^63 is past the range; any other value at
            # that edge is told apart exactly (the emulator) or fails by name (SQLite).
            edge = exp.Literal.number("9223372036854775808.0")
            floats = {exp.DataType.Type.FLOAT, exp.DataType.Type.DOUBLE}
            past = exp.or_(
                (exp.GTE if source in floats else exp.GT)(this=value, expression=edge),
                exp.LT(this=value.copy(), expression=exp.Neg(this=edge.copy())),
            )
            if source not in floats and engine != "postgres":
                at_edge = exp.EQ(this=exp.Abs(this=value.copy()), expression=edge.copy())
            if at_edge is not None and engine == "snowflake":
                exact = exp.TryCast(this=node.this.copy(), to=exp.DataType.build("DECIMAL(38, 0)"))
                beyond = exp.or_(
                    exp.GT(this=exact, expression=exp.Literal.number(high)),
                    exp.LT(this=exact.copy(), expression=exp.Literal.number(low)),
                )
                past = exp.or_(past, exp.and_(at_edge, beyond))
                at_edge = None
        else:
            past = exp.or_(
                exp.GTE(this=value, expression=exp.Literal.number(high + 0.5)),
                exp.LTE(this=value.copy(), expression=exp.Literal.number(low - 0.5)),
            )
        # TRY_CAST answers NULL where CAST fails (r_TRY_CAST)
        if tried:
            past_value: exp.Expression = exp.Null()
        elif engine == "snowflake":
            # a cast that cannot succeed: DuckDB's ERROR() is volatile, which a window's ORDER
            # BY refuses (as in _integer_arithmetic_range)
            past_value = cast(text(f"{name} out of range"), "BIGINT")
        else:
            past_value = failure(engine, f"{name} out of range")
        ifs = [exp.If(this=past, true=past_value)]
        if at_edge is not None:  # SQLite: a DECIMAL or text within 1,024 of the range's end
            ifs.append(exp.If(this=at_edge, true=failure(
                engine, "CAST to BIGINT of a value within 1,024 of its range's end is not "
                "told apart on SQLite",
            )))  # fmt: skip
        guard = exp.Case(ifs=ifs, default=node)
        if engine == "snowflake":  # what an enclosing arithmetic's range test reads instead
            guard.meta[_ORIGINAL] = node.copy()
        return guard

    return fn


_BITS = {exp.DataType.Type.SMALLINT: 16, exp.DataType.Type.INT: 32, exp.DataType.Type.BIGINT: 64}
_OF_BITS = {16: "SMALLINT", 32: "INT", 64: "BIGINT"}
_ARITHMETIC = (exp.Add, exp.Sub, exp.Mul, exp.Div)


def _literal_integer(node: exp.Expression) -> int | None:
    """The value of an integer literal, negated ones included (`-2147483648`)."""
    bare = node.unnest()
    if isinstance(bare, exp.Neg):
        inner = _literal_integer(bare.this)
        return None if inner is None else -inner
    if isinstance(bare, exp.Literal) and not bare.is_string and bare.this.isdigit():
        return int(bare.this)
    return None


def _fits(value: int, bits: int) -> bool:
    return -(1 << (bits - 1)) <= value < (1 << (bits - 1))


def _integer_bits(node: exp.Expression) -> int | None:
    """The width of an integer operand as Redshift types it: a literal is an INTEGER when it
    fits, else a BIGINT (else a DECIMAL), as in PostgreSQL; None: not an integer."""
    value = _literal_integer(node)
    if value is not None:
        return 32 if _fits(value, 32) else 64 if _fits(value, 64) else None
    if isinstance(node.unnest(), exp.Literal):
        return None
    return _BITS.get(type_of(node))


def _arithmetic_bits(node: exp.Expression) -> int | None:
    """The width of the integer result of +, -, *, / (both operands integers: the wider one,
    r_numeric_computations201), unary minus and ABS (the operand's); None when not one."""
    if type_of(node) not in INTEGER_TYPES:
        return None
    if isinstance(node, _ARITHMETIC):
        left, right = _integer_bits(node.this), _integer_bits(node.expression)
        if left is None or right is None:
            return None
        bits = max(left, right)
        a, b = _literal_integer(node.this), _literal_integer(node.expression)
        if isinstance(node, exp.Div):  # only the smallest value divided by -1 overflows
            smallest = -(1 << (bits - 1))
            return (
                None if (b is not None and b != -1) or (a is not None and a != smallest) else bits
            )
        if a is not None and b is not None:
            results = {exp.Add: a + b, exp.Sub: a - b, exp.Mul: a * b}
            if _fits(results[type(node)], bits):
                return None  # a constant that fits: nothing to check
        return bits
    if isinstance(node, exp.Neg | exp.Abs) and _literal_integer(node) is None:
        return _integer_bits(node.this)
    return None


def _unguarded(node: exp.Expression) -> exp.Expression:
    copied = node.copy()
    for guard in [n for n in copied.walk() if n._meta and _ORIGINAL in n.meta]:
        original = guard.meta[_ORIGINAL].copy()
        if guard is copied:
            return original
        guard.replace(original)
    return copied


def _plain(node: exp.Expression) -> exp.Expression:
    """`node` computed in DOUBLE PRECISION without its guards (the emulator's range test)."""
    if node._meta and _PLAIN in node.meta:
        plain: exp.Expression = node.meta[_PLAIN].copy()
        return plain
    if isinstance(node, exp.Paren):
        return exp.Paren(this=_plain(node.this))
    return cast(_unguarded(node), "DOUBLE")


def _integer_arithmetic_range(engine: str) -> Rewrite:
    def fn(node: exp.Expression) -> exp.Expression:
        """+, -, *, / (INT_MIN / -1), unary minus and ABS on SMALLINT, INTEGER and BIGINT
        operands are computed in the result's type and fail past its range ("integer out of
        range"), as in Redshift and on the mock; SQLite (64 bits, then REAL) and the emulator
        (NUMBER(38, 0)) answered the wider value."""
        bits = _arithmetic_bits(node)
        if bits is None:
            return node
        name = INTEGER_RANGES[exp.DataType.Type[_OF_BITS[bits]]][0]
        kind = exp.DataType.build(_OF_BITS[bits])
        if engine == "sqlite":  # one evaluation of the value, checked by the pack
            guard: exp.Expression = call("dwsim_int_range", node, exp.Literal.number(bits))
            guard.type = kind
            return guard
        if isinstance(node, _ARITHMETIC):
            plain: exp.Expression = node.__class__(
                this=_plain(node.this), expression=_plain(node.expression)
            )
        else:
            plain = node.__class__(this=_plain(node.this))
        # Past [-2^(b-1), 2^(b-1) - 1] (a whole number, or a quotient) with the value written
        # once; BIGINT's bound in DOUBLE is 2^63, so the 1,024 past it reach DuckDB's own check.
        shifted = plain if bits == 64 else exp.Add(this=plain, expression=exp.Literal.number(0.5))
        bound = exp.Literal.number(f"{1 << (bits - 1)}.0")
        past = exp.GT(this=exp.Abs(this=shifted), expression=bound)
        original = _unguarded(node)
        # A cast that cannot succeed, run only on the rows past the range: DuckDB's ERROR() is
        # volatile, which a window's ORDER BY refuses.
        failing = cast(text(f"{name} out of range"), "BIGINT")
        guard = exp.Case(ifs=[exp.If(this=past, true=failing)], default=node)
        guard.type = kind
        # A parent's test reads this value without the guard; a quotient as truncated.
        guard.meta[_PLAIN] = cast(original, "DOUBLE") if isinstance(node, exp.Div) else plain
        guard.meta[_ORIGINAL] = original
        return guard

    return fn


for _engine in ("sqlite", "postgres", "snowflake"):
    checks = [_integer_cast_range(_engine)]
    if _engine != "postgres":  # the mock computes in the type and fails past it itself
        checks.append(_integer_arithmetic_range(_engine))
    rewrite("numeric", sources=["redshift"], engines=[_engine], first=True)(combine(*checks))


@rewrite("strings", sources=["redshift"], first=True)
def concat_of_null_is_null(node: exp.Expression) -> exp.Expression:
    """Redshift's CONCAT(a, b) is `a || b`: NULL when either is NULL (r_CONCAT). The mock's and
    the emulator's CONCAT skip a NULL."""
    if isinstance(node, exp.Concat) and len(node.expressions) == 2:
        first, second = node.expressions
        return exp.Paren(this=exp.DPipe(this=first, expression=second, safe=False))
    return node


@rewrite("strings", sources=["redshift"], first=True)
def chr_of_an_integer(node: exp.Expression) -> exp.Expression:
    """CHR takes an INTEGER code point (r_CHR); SQLite cut 2.5 to 2 where the mock and the
    emulator fail. A number that is not an integer is refused by name."""
    if not isinstance(node, exp.Chr) or len(node.expressions) != 1:
        return node
    argument = node.expressions[0]
    if isinstance(argument, exp.Literal) and not argument.is_string:
        whole = re.fullmatch(r"-?\d+", argument.this) is not None
    else:
        whole = type_of(argument) not in exp.DataType.REAL_TYPES
    if not whole:
        raise Refusal("CHR of a number that is not an integer", node)
    return node


_REGEX = (exp.RegexpCount, exp.RegexpInstr, exp.RegexpExtract, exp.RegexpLike, exp.RegexpReplace)


@rewrite("strings", sources=["redshift"], first=True)
def regex_edges(node: exp.Expression) -> exp.Expression:
    """A NULL pattern answers NULL (the emulator's translation crashed on it). An empty pattern
    is refused by name: what Redshift answers for it is not documented, and the engines differ
    (REGEXP_COUNT('abc', '') is 4 on SQLite and the mock, 0 on the emulator)."""
    if not isinstance(node, _REGEX):
        return node
    pattern = node.expression.unnest()
    if isinstance(pattern, exp.Null):
        return exp.Null()
    if isinstance(pattern, exp.Literal) and pattern.is_string and pattern.this == "":
        name = node.sql_name() if not isinstance(node, exp.RegexpExtract) else "REGEXP_SUBSTR"
        raise Refusal(f"{name} with an empty pattern", node, "Redshift's answer is not documented")
    return node


@rewrite("dates", sources=["redshift"], first=True)
def to_char_empty_format(node: exp.Expression) -> exp.Expression:
    """TO_CHAR(d, '') is refused by name: Redshift's answer is not documented and the engines
    differ (NULL on the mock, '' on SQLite and the emulator)."""
    if isinstance(node, exp.TimeToStr):
        # The format as written (sqlglot's own reading of '' is the text 'None').
        raw = node.meta.get("dwsim_format") if node._meta else None
        if raw == "":
            raise Refusal(
                "TO_CHAR with an empty format", node, "Redshift's answer is not documented"
            )
    return node


@rewrite("dates", sources=["redshift"], engines=["postgres"], first=True)
def lenient_parse_of_literals(node: exp.Expression) -> exp.Expression:
    """TO_TIMESTAMP/TO_DATE of literal text that does not match its format: SQLite and the
    emulator fail, the mock's lenient `to_timestamp` reads TO_TIMESTAMP(' 12 ', 'YYYY-MM-DD
    HH24:MI:SS') as year 12. Redshift's answer is not documented: refused by name."""
    if not isinstance(node, exp.StrToDate | exp.StrToTime):
        return node
    raw = node.meta.get("dwsim_format") if node._meta else None
    value = node.this
    if raw is None or not (isinstance(value, exp.Literal) and value.is_string):
        return node
    try:
        parse_datetime(value.name, str(raw), "redshift", strict=False)
    except FormatError:
        return node
    except ValueError as error:
        if "does not match" in str(error):
            name = "TO_DATE" if isinstance(node, exp.StrToDate) else "TO_TIMESTAMP"
            raise Refusal(
                f"{name} of text that does not match its format",
                node,
                "Redshift's answer is not documented",
            ) from error
    return node


def _as(node: exp.Expression, to: str) -> exp.Expression:
    return compact_dates(cast(node.copy(), to))


@rewrite("dates", sources=["redshift"], engines=["postgres", "snowflake"], first=True)
def temporal_literals(node: exp.Expression) -> exp.Expression:
    """Redshift reads an untyped NULL, and text that spells a timestamp, as the timestamp the
    function takes (DATE_PART('year', '2024-02-29 23:59:59') is 2024); the emulator could not
    choose a function for them, nor the mock LAST_DAY(NULL)'s date_trunc."""
    if isinstance(node, exp.LastDay) and isinstance(node.this.unnest(), exp.Null):
        node.set("this", cast(exp.Null(), "DATE"))
        return node
    if not isinstance(node, exp.Extract | exp.TimestampTrunc | exp.TimeToStr):
        return node
    key = "expression" if isinstance(node, exp.Extract) else "this"
    value = node.args.get(key)
    if isinstance(value, exp.Null) and not isinstance(node, exp.TimeToStr):
        node.set(key, cast(value.copy(), "TIMESTAMP"))
    elif (
        isinstance(value, exp.Literal)
        and value.is_string
        and _DATE_TEXT.fullmatch(value.this)
        and not isinstance(node.parent, exp.Cast)
    ):
        node.set(key, _as(value, "TIMESTAMP"))
    return node


@rewrite("aggregates", sources=["redshift"], first=True)
def listagg_null_delimiter(node: exp.Expression) -> exp.Expression:
    """LISTAGG's delimiter defaults to NULL, which is no delimiter (r_LISTAGG); the emulator
    answered NULL for LISTAGG(s, NULL)."""
    if isinstance(node, exp.GroupConcat) and isinstance(node.args.get("separator"), exp.Null):
        node.set("separator", text(""))
    return node


@rewrite("conditionals", sources=["redshift"], engines=["sqlite"])
def decode_number_searches(node: exp.Expression) -> exp.Expression:
    """DECODE(number, 'abc', ...) fails in Redshift (the search is compared as a number: invalid
    input syntax for integer); SQLite compared the text and answered the default."""
    if not isinstance(node, exp.DecodeCase) or not node.expressions:
        return node
    subject, *rest = node.expressions
    if type_of(subject) not in exp.DataType.NUMERIC_TYPES:
        return node
    searches = rest[0 : len(rest) - 1 : 2] if len(rest) % 2 else rest[0::2]
    for search in searches:
        if isinstance(search, exp.Literal) and search.is_string:
            search.replace(call("dwsim_number_arg", search.copy()))
    return node


@rewrite("semistructured", sources=["redshift"], engines=["sqlite"])
def json_parse_sqlite(node: exp.Expression) -> exp.Expression:
    """JSON_PARSE parses: text that is not JSON fails, and the value prints as Redshift prints
    SUPER (JSON_PARSE(' 12 ') is 12). SQLite kept the text as it was."""
    if isinstance(node, exp.ParseJSON):
        return call("json", node.this)
    return node
