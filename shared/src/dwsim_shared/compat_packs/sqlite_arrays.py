"""SQLite pack functions for Snowflake's ARRAY functions on JSON text (ARRAY_CONTAINS,
ARRAY_POSITION, ARRAY_APPEND, ARRAY_PREPEND, ARRAY_CAT, ARRAY_COMPACT, ARRAY_REVERSE,
ARRAY_SLICE, ARRAY_DISTINCT, ARRAY_CONSTRUCT_COMPACT). Values arrive as JSON text; a NULL
array answers NULL, a NULL value fails (Snowflake would hold it as `undefined`, which JSON
text cannot), and a value that is not an array fails as in Snowflake."""

from __future__ import annotations

import decimal
import json
from typing import Any


def _load(document: Any, name: str) -> Any:
    try:
        return json.loads(str(document), parse_float=decimal.Decimal)
    except ValueError:
        raise ValueError(f"{name}: {document!r} is not a JSON value") from None


def _array(document: Any, name: str) -> list[Any]:
    value = _load(document, name)
    if not isinstance(value, list):
        raise ValueError(f"{name}: the argument is not an ARRAY")
    return value


def _value(document: Any, name: str) -> Any:
    if document is None:
        raise ValueError(f"{name} of a NULL value (undefined in an ARRAY) is not carried")
    return _load(document, name)


def _same(value: Any) -> Any:
    """A key equal for equal JSON values: numbers by value, booleans apart from numbers,
    objects whatever their key order."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return (type(value).__name__, value)
    if isinstance(value, int | decimal.Decimal):
        return ("number", decimal.Decimal(value).normalize())
    if isinstance(value, list):
        return ("array", tuple(_same(v) for v in value))
    return ("object", tuple(sorted((k, _same(v)) for k, v in value.items())))


def _dump(value: Any) -> str:
    """Compact JSON text, each number written as it was read."""
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, list):
        return "[" + ",".join(_dump(v) for v in value) + "]"
    if isinstance(value, dict):
        pairs = (json.dumps(k, ensure_ascii=False) + ":" + _dump(v) for k, v in value.items())
        return "{" + ",".join(pairs) + "}"
    return json.dumps(value, ensure_ascii=False)


def array_position(value: Any, array: Any) -> int | None:
    if array is None:
        return None
    wanted = _same(_value(value, "ARRAY_POSITION"))
    for index, element in enumerate(_array(array, "ARRAY_POSITION")):
        if _same(element) == wanted:
            return index
    return None


def array_contains(value: Any, array: Any) -> bool | None:
    if array is None:
        return None
    wanted = _same(_value(value, "ARRAY_CONTAINS"))
    return any(_same(e) == wanted for e in _array(array, "ARRAY_CONTAINS"))


def array_append(array: Any, value: Any) -> str | None:
    if array is None:
        return None
    return _dump([*_array(array, "ARRAY_APPEND"), _value(value, "ARRAY_APPEND")])


def array_prepend(array: Any, value: Any) -> str | None:
    if array is None:
        return None
    return _dump([_value(value, "ARRAY_PREPEND"), *_array(array, "ARRAY_PREPEND")])


def array_cat(first: Any, second: Any) -> str | None:
    if first is None or second is None:
        return None
    return _dump([*_array(first, "ARRAY_CAT"), *_array(second, "ARRAY_CAT")])


def array_compact(array: Any) -> str | None:
    """Without its JSON nulls (the only missing values a JSON array holds)."""
    if array is None:
        return None
    return _dump([e for e in _array(array, "ARRAY_COMPACT") if e is not None])


def array_reverse(array: Any) -> str | None:
    return None if array is None else _dump(_array(array, "ARRAY_REVERSE")[::-1])


def array_slice(array: Any, start: Any, end: Any) -> str | None:
    """From `start` up to `end` (not included), counted from 0; a negative one from the end."""
    if array is None or start is None or end is None:
        return None
    return _dump(_array(array, "ARRAY_SLICE")[int(start) : int(end)])


def array_distinct(array: Any) -> str | None:
    """The first of equal elements, in their order."""
    if array is None:
        return None
    seen: set[Any] = set()
    kept = []
    for element in _array(array, "ARRAY_DISTINCT"):
        if (key := _same(element)) not in seen:
            seen.add(key)
            kept.append(element)
    return _dump(kept)


def array_construct_compact(*values: Any) -> str:
    """The array of the values (JSON text) that are not SQL NULL."""
    return _dump([_load(v, "ARRAY_CONSTRUCT_COMPACT") for v in values if v is not None])


def object_keys(document: Any) -> str | None:
    """OBJECT_KEYS: the keys sorted, as Snowflake keeps them."""
    if document is None:
        return None
    value = _load(document, "OBJECT_KEYS")
    if not isinstance(value, dict):
        raise ValueError("OBJECT_KEYS: the argument is not an OBJECT")
    return _dump(sorted(value))


def arrays_overlap(first: Any, second: Any) -> bool | None:
    """Whether the arrays have an element in common (a JSON null is one, NULL-safe)."""
    if first is None or second is None:
        return None
    found = {_same(e) for e in _array(second, "ARRAYS_OVERLAP")}
    return any(_same(e) in found for e in _array(first, "ARRAYS_OVERLAP"))


FUNCTIONS: dict[str, tuple[Any, int]] = {
    "dwsim_array_position": (array_position, 2),
    "dwsim_array_contains": (array_contains, 2),
    "dwsim_array_append": (array_append, 2),
    "dwsim_array_prepend": (array_prepend, 2),
    "dwsim_array_cat": (array_cat, 2),
    "dwsim_array_compact": (array_compact, 1),
    "dwsim_array_reverse": (array_reverse, 1),
    "dwsim_array_slice": (array_slice, 3),
    "dwsim_array_distinct": (array_distinct, 1),
    "dwsim_array_construct_compact": (array_construct_compact, -1),
    "dwsim_object_keys": (object_keys, 1),
    "dwsim_arrays_overlap": (arrays_overlap, 2),
}
