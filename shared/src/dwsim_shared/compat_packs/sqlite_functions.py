"""SQLite functions with the sources' meaning where SQLite's own differ: regular expressions
with their parameters, MOD and ROUND on exact numbers, INITCAP with delimiters, TO_HEX and
TIME values (kept as `HH:MM:SS[.ffffff]` text)."""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import math
import re
from functools import lru_cache
from typing import Any

# The compat layer hands the pack normalised flags: i (ignore case), m (^ and $ at lines),
# s (. matches a newline), e (answer a sub-expression); c is already folded away. r: the
# subject from the position on is searched as a string of its own, as Snowflake does (\b and
# ^ match at the position); without it the characters before the position stay in view.
_RE_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL}
# POSIX bracket classes (both sources write them: [[:alpha:]]), which Python's re lacks.
_POSIX_CLASSES = {
    "alpha": "a-zA-Z", "digit": "0-9", "alnum": "a-zA-Z0-9", "upper": "A-Z", "lower": "a-z",
    "space": " \\t\\n\\r\\f\\v", "blank": " \\t", "xdigit": "0-9A-Fa-f", "word": "\\w",
    "punct": "!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~", "cntrl": "\\x00-\\x1f\\x7f",
    "print": "\\x20-\\x7e", "graph": "\\x21-\\x7e",
}  # fmt: skip
_POSIX_CLASS = re.compile(r"(?<!\\)\[:(" + "|".join(_POSIX_CLASSES) + r"):\]")


def posix_classes(pattern: str) -> str:
    """`[[:alpha:]_]` as Python's re reads it: `[a-zA-Z_]`.

    >>> posix_classes("[[:alpha:]_][[:digit:]]+")
    '[a-zA-Z_][0-9]+'
    """
    return _POSIX_CLASS.sub(lambda m: _POSIX_CLASSES[m[1]], pattern)


@lru_cache(maxsize=256)
def _compiled(pattern: str, flags: str) -> re.Pattern[str]:
    value = 0
    for letter in flags:
        value |= _RE_FLAGS.get(letter, 0)
    return re.compile(posix_classes(pattern), value)


def _matches(value: Any, pattern: Any, position: Any, flags: Any) -> list[re.Match[str]] | None:
    """The matches from `position` on; with flag r their offsets count from the position."""
    if value is None or pattern is None or position is None:
        return None
    start = int(position)
    if start < 1:
        raise ValueError(f"the position must be 1 or more, not {start}")
    compiled = _compiled(str(pattern), str(flags or ""))
    if "r" in str(flags or ""):
        return list(compiled.finditer(str(value)[start - 1 :]))
    return list(compiled.finditer(str(value), start - 1))


def regexp_substr(
    value: Any,
    pattern: Any,
    position: Any = 1,
    occurrence: Any = 1,
    flags: Any = "",
    group: Any = None,
) -> str | None:
    found = _matches(value, pattern, position, flags)
    if found is None or occurrence is None:
        return None
    n = int(occurrence)
    if n < 1 or len(found) < n:
        return None
    if group is None and "e" in str(flags or ""):
        group = 1
    if group is None:
        return found[n - 1].group(0)
    match = found[n - 1]
    index = int(group)
    if index > (match.re.groups or 0):
        raise ValueError(f"the pattern has no group {index}")
    return match.group(index)


def regexp_count(value: Any, pattern: Any, position: Any = 1, flags: Any = "") -> int | None:
    found = _matches(value, pattern, position, flags)
    return None if found is None else len(found)


def regexp_instr(
    value: Any,
    pattern: Any,
    position: Any = 1,
    occurrence: Any = 1,
    option: Any = 0,
    flags: Any = "",
    group: Any = None,
) -> int | None:
    found = _matches(value, pattern, position, flags)
    if found is None or occurrence is None or option is None:
        return None
    n = int(occurrence)
    if n < 1 or len(found) < n:
        return 0
    if group is None and "e" in str(flags or ""):
        group = 1
    index = 0 if group is None else int(group)
    match = found[n - 1]
    if index > (match.re.groups or 0):
        raise ValueError(f"the pattern has no group {index}")
    offset = int(position) - 1 if "r" in str(flags or "") else 0
    return (match.end(index) if int(option) else match.start(index)) + 1 + offset


def regexp_replace(
    value: Any,
    pattern: Any,
    replacement: Any = "",
    position: Any = 1,
    occurrence: Any = 0,
    flags: Any = "",
) -> str | None:
    if value is None or pattern is None or position is None or occurrence is None:
        return None
    text, start, n = str(value), int(position), int(occurrence)
    compiled = _compiled(str(pattern), str(flags or ""))
    # Both sources write back-references as \1; Python's re reads the same.
    head, tail = text[: start - 1], text[start - 1 :]
    if n == 0:
        return head + compiled.sub(str(replacement or ""), tail)
    for index, match in enumerate(compiled.finditer(tail), 1):
        if index == n:
            done = match.expand(str(replacement or ""))
            return head + tail[: match.start()] + done + tail[match.end() :]
    return text


def regexp_like(value: Any, pattern: Any, flags: Any = "") -> int | None:
    """Snowflake's REGEXP_LIKE / RLIKE: the whole subject must match."""
    if value is None or pattern is None:
        return None
    return int(_compiled(str(pattern), str(flags or "")).fullmatch(str(value)) is not None)


def _exact(value: Any) -> decimal.Decimal:
    try:
        return decimal.Decimal(repr(value) if isinstance(value, float) else str(value))
    except decimal.InvalidOperation:
        raise ValueError(f"{value!r} is not a number") from None


def _number(result: decimal.Decimal, *inputs: Any) -> int | float:
    if all(isinstance(v, int) for v in inputs):
        return int(result)
    return float(result)


def mod(a: Any, b: Any) -> int | float | None:
    """MOD on exact numbers, with the dividend's sign (SQLite's % keeps only integers)."""
    if a is None or b is None:
        return None
    divisor = _exact(b)
    if divisor == 0:
        return None
    return _number(_exact(a) % divisor, a, b)


ROUNDING = {"HALF_AWAY_FROM_ZERO": decimal.ROUND_HALF_UP, "HALF_TO_EVEN": decimal.ROUND_HALF_EVEN}


def round_mode(value: Any, places: Any, mode: Any) -> int | float | None:
    if value is None or places is None or mode is None:
        return None
    rounding = ROUNDING.get(str(mode).upper())
    if rounding is None:
        raise ValueError(f"rounding mode {mode!r}: HALF_AWAY_FROM_ZERO or HALF_TO_EVEN")
    quantum = decimal.Decimal(1).scaleb(-int(places))
    rounded = _exact(value).quantize(quantum, rounding=rounding)
    return int(rounded) if int(places) <= 0 and isinstance(value, int) else float(rounded)


def initcap(value: Any, delimiters: Any) -> str | None:
    """Snowflake's INITCAP(s, delimiters): upper case at the start and after a delimiter."""
    if value is None or delimiters is None:
        return None
    out, capital = [], True
    for ch in str(value):
        out.append(ch.upper() if capital else ch.lower())
        capital = ch in str(delimiters)
    return "".join(out)


def to_hex(value: Any) -> str | None:
    if value is None:
        return None
    number = int(value)
    return format(number if number >= 0 else number & 0xFFFFFFFFFFFFFFFF, "x")


_TIME_ZONE = re.compile(
    r"(?<=\d)\s*(?:[A-Za-z][A-Za-z_/]*(?:[+-]\d{1,2}(?::?\d{2})?)?|[+-]\d{1,2}(?::?\d{2})?)$"
)


def parse_time(value: Any) -> dt.time | None:
    if value is None:
        return None
    text = _TIME_ZONE.sub("", str(value).strip())  # a TIME has no zone: it is ignored
    if len(text) > 8 and text[4] == "-":  # a timestamp: its time of day
        return dt.datetime.fromisoformat(text.replace("T", " ")).time()
    try:
        return dt.time.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{value!r} is not a time of day") from None


def render_time(value: dt.time) -> str:
    return value.isoformat()


def cast_time(value: Any) -> str | None:
    parsed = parse_time(value)
    return None if parsed is None else render_time(parsed)


_TIME_STEP = {"HOUR": 3600, "MINUTE": 60, "SECOND": 1, "MILLISECOND": 0.001}


def time_add(unit: str, amount: Any, value: Any) -> str | None:
    """A time of day plus an amount, wrapping around midnight as both sources do."""
    parsed = parse_time(value)
    if parsed is None or amount is None:
        return None
    if unit not in _TIME_STEP:
        raise ValueError(f"a time of day has no {unit.lower()} part to add to")
    day = dt.datetime.combine(dt.date(2000, 1, 1), parsed)
    moved = day + dt.timedelta(seconds=float(amount) * _TIME_STEP[unit])
    return render_time(moved.time())


def time_part(unit: str, value: Any) -> int | float | None:
    parsed = parse_time(value)
    if parsed is None:
        return None
    parts = {"HOUR": parsed.hour, "MINUTE": parsed.minute, "SECOND": parsed.second,
             "MILLISECOND": parsed.microsecond // 1000, "MICROSECOND": parsed.microsecond}  # fmt: skip
    if unit not in parts:
        raise ValueError(f"a time of day has no {unit.lower()} part")
    return parts[unit]


def _hash(name: str) -> Any:
    def fn(value: Any) -> str | None:
        if value is None:
            return None
        data = value if isinstance(value, bytes) else str(value).encode()
        return hashlib.new(name, data).hexdigest()

    return fn


SHA2_BITS = {0: "sha256", 224: "sha224", 256: "sha256", 384: "sha384", 512: "sha512"}


def sha2(value: Any, bits: Any) -> str | None:
    if value is None or bits is None:
        return None
    if int(bits) not in SHA2_BITS:
        raise ValueError(f"the digest size must be 224, 256, 384 or 512, not {bits}")
    hashed: str | None = _hash(SHA2_BITS[int(bits)])(value)
    return hashed


def translate(value: Any, source: Any, target: Any) -> str | None:
    """TRANSLATE: each character of `source` becomes the one at its place in `target`, or
    disappears when `target` is shorter."""
    if value is None or source is None or target is None:
        return None
    table: dict[int, int | None] = {}
    for index, ch in enumerate(str(source)):
        if ord(ch) not in table:
            table[ord(ch)] = ord(str(target)[index]) if index < len(str(target)) else None
    return str(value).translate(table)


def _scaled(rounding: str) -> Any:
    def fn(value: Any, places: Any) -> int | float | None:
        if value is None or places is None:
            return None
        exact = _exact(value)
        exponent = exact.as_tuple().exponent
        if isinstance(exponent, int) and int(places) >= -exponent:  # finer than the value
            return value if isinstance(value, int) else float(exact)
        quantum = decimal.Decimal(1).scaleb(-int(places))
        done = exact.quantize(quantum, rounding=rounding)
        return int(done) if int(places) <= 0 and isinstance(value, int) else float(done)

    return fn


def ascii_code(value: Any) -> int | None:
    """Snowflake's ASCII: the first character's code, 0 for an empty string."""
    if value is None:
        return None
    text = str(value)
    return ord(text[0]) if text else 0


def chr_(value: Any) -> str | None:
    """CHR: the character of a Unicode code point; an invalid one fails (SQLite's CHAR answers
    U+FFFD, and a NUL for NULL)."""
    if value is None:
        return None
    code = int(value)
    if not 0 <= code <= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        raise ValueError(f"Invalid character code {code} in the CHR input")
    return chr(code)


def cbrt(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return math.copysign(round(abs(number) ** (1 / 3), 15), number)


def date_from_parts(year: Any, month: Any, day: Any) -> str | None:
    """Snowflake's DATE_FROM_PARTS: January 1 of the year, plus month - 1 months, plus day - 1
    days (out-of-range, zero and negative parts move the date)."""
    if year is None or month is None or day is None:
        return None
    years, month0 = divmod(int(year) * 12 + int(month) - 1, 12)
    first = dt.date(years, month0 + 1, 1)
    return (first + dt.timedelta(days=int(day) - 1)).isoformat()


def try_(fn: Any) -> Any:
    """The TRY_ variant of a conversion: NULL where the conversion fails."""

    def attempt(*values: Any) -> Any:
        try:
            return fn(*values)
        except (ValueError, TypeError, OverflowError):
            return None

    return attempt


def concat_ws(separator: Any, *values: Any) -> str | None:
    if separator is None:
        return None
    return str(separator).join(str(v) for v in values if v is not None)


FUNCTIONS = {
    "concat_ws": (concat_ws, -1),
    "dwsim_md5": (_hash("md5"), 1), "dwsim_sha1": (_hash("sha1"), 1), "dwsim_sha2": (sha2, 2),
    "dwsim_translate": (translate, 3),
    "dwsim_date_from_parts": (date_from_parts, 3), "dwsim_ascii": (ascii_code, 1), "dwsim_chr": (chr_, 1), "cbrt": (cbrt, 1),
    "dwsim_ceil": (_scaled(decimal.ROUND_CEILING), 2),
    "dwsim_floor": (_scaled(decimal.ROUND_FLOOR), 2),
    "regexp_substr": (regexp_substr, -1), "regexp_count": (regexp_count, -1),
    "regexp_instr": (regexp_instr, -1), "regexp_replace": (regexp_replace, -1),
    "dwsim_regexp_like": (regexp_like, -1), "dwsim_mod": (mod, 2),
    "dwsim_round_mode": (round_mode, 3), "dwsim_initcap": (initcap, 2),
    "dwsim_to_hex": (to_hex, 1), "dwsim_cast_time": (cast_time, 1),
    "dwsim_time_add": (time_add, 3), "dwsim_time_part": (time_part, 2),
}  # fmt: skip
