"""SQLite pack functions for Redshift's SUPER array and conversion functions: JSON_SERIALIZE,
JSON_SIZE, GET_ARRAY_LENGTH, SUBARRAY, SPLIT_TO_ARRAY, ARRAY_CONCAT, ARRAY_FLATTEN, STRTOL and
TEXT_TO_INT_ALT. A SUPER value arrives as JSON text (JSON_PARSE's `json(...)`, ARRAY's
`json_array(...)`, a SUPER column); a NULL answers NULL (JSON_SERIALIZE: the text 'null'), a
value that is not an array where one is needed fails by name."""

from __future__ import annotations

import decimal
import re
from typing import Any

from dwsim_shared.compat_packs.sqlite_arrays import _dump, _load

INT64 = (-(2**63), 2**63 - 1)
INT32 = (-(2**31), 2**31 - 1)
DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def _array(document: Any, name: str) -> list[Any]:
    value = _load(document, name)
    if not isinstance(value, list):
        raise ValueError(f"{name}: the argument is not an array")
    return value


def json_serialize(document: Any) -> str:
    """Compact JSON text; 'null' for NULL ("always a non-null JSON string")."""
    if document is None:
        return "null"
    return _dump(_load(document, "JSON_SERIALIZE"))


def json_size(document: Any) -> int:
    """The bytes of JSON_SERIALIZE's text (r_json_size: OCTET_LENGTH(JSON_SERIALIZE(x)))."""
    return len(json_serialize(document).encode("utf-8"))


def get_array_length(document: Any) -> int | None:
    return None if document is None else len(_array(document, "GET_ARRAY_LENGTH"))


def subarray(document: Any, start: Any, length: Any) -> str | None:
    """From `start` (0 the first; a negative one counts from the end) `length` elements."""
    if document is None or start is None or length is None:
        return None
    values = _array(document, "SUBARRAY")
    first, count = int(start), int(length)
    if first < 0:
        first += len(values)
    if first < 0:
        raise ValueError("SUBARRAY: a negative start_position before the first element")
    if count < 0:
        raise ValueError("SUBARRAY: a negative length")
    return _dump(values[first : first + count])


def split_to_array(value: Any, delimiter: Any) -> str | None:
    if value is None or delimiter is None:
        return None
    if delimiter == "":
        raise ValueError("SPLIT_TO_ARRAY: an empty delimiter")
    return _dump(str(value).split(str(delimiter)))


def array_concat(first: Any, second: Any) -> str | None:
    if first is None or second is None:
        return None
    return _dump([*_array(first, "ARRAY_CONCAT"), *_array(second, "ARRAY_CONCAT")])


def array_flatten(document: Any) -> str | None:
    """The inner arrays' elements in order; a null element stays ("NULLs are treated as known
    objects"); any other element that is not an array fails."""
    if document is None:
        return None
    out: list[Any] = []
    for element in _array(document, "ARRAY_FLATTEN"):
        if isinstance(element, list):
            out.extend(element)
        elif element is None:
            out.append(None)
        else:
            raise ValueError("ARRAY_FLATTEN: an element is not an array")
    return _dump(out)


def strtol(value: Any, base: Any) -> int | None:
    """r_STRTOL: leading blanks, one sign, '0x' in base 16; '' or a leading NUL character is 0;
    any other character that is not a digit of the base fails (not documented: refused)."""
    if value is None or base is None:
        return None
    radix = int(base)
    if not 2 <= radix <= 36:
        raise ValueError("STRTOL: base must be between 2 and 36")
    text = str(value)
    if text == "" or text.startswith("\0"):
        return 0
    text = text.lstrip(" \t\n\r\f\v")
    sign = -1 if text[:1] == "-" else 1
    if text[:1] in "+-" and text:
        text = text[1:]
    if radix == 16 and text[:2].lower() == "0x":
        text = text[2:]
    if not text or any(c.lower() not in DIGITS[:radix] for c in text):
        raise ValueError(f"STRTOL: {value!r} is not a number in base {radix}")
    result = sign * int(text, radix)
    if not INT64[0] <= result <= INT64[1]:
        raise ValueError("STRTOL: the value is out of the signed 64-bit range")
    return result


_TERADATA = re.compile(r"\s*([+-]?)(\d+\.?\d*|\.\d+)(?:[eE]([+-]?\d+))?([+-]?)\s*")


def teradata_number(value: str, name: str) -> decimal.Decimal:
    """A number as TEXT_TO_INT_ALT / TEXT_TO_NUMERIC_ALT read it without a format: a sign before
    or after the digits ('123-'), an exponent; blank or empty text is 0."""
    if value.strip() == "":
        return decimal.Decimal(0)
    found = _TERADATA.fullmatch(value)
    if found is None or (found.group(1) and found.group(4)):
        raise ValueError(f"{name}: {value!r} is not a number")
    sign, digits, exponent, trailing = found.groups()
    number = decimal.Decimal(digits) * (decimal.Decimal(10) ** int(exponent or 0))
    return -number if "-" in (sign, trailing) else number


def text_to_int_alt(value: Any) -> int | None:
    """The number's fraction truncated; outside INTEGER's range fails."""
    if value is None:
        return None
    result = int(teradata_number(str(value), "TEXT_TO_INT_ALT"))
    if not INT32[0] <= result <= INT32[1]:
        raise ValueError("TEXT_TO_INT_ALT: the value is out of the INTEGER range")
    return result


FUNCTIONS = {
    "dwsim_rs_json_serialize": (json_serialize, 1),
    "dwsim_rs_json_size": (json_size, 1),
    "dwsim_rs_get_array_length": (get_array_length, 1),
    "dwsim_rs_subarray": (subarray, 3),
    "dwsim_rs_split_to_array": (split_to_array, 2),
    "dwsim_rs_array_concat": (array_concat, 2),
    "dwsim_rs_array_flatten": (array_flatten, 1),
    "dwsim_rs_strtol": (strtol, 2),
    "dwsim_rs_text_to_int_alt": (text_to_int_alt, 1),
}
