"""Snowflake's everyday string, encoding and number functions on each engine: SPACE, INSERT,
UNICODE, HEX_ENCODE / HEX_DECODE_STRING, BASE64_ENCODE / BASE64_DECODE_STRING (and their TRY_
forms), SOUNDEX, RTRIMMED_LENGTH, BIT_LENGTH, the hyperbolic functions, COT, FACTORIAL,
WIDTH_BUCKET and the bitwise functions on integers. SQLite and the Redshift mock call the
engine packs' functions; the emulator runs Snowflake's own where DuckDB has them."""

from __future__ import annotations

import math

from sqlglot import exp

from dwsim_query.compat.nodes import Refusal, call, cast, failure, text, type_of
from dwsim_query.compat.registry import Rewrite, rewrite

T = exp.DataType.Type
# Each function whose SQLite and Redshift-mock form is one pack call: (sqlite, postgres) names.
PACKED: dict[type[exp.Expression], tuple[str, str]] = {
    exp.Space: ("dwsim_space", "dwsim_space"),
    exp.Stuff: ("dwsim_insert", "dwsim_insert"),
    exp.Unicode: ("dwsim_unicode", "ascii"),
    exp.HexDecodeString: ("dwsim_hex_decode_string", "dwsim_hex_decode_string"),
    exp.TryHexDecodeString: ("dwsim_try_hex_decode_string", "dwsim_try_hex_decode_string"),
    exp.Soundex: ("dwsim_soundex", "dwsim_soundex"),
    exp.BitLength: ("dwsim_bit_length", "bit_length"),
    exp.Factorial: ("dwsim_factorial", "dwsim_factorial"),
    exp.Cosh: ("dwsim_cosh", "cosh"),
    exp.Sinh: ("dwsim_sinh", "sinh"),
    exp.Tanh: ("dwsim_tanh", "tanh"),
    exp.Acosh: ("dwsim_acosh", "acosh"),
    exp.Asinh: ("dwsim_asinh", "asinh"),
    exp.Atanh: ("dwsim_atanh", "atanh"),
    exp.Cot: ("dwsim_cot", "cot"),
}
BASE64 = (exp.Base64Encode, exp.Base64DecodeString, exp.TryBase64DecodeString)
BITWISE: dict[type[exp.Expression], str] = {
    exp.BitwiseAnd: "BITAND",
    exp.BitwiseOr: "BITOR",
    exp.BitwiseXor: "BITXOR",
}
SHIFTS: dict[type[exp.Expression], str] = {
    exp.BitwiseLeftShift: "BITSHIFTLEFT",
    exp.BitwiseRightShift: "BITSHIFTRIGHT",
}
TRIG_TEXT = (exp.Cosh, exp.Sinh, exp.Tanh, exp.Acosh, exp.Asinh, exp.Atanh, exp.Cot)


def _arguments(node: exp.Expression) -> list[exp.Expression]:
    return [
        v for k, v in node.args.items() if k in node.arg_types and isinstance(v, exp.Expression)
    ]


def _defaults_only(node: exp.Expression) -> None:
    """BASE64_ENCODE's line length and alphabet, BASE64_DECODE_STRING's alphabet: the defaults
    (0 and '+/=') only; any other is refused by name."""
    names: dict[type[exp.Expression], str] = {
        exp.Base64Encode: "BASE64_ENCODE", exp.Base64DecodeString: "BASE64_DECODE_STRING",
        exp.TryBase64DecodeString: "TRY_BASE64_DECODE_STRING"}  # fmt: skip
    name = names[type(node)]
    length, alphabet = node.args.get("max_line_length"), node.args.get("alphabet")
    if length is not None and not (isinstance(length, exp.Literal) and length.this == "0"):
        raise Refusal(f"{name} with a maximum line length", node, "lines are not broken here")
    if alphabet is not None and not (isinstance(alphabet, exp.Literal) and alphabet.this == "+/="):
        raise Refusal(f"{name} with an alphabet", node, "only the default '+/=' is read")


def _hex_case(node: exp.Hex) -> int:
    case = node.args.get("case")
    if case is None:
        return 1
    if isinstance(case, exp.Literal) and not case.is_string and case.this in ("0", "1"):
        return int(case.this)
    raise Refusal("HEX_ENCODE with a case that is not the literal 0 or 1", node)


def _bitwise_checked(node: exp.Expression) -> str | None:
    """The Snowflake name of a bitwise node on integers (its binary form refused by name)."""
    name = BITWISE.get(type(node)) or SHIFTS.get(type(node))
    if name is None and isinstance(node, exp.BitwiseNot):
        name = "BITNOT"
    if name is None:
        return None
    if node.args.get("padside") is not None:
        raise Refusal(f"{name} with a padding side", node, "BINARY values are not simulated")
    for argument in _arguments(node):
        if type_of(argument) in (T.BINARY, T.VARBINARY):
            raise Refusal(f"{name} of a BINARY value", node, "BINARY values are not simulated")
    return name


def _as_integer(value: exp.Expression) -> exp.Expression:
    """An argument as Snowflake reads it for a bitwise function: a number rounded to an integer
    (text that is no number fails)."""
    if type_of(value) in (T.INT, T.BIGINT, T.SMALLINT, T.TINYINT):
        return value
    return cast(value, "BIGINT")


def _shift(node: exp.Expression, engine: str) -> exp.Expression:
    """BITSHIFTLEFT / BITSHIFTRIGHT of a 64-bit integer: a shift that leaves the 64 bits fails
    on every engine (Snowflake shifts in 128 bits; the engines hold 64)."""
    left = isinstance(node, exp.BitwiseLeftShift)
    if engine == "sqlite":  # the pack rounds to integers and fails on text itself
        return call("dwsim_bitshift", node.this, node.expression, exp.Literal.number(int(left)))
    value, count = _as_integer(node.this), _as_integer(node.expression)
    if engine == "snowflake":
        shifted: exp.Expression = type(node)(this=value, expression=count)
        negative = exp.LT(this=count.copy(), expression=exp.Literal.number(0))
        message = f"{SHIFTS[type(node)]}: a negative shift"
        ifs = [exp.If(this=negative, true=failure(engine, message))]
        if left:  # DuckDB will not shift a negative number left: SIGN(x) * (ABS(x) << n)
            magnitude = type(node)(this=exp.Abs(this=value.copy()), expression=count.copy())
            shifted = exp.Mul(
                this=exp.Sign(this=value.copy()), expression=exp.Paren(this=magnitude)
            )
        return exp.Case(ifs=ifs, default=cast(shifted, "BIGINT"))
    two = exp.Pow(this=cast(exp.Literal.number(2), "DECIMAL(38, 0)"), expression=count)
    if isinstance(node, exp.BitwiseLeftShift):
        moved: exp.Expression = exp.Mul(this=cast(value, "DECIMAL(38, 0)"), expression=two)
    else:
        moved = exp.Floor(this=exp.Div(this=cast(value, "DECIMAL(38, 0)"), expression=two))
    negative = exp.LT(this=count.copy(), expression=exp.Literal.number(0))
    return exp.Case(
        ifs=[
            exp.If(this=negative, true=failure(engine, f"{SHIFTS[type(node)]}: a negative shift"))
        ],
        default=cast(moved, "BIGINT"),
    )


# The integer arguments of CHAR, SPACE and INSERT, rounded as Snowflake casts a number to an
# integer (before the numeric rewrites, which carry that cast on every engine).
INTEGER_ARGUMENTS: dict[type[exp.Expression], tuple[str, ...]] = {
    exp.Space: ("this",),
    exp.Stuff: ("start", "length"),
}


def _integer_arguments(node: exp.Expression, engine: str) -> exp.Expression | None:
    if isinstance(node, exp.Chr) and engine == "snowflake":
        if any(
            type_of(a) not in (T.INT, T.BIGINT, T.SMALLINT, T.TINYINT) for a in node.expressions
        ):
            # DuckDB's CHR takes a 32-bit INTEGER, which Snowflake's SQL cannot name
            raise Refusal("CHAR of a value that is not an integer", node)
        return None
    if isinstance(node, exp.Chr) and not node.meta.get("dwsim_rounded"):
        node.meta["dwsim_rounded"] = True
        # INT: PostgreSQL's CHR takes no BIGINT
        node.set(
            "expressions", [a if type_of(a) == T.INT else cast(a, "INT") for a in node.expressions]
        )
        return node
    keys = INTEGER_ARGUMENTS.get(type(node))
    if keys is None or node.meta.get("dwsim_rounded"):
        return None
    node.meta["dwsim_rounded"] = True
    for key in keys:
        if node.args.get(key) is not None:
            node.set(key, _as_integer(node.args[key]))
    return node


def bitwise_integers(engine: str) -> Rewrite:
    return lambda node: _bitwise_integers(node, engine)


def _bitwise_integers(node: exp.Expression, engine: str) -> exp.Expression:
    """BITAND / BITOR / BITXOR / BITNOT of numbers rounded to integers, as every engine's
    operators on 64-bit integers (XOR spelled with AND and OR, which all three have)."""
    rounded = _integer_arguments(node, engine)
    if rounded is not None:
        return rounded
    name = _bitwise_checked(node)
    if name is None or type(node) in SHIFTS or node.meta.get("dwsim_bitwise"):
        return node
    if isinstance(node, exp.BitwiseNot):  # `~-1` is no operator on PostgreSQL: `~(-1)`
        flipped = exp.BitwiseNot(this=exp.Paren(this=_as_integer(node.this)))
        flipped.meta["dwsim_bitwise"] = True
        return exp.Paren(this=flipped)
    left, right = _as_integer(node.this), _as_integer(node.expression)
    if isinstance(node, exp.BitwiseXor):
        both = exp.BitwiseAnd(
            this=exp.Paren(this=left.copy()), expression=exp.Paren(this=right.copy())
        )
        either = exp.BitwiseOr(this=exp.Paren(this=left), expression=exp.Paren(this=right))
        inner = exp.BitwiseNot(this=exp.Paren(this=both))
        for part in (both, either, inner):
            part.meta["dwsim_bitwise"] = True
        built: exp.Expression = exp.BitwiseAnd(
            this=exp.Paren(this=either), expression=exp.Paren(this=inner)
        )
    else:
        built = type(node)(this=exp.Paren(this=left), expression=exp.Paren(this=right))
    built.meta["dwsim_bitwise"] = True
    return exp.Paren(this=built)


def _everyday(engine: str) -> Rewrite:
    def fn(node: exp.Expression) -> exp.Expression:
        if type(node) in SHIFTS:
            _bitwise_checked(node)
            return _shift(node, engine)
        if isinstance(node, exp.RtrimmedLength):
            return exp.Length(this=exp.Trim(this=node.this, position="TRAILING"))
        if isinstance(node, exp.Hex) and not isinstance(node, exp.LowerHex):
            case = _hex_case(node)
            if engine == "snowflake":
                encoded = call("HEX_ENCODE", node.this)
                # LOWER(HEX_ENCODE(x)) is misread by the emulator: its digits lowered instead
                return (
                    encoded if case else call("TRANSLATE", encoded, text("ABCDEF"), text("abcdef"))
                )
            name = "dwsim_hex_encode"
            return call(name, node.this if engine == "sqlite" else cast(node.this, "TEXT"),
                        exp.Literal.number(case))  # fmt: skip
        if isinstance(node, BASE64):
            _defaults_only(node)
            name = {exp.Base64Encode: "base64_encode", exp.Base64DecodeString: "base64_decode_string",
                    exp.TryBase64DecodeString: "try_base64_decode_string"}[type(node)]  # fmt: skip
            if engine == "snowflake":
                if isinstance(node, exp.TryBase64DecodeString):
                    return _try_decode(node, "BASE64_DECODE_STRING", BASE64_TEXT)
                return call(name.upper(), node.this)
            value = node.this if engine == "sqlite" else cast(node.this, "TEXT")
            return call(f"dwsim_{name}", value)
        if isinstance(node, exp.WidthBucket):
            args = [
                node.this,
                node.args["min_value"],
                node.args["max_value"],
                node.args["num_buckets"],
            ]
            _integer_only(node, args[3], "WIDTH_BUCKET with a bucket count that is not an integer")
            bounds = [_number_literal(a) for a in args[1:3]]
            if None not in bounds and bounds[0] >= bounds[1]:  # type: ignore[operator]
                raise Refusal("WIDTH_BUCKET with a lower bound not below the upper one", node)
            if engine == "sqlite":
                return call("dwsim_width_bucket", *args)
            if engine == "postgres":
                return _width_bucket_guarded(args, engine, call("width_bucket", *args))
            return _width_bucket_guarded(args, engine, _width_bucket_case(node, args))
        if engine == "snowflake" and isinstance(node, exp.Stuff):
            return _insert_emulator(node)
        if engine == "snowflake" and isinstance(node, exp.TryHexDecodeString):
            return _try_decode(node, "HEX_DECODE_STRING", HEX_UTF8)
        if engine == "snowflake" and isinstance(node, exp.HexDecodeString):
            return _hex_decode_emulator(node)
        packed = PACKED.get(type(node))
        if packed is None or engine == "snowflake":
            if engine == "snowflake" and isinstance(node, exp.Soundex):
                raise Refusal("SOUNDEX", node, "the emulator has no SOUNDEX")
            if isinstance(node, exp.Factorial):
                _integer_only(node, node.this, "FACTORIAL of a value that is not an integer")
            if engine == "snowflake" and isinstance(node, exp.Factorial):
                return _factorial_emulator(node)
            if engine == "snowflake" and isinstance(node, exp.Acosh | exp.Atanh):
                return _domain_emulator(node)
            return node
        if isinstance(node, exp.Factorial):
            _integer_only(node, node.this, "FACTORIAL of a value that is not an integer")
        args = _arguments(node)
        if engine == "postgres" and isinstance(node, TRIG_TEXT):
            args = [
                cast(a, "DOUBLE PRECISION") if type_of(a) in exp.DataType.TEXT_TYPES else a
                for a in args
            ]
        return call(packed[0] if engine == "sqlite" else packed[1], *args)

    return fn


HEX_TEXT = "^([0-9A-Fa-f]{2})*$"
BASE64_TEXT = "^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"


# Hex text of bytes that are UTF-8 (the well-formed sequences of the Unicode standard, table
# 3-7): DuckDB fails to decode any other bytes in its own words.
HEX_UTF8 = (
    "^(?i:[0-7][0-9A-F]|C[2-9A-F][89AB][0-9A-F]|D[0-9A-F][89AB][0-9A-F]"
    "|E0[AB][0-9A-F][89AB][0-9A-F]|E[1-9A-CEF][89AB][0-9A-F][89AB][0-9A-F]"
    "|ED[89][0-9A-F][89AB][0-9A-F]|F0[9AB][0-9A-F]([89AB][0-9A-F]){2}"
    "|F[1-3]([89AB][0-9A-F]){3}|F48[0-9A-F]([89AB][0-9A-F]){2})*$"
)


def _hex_decode_emulator(node: exp.Expression) -> exp.Expression:
    """HEX_DECODE_STRING of hex whose bytes are no UTF-8 fails by name (Snowflake fails it; the
    emulator failed in DuckDB's words)."""
    hex_text = exp.RegexpLike(this=node.this.copy(), expression=text(HEX_TEXT))
    utf8 = exp.RegexpLike(this=node.this.copy(), expression=text(HEX_UTF8))
    bad = exp.and_(hex_text, exp.Not(this=utf8))
    fails = call("ERROR", text("HEX_DECODE_STRING of bytes that are not UTF-8"))
    return exp.Case(ifs=[exp.If(this=bad, true=fails)], default=node)


def _try_decode(node: exp.Expression, name: str, pattern: str) -> exp.Expression:
    """TRY_HEX_DECODE_STRING / TRY_BASE64_DECODE_STRING on the emulator (DuckDB has neither):
    the decoding where the text is an encoding, else NULL."""
    valid = exp.RegexpLike(this=node.this.copy(), expression=text(pattern))
    return exp.Case(ifs=[exp.If(this=valid, true=call(name, node.this))], default=exp.Null())


INTEGER_TYPES = (T.INT, T.BIGINT, T.SMALLINT, T.TINYINT)
# WIDTH_BUCKET's documented domain (its page): values and bounds within +-(2^53 - 1), the lower
# bound below the upper one. Reversed bounds, which the page does not describe (PostgreSQL counts
# them downwards), fail by name as the SQLite pack does.
WIDTH_BUCKET_LIMIT = 2**53 - 1


def _integer_only(node: exp.Expression, value: exp.Expression, construct: str) -> None:
    """FACTORIAL's argument and WIDTH_BUCKET's bucket count are integers (their pages); how
    Snowflake rounds a fraction there is not written down, so a typed non-integer is refused."""
    kind = type_of(value)
    if kind is not None and kind not in INTEGER_TYPES and kind not in (T.NULL, T.UNKNOWN):
        raise Refusal(construct, node, "the reference takes an integer there")


def _number_literal(value: exp.Expression) -> float | None:
    if isinstance(value, exp.Neg):
        inner = _number_literal(value.this)
        return None if inner is None else -inner
    if isinstance(value, exp.Literal) and not value.is_string:
        return float(value.this)
    return None


def _width_bucket_guarded(
    args: list[exp.Expression], engine: str, bucket: exp.Expression
) -> exp.Expression:
    """The engine's WIDTH_BUCKET, failing by name outside the documented domain."""
    value, low, high, _ = args
    limit = exp.Literal.number(WIDTH_BUCKET_LIMIT)
    outside = exp.or_(
        *(exp.GT(this=exp.Abs(this=a.copy()), expression=limit.copy()) for a in (value, low, high))
    )
    reversed_ = exp.GTE(this=low.copy(), expression=high.copy())
    return exp.Case(
        ifs=[
            exp.If(this=reversed_, true=failure(engine, "WIDTH_BUCKET needs a lower bound below the upper one")),
            exp.If(this=outside, true=failure(engine, "WIDTH_BUCKET takes values between -(2^53 - 1) and 2^53 - 1")),
        ],
        default=bucket,
    )  # fmt: skip


def _width_bucket_case(node: exp.Expression, args: list[exp.Expression]) -> exp.Expression:
    """WIDTH_BUCKET on the emulator (DuckDB has none): a CASE over literal bounds, checked here."""
    value, low, high, count = args
    try:
        lo, hi, n = (float(a.this) if isinstance(a, exp.Literal) and not a.is_string else None
                     for a in (low, high, count))  # fmt: skip
    except ValueError:
        lo = None
    if lo is None or hi is None or n is None:
        raise Refusal("WIDTH_BUCKET with bounds or a bucket count that are not numbers", node)
    if lo >= hi or n < 1 or n != int(n):
        raise Refusal("WIDTH_BUCKET with a lower bound not below the upper one", node)
    bucket = exp.Floor(this=exp.Div(
        this=exp.Mul(this=exp.Paren(this=exp.Sub(this=value.copy(), expression=low.copy())),
                     expression=cast(count.copy(), "DOUBLE")),
        expression=exp.Paren(this=exp.Sub(this=high.copy(), expression=low.copy()))))  # fmt: skip
    return exp.Case(
        ifs=[
            exp.If(this=exp.Is(this=value.copy(), expression=exp.Null()), true=exp.Null()),
            exp.If(this=exp.LT(this=value.copy(), expression=low.copy()), true=exp.Literal.number(0)),
            exp.If(this=exp.GTE(this=value.copy(), expression=high.copy()),
                   true=exp.Literal.number(int(n) + 1)),
        ],
        default=cast(exp.Add(this=bucket, expression=exp.Literal.number(1)), "BIGINT"),
    )  # fmt: skip


def _insert_emulator(node: exp.Expression) -> exp.Expression:
    """INSERT needs a position of at least 1 and a length of at least 0 (DuckDB's substring
    arithmetic answers something for any)."""
    bad = exp.Or(
        this=exp.LT(this=node.args["start"].copy(), expression=exp.Literal.number(1)),
        expression=exp.LT(this=node.args["length"].copy(), expression=exp.Literal.number(0)),
    )
    message = "INSERT needs a position of at least 1 and a length of at least 0"
    return exp.Case(ifs=[exp.If(this=bad, true=call("ERROR", text(message)))], default=node)


def _domain_emulator(node: exp.Expression) -> exp.Expression:
    """ACOSH below 1 and ATANH beyond -1..1 fail (DuckDB answers NaN)."""
    value = node.this
    if isinstance(node, exp.Acosh):
        outside: exp.Expression = exp.LT(this=value.copy(), expression=exp.Literal.number(1))
    else:
        outside = exp.GT(this=exp.Abs(this=value.copy()), expression=exp.Literal.number(1))
    name = "ACOSH" if isinstance(node, exp.Acosh) else "ATANH"
    return exp.Case(ifs=[exp.If(this=outside, true=call("ERROR", text(f"{name}: the value is out of its domain")))],
                    default=node)  # fmt: skip


def _factorial_emulator(node: exp.Expression) -> exp.Expression:
    """FACTORIAL takes 0 to 33 (DuckDB's reads only a 32-bit INTEGER and answers other values
    without failing): the 34 values written out."""
    value = _as_integer(node.this)
    return exp.Case(
        ifs=[exp.If(this=exp.Is(this=value.copy(), expression=exp.Null()), true=exp.Null())]
        + [exp.If(this=exp.EQ(this=value.copy(), expression=exp.Literal.number(n)),
                  true=exp.Literal.number(math.factorial(n))) for n in range(34)],
        default=call("ERROR", text("FACTORIAL: the argument must be between 0 and 33")),
    )  # fmt: skip


for _engine in ("sqlite", "postgres", "snowflake"):
    rewrite("numeric", sources=["snowflake"], engines=[_engine], first=True)(
        bitwise_integers(_engine)
    )
    rewrite("strings", sources=["snowflake"], engines=[_engine])(_everyday(_engine))
