"""SQLite pack functions for Redshift's SUPER array search and set functions (ARRAY_CONTAINS,
ARRAY_POSITION, ARRAY_POSITIONS: one search; ARRAYS_OVERLAP, ARRAY_DISTINCT, ARRAY_UNION,
ARRAY_INTERSECTION, ARRAY_EXCEPT, ARRAY_SORT) and its SUPER type tests (IS_BIGINT ... IS_CHAR).

Arrays arrive as JSON text; a searched value as the JSON text of a one-element array (a SQL
NULL value is a JSON null: Redshift's ARRAY holds NULL as one). Elements compare as JSON values
(numbers by value, objects whatever their key order); NULLs are known objects ("NULL-safe")."""

from __future__ import annotations

import decimal
import json
from typing import Any

from dwsim_shared.compat_packs.sqlite_arrays import _dump, _load, _same
from dwsim_shared.compat_packs.sqlite_arrays_more import _counts


def _array(document: Any, name: str) -> list[Any]:
    value = _load(document, name)
    if not isinstance(value, list):
        raise ValueError(f"{name}: the argument is not an array")
    return value


def search(array: Any, wrapped: Any, null_match: Any, name: str) -> list[int] | None:
    """The 0-based positions of the value, or None where the page answers NULL: a NULL array;
    with null_match FALSE, a NULL value, or no match in an array holding a NULL."""
    if array is None:
        return None
    elements = _array(array, name)
    value = _load(wrapped, name)[0]
    if value is None and not null_match:
        return None
    wanted = _same(value)
    found = [i for i, element in enumerate(elements) if _same(element) == wanted]
    if not found and not null_match and any(e is None for e in elements):
        return None
    return found


def array_contains(array: Any, wrapped: Any, null_match: Any) -> int | None:
    found = search(array, wrapped, null_match, "ARRAY_CONTAINS")
    return None if found is None else int(bool(found))


def array_position(array: Any, wrapped: Any, null_match: Any) -> int | None:
    found = search(array, wrapped, null_match, "ARRAY_POSITION")
    return None if found is None else (found[0] if found else -1)


def array_positions(array: Any, wrapped: Any, null_match: Any) -> str | None:
    found = search(array, wrapped, null_match, "ARRAY_POSITIONS")
    return None if found is None else _dump(found)


def _distinct(elements: list[Any]) -> list[Any]:
    """The first of equal elements, in order."""
    seen: set[Any] = set()
    kept = []
    for element in elements:
        key = _same(element)
        if key not in seen:
            seen.add(key)
            kept.append(element)
    return kept


def arrays_overlap(first: Any, second: Any) -> int | None:
    if first is None or second is None:
        return None
    left = {_same(e) for e in _array(first, "ARRAYS_OVERLAP")}
    return int(any(_same(e) in left for e in _array(second, "ARRAYS_OVERLAP")))


def array_distinct(array: Any) -> str | None:
    return None if array is None else _dump(_distinct(_array(array, "ARRAY_DISTINCT")))


def array_union(first: Any, second: Any) -> str | None:
    if first is None or second is None:
        return None
    both = [*_array(first, "ARRAY_UNION"), *_array(second, "ARRAY_UNION")]
    return _dump(_distinct(both))


def _multiset(first: Any, second: Any, distinct: Any, keep_common: bool, name: str) -> str | None:
    """INTERSECTION (keep_common) or EXCEPT of the first array's elements, in its order: the
    k-th copy is common when the second array holds at least k copies; with `distinct` each
    element once, common when the second array holds it at all."""
    if first is None or second is None or distinct is None:
        return None
    elements = _array(first, name)
    left = _counts(_array(second, name))
    if distinct:
        elements = _distinct(elements)
        left = {key: len(elements) for key in left}
    kept = []
    for element in elements:
        key = _same(element)
        common = left.get(key, 0) > 0
        if common:
            left[key] -= 1
        if common == keep_common:
            kept.append(element)
    return _dump(kept)


def array_intersection(first: Any, second: Any, distinct: Any) -> str | None:
    return _multiset(first, second, distinct, True, "ARRAY_INTERSECTION")


def array_except(first: Any, second: Any, distinct: Any) -> str | None:
    return _multiset(first, second, distinct, False, "ARRAY_EXCEPT")


_RANKS = {bool: 0, int: 1, decimal.Decimal: 1, str: 2}


def array_sort(array: Any, ascending: Any, nulls_first: Any) -> str | None:
    """Booleans, then numbers, then strings (the page's type precedence), each in its natural
    order; NULLs last ascending and first descending unless nulls_first says (NULL: the
    default). Arrays and objects (whose natural order the page does not give) fail."""
    if array is None or ascending is None:
        return None
    elements = _array(array, "ARRAY_SORT")
    if any(isinstance(e, list | dict) for e in elements):
        raise ValueError("ARRAY_SORT of an array holding arrays or objects is not carried")
    present = (e for e in elements if e is not None)  # equal ones keep their order
    values = sorted(present, key=lambda e: (_RANKS[type(e)], e), reverse=not ascending)
    nulls = [None] * (len(elements) - len(values))
    first = (not ascending) if nulls_first is None else bool(nulls_first)
    return _dump([*nulls, *values] if first else [*values, *nulls])


class _Written(str):
    """A JSON number written with a fraction or an exponent, as written."""


_INTEGER_RANGES = {"IS_BIGINT": 2**63, "IS_INTEGER": 2**31, "IS_SMALLINT": 2**15}
_UNCARRIED = "whether Redshift holds it as a DECIMAL or a FLOAT is not carried"


def super_test(document: Any, name: str) -> int:
    """IS_BIGINT, IS_INTEGER, IS_SMALLINT, IS_DECIMAL, IS_FLOAT, IS_VARCHAR, IS_CHAR of a SUPER
    value (compat/redshift_super_types.py): false for NULL and other kinds."""
    if document is None:
        return 0
    try:
        value = json.loads(str(document), parse_float=_Written)
    except ValueError:
        raise ValueError(f"{name}: {document!r} is not a JSON value") from None
    if name in ("IS_VARCHAR", "IS_CHAR"):
        return int(isinstance(value, str) and not isinstance(value, _Written)
                   and (name == "IS_VARCHAR" or value.isascii()))  # fmt: skip
    if isinstance(value, _Written):
        if "e" in value.lower():
            raise ValueError(f"{name} of a number written with an exponent: {_UNCARRIED}")
        if name in ("IS_DECIMAL", "IS_FLOAT"):
            raise ValueError(f"{name} of a number with a fraction or past 64 bits: {_UNCARRIED}")
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        return 0
    if name in ("IS_DECIMAL", "IS_FLOAT"):
        if not -(2**63) <= value < 2**63:
            raise ValueError(f"{name} of a number with a fraction or past 64 bits: {_UNCARRIED}")
        return int(name == "IS_DECIMAL")
    bound = _INTEGER_RANGES[name]
    return int(-bound <= value < bound)


def _renamed(value: Any, case: str) -> Any:
    if isinstance(value, list):
        return [_renamed(v, case) for v in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, inner in value.items():
        if not key.isascii():
            raise ValueError(
                f"{case.upper()}_ATTRIBUTE_NAMES of a key that is not ASCII is not carried"
            )
        new = key.lower() if case == "lower" else key.upper()
        if new in out:
            raise ValueError("SUPER value has duplicate attributes after case conversion")
        out[new] = _renamed(inner, case)
    return out


def attribute_names(document: Any, case: str) -> str | None:
    """LOWER_ATTRIBUTE_NAMES / UPPER_ATTRIBUTE_NAMES: every object's keys, at every depth."""
    if document is None:
        return None
    return _dump(_renamed(_load(document, f"{case.upper()}_ATTRIBUTE_NAMES"), case))


FUNCTIONS = {
    "dwsim_rs_array_contains": (array_contains, 3),
    "dwsim_rs_array_position": (array_position, 3),
    "dwsim_rs_array_positions": (array_positions, 3),
    "dwsim_rs_arrays_overlap": (arrays_overlap, 2),
    "dwsim_rs_array_distinct": (array_distinct, 1),
    "dwsim_rs_array_union": (array_union, 2),
    "dwsim_rs_array_intersection": (array_intersection, 3),
    "dwsim_rs_array_except": (array_except, 3),
    "dwsim_rs_array_sort": (array_sort, 3),
    "dwsim_rs_super_test": (super_test, 2),
    "dwsim_rs_attribute_names": (attribute_names, 2),
}
