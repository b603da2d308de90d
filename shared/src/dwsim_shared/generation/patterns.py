"""Patterns such as `"ORD-{########}"`: `#` digit, `?` upper-case letter, `*` either.

Values are built as a fixed-width byte matrix with numpy, never a Python loop per row; a
unique column reads the row index in the slots (mixed radix), others draw them at random.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

_DIGITS = np.frombuffer(b"0123456789", dtype=np.uint8)
_LETTERS = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", dtype=np.uint8)
_ALNUM = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", dtype=np.uint8)
PATTERN_SLOTS = {"#": _DIGITS, "?": _LETTERS, "*": _ALNUM}


def parse_pattern(pattern: str) -> list[bytes | np.ndarray]:
    """`"ORD-{####}"` -> literal and slot parts; `#` digit, `?` letter, `*` either, `\\` escapes.

    Braces only group for readability and are dropped.
    """
    parts: list[bytes | np.ndarray] = []
    escaped = False
    for char in pattern:
        if escaped:
            parts.append(char.encode())
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in "{}":
            continue
        elif char in PATTERN_SLOTS:
            parts.append(PATTERN_SLOTS[char])
        else:
            parts.append(char.encode())
    return parts


def pattern_capacity(pattern: str) -> int:
    capacity = 1
    for part in parse_pattern(pattern):
        if isinstance(part, np.ndarray):
            capacity *= len(part)
    return capacity


def pattern_strings(pattern: str, indices: np.ndarray, rng: np.random.Generator | None) -> pa.Array:
    """Strings of the pattern: random slots, or (rng None) the index in mixed radix: unique."""
    parts = parse_pattern(pattern)
    width = pattern_width(pattern)
    slots = [len(p) for p in parts if not isinstance(p, bytes)]
    # Every slot of a row drawn together (row-major), so row i depends on no later row.
    picks = (
        rng.integers(0, slots, size=(len(indices), len(slots)))
        if rng is not None and slots
        else None
    )
    slot = len(slots)
    matrix = np.empty((len(indices), width), dtype=np.uint8)
    rest = indices.astype(np.int64, copy=True)
    position = width
    for part in reversed(parts):
        if isinstance(part, bytes):
            position -= len(part)
            matrix[:, position : position + len(part)] = np.frombuffer(part, dtype=np.uint8)
            continue
        position -= 1
        slot -= 1
        if picks is None:
            matrix[:, position] = part[rest % len(part)]
            rest //= len(part)
        else:
            matrix[:, position] = part[picks[:, slot]]
    if width == 0:
        return pa.array([""] * len(indices), type=pa.string())
    return pa.array(matrix.view(f"S{width}").ravel()).cast(pa.string())


def pattern_width(pattern: str) -> int:
    """How many characters every value of the pattern has."""
    return sum(len(p) if isinstance(p, bytes) else 1 for p in parse_pattern(pattern))
