"""SQLite pack functions for more of Snowflake's ARRAY and OBJECT functions on JSON text
(ARRAY_INSERT, ARRAY_INTERSECTION, ARRAY_EXCEPT, ARRAY_FLATTEN, ARRAY_MIN, ARRAY_MAX,
ARRAY_SORT, ARRAY_GENERATE_RANGE, ARRAY_REMOVE, ARRAY_REMOVE_AT, OBJECT_INSERT, OBJECT_DELETE,
OBJECT_PICK). Conventions of sqlite_arrays.py: values arrive as JSON text, a NULL array
answers NULL, a value JSON cannot hold (Snowflake's `undefined`) fails by name."""

from __future__ import annotations

import decimal
from typing import Any

from dwsim_shared.compat_packs.sqlite_arrays import _array, _dump, _load, _same, _value

# ARRAY_GENERATE_RANGE's longest answer (Snowflake's own limit is its 16 MB value size).
RANGE_LIMIT = 1_000_000


def _position(value: Any, name: str) -> int:
    try:
        number = decimal.Decimal(str(value))
    except decimal.InvalidOperation:
        raise ValueError(f"{name}: the position {value!r} is not an integer") from None
    if number != number.to_integral_value():
        raise ValueError(f"{name}: the position {value!r} is not an integer")
    return int(number)


def array_insert(array: Any, position: Any, value: Any) -> str | None:
    """The value put at the position (counted from 0; a negative one from the end)."""
    if array is None or position is None:
        return None
    elements = _array(array, "ARRAY_INSERT")
    where = _position(position, "ARRAY_INSERT")
    if where < 0:
        where += len(elements)
    if not 0 <= where <= len(elements):
        raise ValueError(
            "ARRAY_INSERT beyond the array's ends (undefined elements in between) is not carried"
        )
    inserted = _value(value, "ARRAY_INSERT")
    return _dump([*elements[:where], inserted, *elements[where:]])


def _counts(elements: list[Any]) -> dict[Any, int]:
    counts: dict[Any, int] = {}
    for element in elements:
        key = _same(element)
        counts[key] = counts.get(key, 0) + 1
    return counts


def array_intersection(first: Any, second: Any) -> str | None:
    """The elements of the first array also in the second, as many times as the fewer of
    their copies (multiset), in the first array's order."""
    if first is None or second is None:
        return None
    left = _counts(_array(second, "ARRAY_INTERSECTION"))
    kept = []
    for element in _array(first, "ARRAY_INTERSECTION"):
        key = _same(element)
        if left.get(key, 0) > 0:
            left[key] -= 1
            kept.append(element)
    return _dump(kept)


def array_except(first: Any, second: Any) -> str | None:
    """The elements of the first array less one copy for each copy in the second."""
    if first is None or second is None:
        return None
    left = _counts(_array(second, "ARRAY_EXCEPT"))
    kept = []
    for element in _array(first, "ARRAY_EXCEPT"):
        key = _same(element)
        if left.get(key, 0) > 0:
            left[key] -= 1
        else:
            kept.append(element)
    return _dump(kept)


def array_flatten(array: Any) -> str | None:
    """One level of nesting removed; every element must be an ARRAY (a JSON null is not)."""
    if array is None:
        return None
    flat: list[Any] = []
    for element in _array(array, "ARRAY_FLATTEN"):
        if not isinstance(element, list):
            raise ValueError("ARRAY_FLATTEN: an element is not an ARRAY")
        flat.extend(element)
    return _dump(flat)


def _ranked(elements: list[Any], name: str) -> list[Any]:
    """The elements sorted as Snowflake compares them, for arrays of numbers only or of
    strings only (how Snowflake ranks other types against each other is not carried)."""
    numbers = all(
        isinstance(e, int | decimal.Decimal) and not isinstance(e, bool) for e in elements
    )
    if not (numbers or all(isinstance(e, str) for e in elements)):
        raise ValueError(
            f"{name} of an array that is not all numbers or all strings is not carried"
        )
    return sorted(elements)


def array_min(array: Any) -> str | None:
    if array is None:
        return None
    ranked = _ranked(_array(array, "ARRAY_MIN"), "ARRAY_MIN")
    return _dump(ranked[0]) if ranked else None


def array_max(array: Any) -> str | None:
    if array is None:
        return None
    ranked = _ranked(_array(array, "ARRAY_MAX"), "ARRAY_MAX")
    return _dump(ranked[-1]) if ranked else None


def array_sort(array: Any, ascending: Any) -> str | None:
    """Sorted (stable: equal elements keep their order)."""
    if array is None or ascending is None:
        return None
    ranked = _ranked(_array(array, "ARRAY_SORT"), "ARRAY_SORT")
    return _dump(ranked if ascending else sorted(ranked, reverse=True))


def array_generate_range(start: Any, stop: Any, step: Any) -> str | None:
    if start is None or stop is None or step is None:
        return None
    first, last, by = (_position(v, "ARRAY_GENERATE_RANGE") for v in (start, stop, step))
    if by == 0:
        raise ValueError("ARRAY_GENERATE_RANGE with a step of 0")
    numbers = range(first, last, by)
    if len(numbers) > RANGE_LIMIT:
        raise ValueError(f"ARRAY_GENERATE_RANGE of more than {RANGE_LIMIT} elements")
    return _dump(list(numbers))


def array_remove(array: Any, value: Any) -> str | None:
    """Without the elements equal to the value; NULL for a NULL value."""
    if array is None or value is None:
        return None
    wanted = _same(_load(value, "ARRAY_REMOVE"))
    return _dump([e for e in _array(array, "ARRAY_REMOVE") if _same(e) != wanted])


def array_remove_at(array: Any, position: Any) -> str | None:
    """Without the element at the position (from 0; a negative one from the end); the array
    unchanged for a position beyond its ends."""
    if array is None or position is None:
        return None
    elements = _array(array, "ARRAY_REMOVE_AT")
    where = _position(position, "ARRAY_REMOVE_AT")
    if where < 0:
        where += len(elements)
    if 0 <= where < len(elements):
        del elements[where]
    return _dump(elements)


def _object(document: Any, name: str) -> dict[str, Any]:
    value = _load(document, name)
    if not isinstance(value, dict):
        raise ValueError(f"{name}: the argument is not an OBJECT")
    return value


def object_insert(document: Any, key: Any, value: Any, update: Any) -> str | None:
    """The object with the key set to the value: an existing key fails unless `update`; a
    NULL value leaves the key out (and, updating, takes it away)."""
    if document is None:
        return None
    found = _object(document, "OBJECT_INSERT")
    if key is None:
        return _dump(found)
    name = str(key)
    if name in found and not update:
        raise ValueError(f"OBJECT_INSERT: the key {name!r} is already in the object")
    if value is None:
        found.pop(name, None)
    else:
        found[name] = _load(value, "OBJECT_INSERT")
    return _dump(found)


def object_delete(document: Any, *keys: Any) -> str | None:
    if document is None:
        return None
    found = _object(document, "OBJECT_DELETE")
    for key in keys:
        if key is not None:
            found.pop(str(key), None)
    return _dump(found)


def object_pick(document: Any, *keys: Any) -> str | None:
    """The object's pairs whose key is one of the keys (a NULL key picks nothing)."""
    if document is None:
        return None
    found = _object(document, "OBJECT_PICK")
    wanted = {str(k) for k in keys if k is not None}
    return _dump({k: v for k, v in found.items() if k in wanted})


def object_pick_array(document: Any, keys: Any) -> str | None:
    """OBJECT_PICK with an ARRAY of keys."""
    if document is None or keys is None:
        return None
    return object_pick(document, *_array(keys, "OBJECT_PICK"))


FUNCTIONS: dict[str, tuple[Any, int]] = {
    "dwsim_array_insert": (array_insert, 3),
    "dwsim_array_intersection": (array_intersection, 2),
    "dwsim_array_except": (array_except, 2),
    "dwsim_array_flatten": (array_flatten, 1),
    "dwsim_array_min": (array_min, 1),
    "dwsim_array_max": (array_max, 1),
    "dwsim_array_sort": (array_sort, 2),
    "dwsim_array_generate_range": (array_generate_range, 3),
    "dwsim_array_remove": (array_remove, 2),
    "dwsim_array_remove_at": (array_remove_at, 2),
    "dwsim_object_insert": (object_insert, 4),
    "dwsim_object_delete": (object_delete, -1),
    "dwsim_object_pick": (object_pick, -1),
    "dwsim_object_pick_array": (object_pick_array, 2),
}
