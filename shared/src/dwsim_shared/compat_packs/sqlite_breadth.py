"""SQLite pack functions for Snowflake's everyday string, encoding and number functions
(SPACE, INSERT, UNICODE, HEX_ENCODE / HEX_DECODE_STRING, BASE64_*, SOUNDEX, BIT_LENGTH,
FACTORIAL, WIDTH_BUCKET, the hyperbolic functions) and the TRY_ conversions to TIME and
BOOLEAN. Each answers NULL for a NULL argument and fails, naming the value, where Snowflake
fails."""

from __future__ import annotations

import base64
import binascii
import decimal
import math
import re
from collections.abc import Callable
from typing import Any

from dwsim_shared.compat_packs.sqlite_functions import cast_time, try_

_HEX = re.compile(r"(?:[0-9A-Fa-f]{2})*")


def _nulls(fn: Callable[..., Any]) -> Callable[..., Any]:
    def call(*values: Any) -> Any:
        return None if any(v is None for v in values) else fn(*values)

    return call


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        raise ValueError("a binary value is not text")
    return str(value)


def _integer(value: Any) -> int:
    """A number rounded half away from zero, as Snowflake casts it to an integer; text that is
    no number fails."""
    if isinstance(value, bool):
        return int(value)
    try:
        number = decimal.Decimal(repr(value) if isinstance(value, float) else str(value).strip())
    except decimal.InvalidOperation:
        raise ValueError(f"Numeric value '{value}' is not recognized") from None
    if not number.is_finite():
        raise ValueError(f"Numeric value '{value}' is not recognized")
    return int(number.quantize(decimal.Decimal(1), rounding=decimal.ROUND_HALF_UP))


def _number(value: Any) -> float:
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        raise ValueError(f"Numeric value '{value}' is not recognized") from None


def space(count: Any) -> str:
    return " " * max(0, _integer(count))


def insert(value: Any, position: Any, length: Any, replacement: Any) -> str:
    text, start, removed = _text(value), _integer(position), _integer(length)
    if start < 1 or removed < 0:
        raise ValueError("INSERT needs a position of at least 1 and a length of at least 0")
    return text[: start - 1] + _text(replacement) + text[start - 1 + removed :]


def unicode(value: Any) -> int:
    text = _text(value)
    return ord(text[0]) if text else 0


def hex_encode(value: Any, case: Any = 1) -> str:
    encoded = _text(value).encode("utf-8").hex()
    return encoded.upper() if _integer(case) else encoded


def hex_decode_string(value: Any) -> str:
    try:
        if not _HEX.fullmatch(_text(value)):
            raise ValueError("not hex")
        return bytes.fromhex(_text(value)).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        raise ValueError(
            f"The following string is not a legal hex-encoded value: '{value}'"
        ) from None


def base64_encode(value: Any) -> str:
    return base64.b64encode(_text(value).encode("utf-8")).decode("ascii")


def base64_decode_string(value: Any) -> str:
    try:
        return base64.b64decode(_text(value), validate=True).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise ValueError(
            f"The following string is not a legal base64-encoded value: '{value}'"
        ) from None


# What the reference documents (its value "starts with a letter that represents the first letter
# of the string"); other text fails by name rather than answer a guess.
SOUNDEX_INPUT = "SOUNDEX needs text that starts with a letter A-Z and holds ASCII characters only"
_SOUNDEX = {c: str(d) for d, letters in enumerate(
    ("", "BFPV", "CGJKQSXZ", "DT", "L", "MN", "R"), start=0) for c in letters}  # fmt: skip


def soundex(value: Any) -> str:
    """American Soundex: the first letter, then the digits of the following consonants (a
    letter coded like the one before, or separated from it by H or W only, is not repeated),
    padded with zeros to four characters."""
    text = _text(value)
    if not (text[:1].isascii() and text[:1].isalpha() and text.isascii()):
        raise ValueError(SOUNDEX_INPUT)
    letters = [c for c in text.upper() if "A" <= c <= "Z"]
    digits, previous = [], _SOUNDEX.get(letters[0], "")
    for letter in letters[1:]:
        code = _SOUNDEX.get(letter, "")
        if code and code != previous:
            digits.append(code)
        if letter not in "HW":
            previous = code
    return (letters[0] + "".join(digits) + "000")[:4]


def bit_length(value: Any) -> int:
    if isinstance(value, bytes):
        return len(value) * 8
    return len(_text(value).encode("utf-8")) * 8


def factorial(value: Any) -> int:
    n = _integer(value)
    if not 0 <= n <= 33:
        raise ValueError(f"FACTORIAL of {n}: the argument must be between 0 and 33")
    if n > 20:  # 21! is past SQLite's 64-bit INTEGER (Snowflake answers a NUMBER(38, 0))
        raise ValueError(f"FACTORIAL of {n} is past SQLite's 64-bit integers (up to 20 here)")
    return math.factorial(n)


# WIDTH_BUCKET's documented domain: bounds low < high and values within +-(2^53 - 1); the page
# is silent on reversed bounds (PostgreSQL counts them downwards), which fail by name here.
WIDTH_BUCKET_LIMIT = 2**53 - 1
WIDTH_BUCKET_BOUNDS = "WIDTH_BUCKET needs a lower bound below the upper one"
WIDTH_BUCKET_RANGE = "WIDTH_BUCKET takes values between -(2^53 - 1) and 2^53 - 1"


def width_bucket(value: Any, low: Any, high: Any, buckets: Any) -> int:
    x, lo, hi, n = _number(value), _number(low), _number(high), _integer(buckets)
    if n <= 0:
        raise ValueError("WIDTH_BUCKET needs a positive number of buckets")
    if lo >= hi:
        raise ValueError(WIDTH_BUCKET_BOUNDS)
    if max(abs(x), abs(lo), abs(hi)) > WIDTH_BUCKET_LIMIT:
        raise ValueError(WIDTH_BUCKET_RANGE)
    if x < lo:
        return 0
    return n + 1 if x >= hi else int((x - lo) * n / (hi - lo)) + 1


def _real(fn: Callable[[float], float], name: str) -> Callable[[Any], float]:
    def call(value: Any) -> float:
        try:
            return float(fn(_number(value)))
        except (ValueError, OverflowError, ZeroDivisionError):
            raise ValueError(f"{name} of {value} is out of its domain") from None

    return call


def _cosh(x: float) -> float:
    try:
        return math.cosh(x)
    except OverflowError:  # as PostgreSQL and DuckDB answer: infinity
        return math.inf


def _sinh(x: float) -> float:
    try:
        return math.sinh(x)
    except OverflowError:
        return math.copysign(math.inf, x)


def _cot(x: float) -> float:
    return math.inf if x == 0 else 1 / math.tan(x)


def _atanh(x: float) -> float:
    return math.copysign(math.inf, x) if abs(x) == 1 else math.atanh(x)


FUNCTIONS = {
    "dwsim_space": (_nulls(space), 1),
    "dwsim_insert": (_nulls(insert), 4),
    "dwsim_unicode": (_nulls(unicode), 1),
    "dwsim_hex_encode": (_nulls(hex_encode), -1),
    "dwsim_hex_decode_string": (_nulls(hex_decode_string), 1),
    "dwsim_try_hex_decode_string": (_nulls(try_(hex_decode_string)), 1),
    "dwsim_base64_encode": (_nulls(base64_encode), 1),
    "dwsim_base64_decode_string": (_nulls(base64_decode_string), 1),
    "dwsim_try_base64_decode_string": (_nulls(try_(base64_decode_string)), 1),
    "dwsim_soundex": (_nulls(soundex), 1),
    "dwsim_bit_length": (_nulls(bit_length), 1),
    "dwsim_factorial": (_nulls(factorial), 1),
    "dwsim_width_bucket": (_nulls(width_bucket), 4),
    "dwsim_cosh": (_nulls(_real(_cosh, "COSH")), 1),
    "dwsim_sinh": (_nulls(_real(_sinh, "SINH")), 1),
    "dwsim_tanh": (_nulls(_real(math.tanh, "TANH")), 1),
    "dwsim_acosh": (_nulls(_real(math.acosh, "ACOSH")), 1),
    "dwsim_asinh": (_nulls(_real(math.asinh, "ASINH")), 1),
    "dwsim_atanh": (_nulls(_real(_atanh, "ATANH")), 1),
    "dwsim_cot": (_nulls(_real(_cot, "COT")), 1),
    "dwsim_try_time": (try_(cast_time), 1),
}


def bitshift(value: Any, count: Any, left: Any) -> int:
    """BITSHIFTLEFT / BITSHIFTRIGHT of a 64-bit integer; a result outside 64 bits fails (the
    engines hold 64 bits where Snowflake shifts in 128)."""
    number, places = _integer(value), _integer(count)
    name = "BITSHIFTLEFT" if left else "BITSHIFTRIGHT"
    if places < 0:
        raise ValueError(f"{name}: a negative shift")
    shifted = number << places if left else number >> places
    if not -(2**63) <= shifted < 2**63:
        raise ValueError(f"{name}: {shifted} is out of range for a 64-bit integer")
    return shifted


FUNCTIONS["dwsim_bitshift"] = (_nulls(bitshift), 3)


def hex_number(value: Any) -> str:
    """Hex digits as the unsigned integer they write, as text: SQLite's integers hold 63 bits
    (MD5_NUMBER_LOWER64 / UPPER64 answer up to 2^64 - 1)."""
    return str(int(_text(value), 16))


FUNCTIONS["dwsim_hex_number"] = (_nulls(hex_number), 1)
