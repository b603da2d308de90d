"""Redshift's JSON text functions on SQLite: IS_VALID_JSON, IS_VALID_JSON_ARRAY (through the
kind of a document) and JSON_EXTRACT_ARRAY_ELEMENT_TEXT, reading RFC 8259 JSON only (no NaN or
Infinity) and answering an element as the document writes it, as the Redshift mock's `json`
operators do; and the UTF-8 byte count OCTETINDEX reads."""

from __future__ import annotations

import json
from typing import Any

_KINDS = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}


def _reject(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


_DECODER = json.JSONDecoder(parse_constant=_reject)


def _document(text: str) -> Any:
    """The parsed document, or ValueError when the text is not one JSON value."""
    value, end = _DECODER.raw_decode(text, _skip(text, 0))
    if _skip(text, end) != len(text):
        raise ValueError("text after the JSON value")
    return value


def _skip(text: str, index: int) -> int:
    while index < len(text) and text[index] in " \t\n\r":
        index += 1
    return index


def json_kind(value: Any) -> str | None:
    """'object', 'array', 'string', 'number', 'boolean' or 'null'; 'invalid' for text that is
    not JSON; NULL for NULL."""
    if value is None:
        return None
    try:
        parsed = _document(str(value))
    except ValueError:
        return "invalid"
    return _KINDS.get(type(parsed), "number")


def _elements(text: str) -> list[str] | None:
    """The raw text of each element of a JSON array, or None when `text` is not one."""
    try:
        if not isinstance(_document(text), list):
            return None
    except ValueError:
        return None
    index, found = _skip(text, _skip(text, 0) + 1), []
    while text[index] != "]":
        _, end = _DECODER.raw_decode(text, index)
        found.append(text[index:end])
        index = _skip(text, end)
        if text[index] == ",":
            index = _skip(text, index + 1)
    return found


def json_array_element(value: Any, pos: Any, null_if_invalid: Any) -> str | None:
    """JSON_EXTRACT_ARRAY_ELEMENT_TEXT: the element at `pos` (from 0) as text; '' for a
    position outside the array; NULL for a JSON null; an invalid array fails (or is NULL with
    null_if_invalid)."""
    if value is None or pos is None:
        return None
    if isinstance(pos, float | bytes):
        raise ValueError(f"the position {pos!r} is not an integer")
    position = int(str(pos).strip())
    elements = _elements(str(value))
    if elements is None:
        if null_if_invalid:
            return None
        raise ValueError(f"invalid json array object {value}")
    if not 0 <= position < len(elements):
        return ""
    raw = elements[position]
    if raw == "null":
        return None
    return str(json.loads(raw)) if raw.startswith('"') else raw


def octets(value: Any) -> int | None:
    """The bytes of text in UTF-8 (OCTETINDEX counts them)."""
    return None if value is None else len(str(value).encode("utf-8"))


FUNCTIONS = {
    "dwsim_octets": (octets, 1),
    "dwsim_json_kind": (json_kind, 1),
    "dwsim_json_array_element": (json_array_element, 3),
}
