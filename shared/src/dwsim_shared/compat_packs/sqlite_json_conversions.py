"""SQLite pack functions for Snowflake's conversions of semi-structured values and its
text-to-array functions: TRY_PARSE_JSON, TO_JSON, TO_ARRAY, TO_OBJECT, SPLIT and STRTOK_TO_ARRAY.
A VARIANT is JSON text on SQLite; a number keeps the text it was written with."""

from __future__ import annotations

import json
import re
from typing import Any

_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
_TRAILING_COMMA = re.compile(r",\s*[\]}]")
_CONSTANTS = re.compile(r"\b(?:NaN|-?Infinity)\b")
_WORDS = re.compile(r'"(?:[^"\\]|\\.)*"?|[A-Za-z]+')


def _literals(text: str) -> str:
    """TRUE, False, NULL... written in lower case outside strings (Snowflake's parser reads
    them in any case: functions/try_parse_json prints `"y": false` for `FALSE`)."""

    def lower(match: re.Match[str]) -> str:
        word = match.group(0)
        return word.lower() if word.lower() in ("true", "false", "null") else word

    return _WORDS.sub(lower, text)


def json_literals(text: Any) -> str | None:
    """PARSE_JSON's text with TRUE / FALSE / NULL in lower case outside strings."""
    return None if text is None else _literals(str(text))


class _Number(str):
    """A JSON number as written (Snowflake keeps a decimal's scale: 2.50 stays 2.50)."""


class _Duplicate(ValueError):
    pass


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise _Duplicate("duplicate key")
    return dict(pairs)


def _constant(name: str) -> Any:
    raise ValueError(name)


def _load(document: str) -> Any:
    return json.loads(
        document,
        parse_float=_Number,
        parse_int=_Number,
        parse_constant=_constant,
        object_pairs_hook=_pairs,
    )


def _dump(value: Any) -> str:
    """Compact JSON, keys sorted (as Snowflake keeps an OBJECT's keys), numbers as written."""
    if isinstance(value, _Number):
        if "e" in value.lower():
            raise ValueError("a number with an exponent (a DOUBLE) is not carried")
        return str(value)
    if isinstance(value, dict):
        inner = ",".join(
            json.dumps(k, ensure_ascii=False) + ":" + _dump(value[k]) for k in sorted(value)
        )
        return "{" + inner + "}"
    if isinstance(value, list):
        return "[" + ",".join(_dump(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def try_parse_json(text: Any) -> str | None:
    """The JSON value of the text, NULL where Snowflake's parser fails (duplicate keys
    included); text Snowflake reads differently from JSON (a trailing comma, which it keeps
    as an undefined element, NaN) fails by name."""
    if text is None:
        return None
    text = _literals(str(text))
    try:
        value = _load(text)
    except _Duplicate:
        return None
    except ValueError:
        bare = _STRINGS.sub('""', text)
        if _TRAILING_COMMA.search(bare):
            raise ValueError(
                "text with a trailing comma (an undefined element in Snowflake) is not carried"
            ) from None
        if _CONSTANTS.search(bare):
            raise ValueError("NaN or Infinity is not carried") from None
        return None
    return _plain(value)


def _plain(value: Any) -> str:
    """Compact JSON text of a parsed value, numbers as written, keys in their order."""
    if isinstance(value, _Number):
        return str(value)
    if isinstance(value, dict):
        return "{" + ",".join(
            json.dumps(k, ensure_ascii=False) + ":" + _plain(v) for k, v in value.items()
        ) + "}"  # fmt: skip
    if isinstance(value, list):
        return "[" + ",".join(_plain(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def _document(document: Any, name: str) -> Any:
    try:
        return json.loads(str(document), parse_float=_Number, parse_int=_Number)
    except ValueError:
        raise ValueError(f"{document!r} is not a JSON value") from None


def to_json(document: Any) -> str | None:
    """TO_JSON: the VARIANT as compact JSON text; a JSON null is the string "null", quotes
    included (functions/to_json, usage notes)."""
    if document is None:
        return None
    value = _document(document, "TO_JSON")
    return '"null"' if value is None else _dump(value)


def to_array(document: Any) -> str | None:
    """TO_ARRAY: an array unchanged, NULL for a JSON null, else the one-element array."""
    if document is None:
        return None
    value = _document(document, "TO_ARRAY")
    if value is None:
        return None
    return _plain(value if isinstance(value, list) else [value])


def to_object(document: Any) -> str | None:
    """TO_OBJECT: an object unchanged, NULL for a JSON null, any other value fails."""
    if document is None:
        return None
    value = _document(document, "TO_OBJECT")
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValueError("the argument is not an OBJECT")
    return _plain(value)


def split(value: Any, separator: Any) -> str | None:
    """SPLIT: the parts between separators, empty ones kept; an empty separator keeps the
    whole string."""
    if value is None or separator is None:
        return None
    text, sep = str(value), str(separator)
    return json.dumps(text.split(sep) if sep else [text], ensure_ascii=False)


def strtok_to_array(value: Any, delimiters: Any = " ") -> str | None:
    """STRTOK_TO_ARRAY: the tokens between any of the delimiter characters, empty tokens
    dropped (an empty set of delimiters: the whole string, none when it is empty)."""
    if value is None or delimiters is None:
        return None
    text, chars = str(value), str(delimiters)
    tokens = re.split("[" + re.escape(chars) + "]", text) if chars else [text]
    return json.dumps([t for t in tokens if t], ensure_ascii=False)


FUNCTIONS: dict[str, tuple[Any, int]] = {
    "dwsim_try_parse_json": (try_parse_json, 1),
    "dwsim_json_literals": (json_literals, 1),
    "dwsim_to_json": (to_json, 1),
    "dwsim_to_array": (to_array, 1),
    "dwsim_to_object": (to_object, 1),
    "dwsim_split": (split, 2),
    "dwsim_strtok_to_array": (strtok_to_array, 2),
}
