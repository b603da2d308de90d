"""Snowflake's numeric format models for parsing (TO_NUMBER / TO_DECIMAL / TO_NUMERIC and their
TRY_ variants), and its conversion of text to NUMBER(precision, scale).

A format model is compiled once, at translation time, into an anchored regular expression
that Python, PostgreSQL and the emulator read alike: the text must match it, then the `$`,
group separators and blanks are dropped and a trailing sign moved in front. Elements carried:
`9` and `0` (digit positions), `.` and `D` (decimal point), `,` and `G` (group separator),
`$`, `S` (leading or trailing sign), `MI` (trailing minus), `X` (hexadecimal digit positions)
and the text-minimal `TM`, `TM9`, `TME`. Any other element is refused by name
(`UnsupportedElement`), never ignored.

https://docs.snowflake.com/en/sql-reference/sql-format-models
"""

from __future__ import annotations

import decimal
import re
from dataclasses import dataclass
from typing import Any

_CONTEXT = decimal.Context(prec=80, rounding=decimal.ROUND_HALF_UP)
ANY_NUMBER = r"^ *[+-]? *([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]+)? *$"


class UnsupportedElement(ValueError):
    """A format element whose parsing meaning is not carried: refused by name."""

    def __init__(self, element: str) -> None:
        super().__init__(element)
        self.element = element


@dataclass(frozen=True)
class NumberModel:
    pattern: str  # anchored; the same syntax in Python re, PostgreSQL ARE and RE2
    trailing_sign: bool = False  # S or MI at the end: "12-" is -12
    hexadecimal: int = 0  # X digits (how many): the text is a hexadecimal integer
    fraction_digits: int = 18  # digit positions after the decimal point (text-minimal: 18)


_ELEMENT = re.compile(r"TM9|TME|TM|MI|[90XDGS.,$]", re.IGNORECASE)


def compile_model(model: str) -> NumberModel:
    """The parsing rule of a Snowflake numeric format model."""
    text = model.strip()
    upper = text.upper()
    if upper in ("TM", "TM9", "TME"):
        return NumberModel(ANY_NUMBER)
    pieces: list[str] = []
    position = 0
    while position < len(text):
        match = _ELEMENT.match(text, position)
        if match is None:
            word = re.match(r"[A-Za-z]+|.", text[position:])
            raise UnsupportedElement(word.group(0) if word else text[position])
        pieces.append(match.group(0).upper())
        position = match.end()
    if "X" in pieces:
        if set(pieces) != {"X"}:
            raise UnsupportedElement("X with other elements")
        return NumberModel(
            rf"^ *[0-9a-fA-F]{{1,{len(pieces)}}} *$", hexadecimal=len(pieces), fraction_digits=0
        )
    if pieces.count("TM") or any(p.startswith("TM") for p in pieces):
        raise UnsupportedElement("TM with other elements")
    dollar = "$" in pieces
    trailing = bool(pieces) and pieces[-1] in ("S", "MI")
    if "MI" in pieces[:-1] or pieces.count("S") > 1 or "S" in pieces[1:-1]:
        raise UnsupportedElement("S or MI inside the number")
    body = [p for p in pieces if p not in ("$", "S", "MI")]
    points = [i for i, p in enumerate(body) if p in (".", "D")]
    if len(points) > 1:
        raise UnsupportedElement("a second decimal point")
    integer = body[: points[0]] if points else body
    fraction = body[points[0] + 1 :] if points else []
    if any(p in (",", "G") for p in fraction):
        raise UnsupportedElement("a group separator after the decimal point")
    if not any(p in "90" for p in integer + fraction):
        raise UnsupportedElement("a model without digits")
    whole = _integer_part(integer)
    if fraction:
        digits = f"[0-9]{{0,{len(fraction)}}}"
        number = rf"({whole}([.]{digits})?|[.][0-9]{{1,{len(fraction)}}})"
    else:
        number = whole
    sign_after = "[+-]?" if trailing and pieces[-1] == "S" else "-?" if trailing else ""
    money = "[$] *" if dollar else ""
    pattern = rf"^ *[+-]? *{money}{number} *{sign_after} *$"
    return NumberModel(pattern, trailing_sign=trailing, fraction_digits=len(fraction))


def _integer_part(positions: list[str]) -> str:
    """The integer digits and group separators of the model, right-aligned: the text may leave
    out leading positions (with the separators before them), never add one."""
    alternatives = []
    for start in range(len(positions)):
        if positions[start] not in "90":
            continue
        tail, run = "", 0
        for p in positions[start:]:
            if p in "90":
                run += 1
                continue
            tail += (f"[0-9]{{{run}}}" if run else "") + ","
            run = 0
        tail += f"[0-9]{{{run}}}" if run else ""
        alternatives.append(tail)
    unique = list(dict.fromkeys(alternatives))
    return "(" + "|".join(unique) + ")"


def cleaned(value: str, model: NumberModel) -> str:
    """The text a matching value reads as a plain number: without `$`, separators and blanks,
    a trailing sign moved in front."""
    text = re.sub(r"[$, ]", "", value)
    if model.trailing_sign and text[-1:] in "+-" and len(text) > 1:
        text = (text[-1] if text[-1] == "-" else "") + text[:-1]
    return text


def to_decimal(
    value: Any, pattern: Any, trailing: Any, precision: Any, scale: Any, safe: Any
) -> float | int | str | None:
    """`dwsim_sf_number(value, pattern, trailing, precision, scale, safe)` on SQLite: Snowflake's
    TO_NUMBER(value[, model], precision, scale) (TRY_TO_NUMBER with `safe`): rounded half away
    from zero to the scale, failing (or NULL) when the integer digits do not fit the precision."""
    if value is None:
        return None
    try:
        number = _number(value, pattern, bool(trailing))
        p, s = int(precision), int(scale)
        exact = number.quantize(decimal.Decimal(1).scaleb(-s), context=_CONTEXT)
        if exact.adjusted() >= p - s and exact != 0:
            raise ValueError(f"Numeric value '{value}' is out of range")
    except (ValueError, decimal.InvalidOperation):
        if safe:
            return None
        raise
    if s == 0:
        return int(exact)
    as_float = float(exact)
    return as_float if decimal.Decimal(repr(as_float)) == exact else format(exact, "f")


def _number(value: Any, pattern: Any, trailing: bool) -> decimal.Decimal:
    if isinstance(value, bool):
        return decimal.Decimal(int(value))
    if isinstance(value, int):
        return decimal.Decimal(value)
    if isinstance(value, float):
        return decimal.Decimal(repr(value))
    text = str(value)
    if pattern is not None:
        if not re.fullmatch(str(pattern), text):
            raise ValueError(f"Can't parse '{value}' as number with the format")
        if str(pattern).startswith("^ *[0-9a-fA-F]"):
            return decimal.Decimal(int(text.strip(), 16))
        text = cleaned(text, NumberModel(str(pattern), trailing_sign=trailing))
    elif not re.fullmatch(ANY_NUMBER, text):
        raise ValueError(f"Numeric value '{value}' is not recognized")
    return decimal.Decimal(text.replace(" ", ""))
