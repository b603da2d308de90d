"""Snowflake's numeric format models and TO_NUMBER(value, model, precision, scale): the model
compiler alone, then the SQLite (Python) and the Redshift mock (PL/pgSQL) conversions answering
alike on one table of inputs, and TIME_SLICE's alignment on SQLite."""

from __future__ import annotations

import decimal
import re

import psycopg2
import pytest

from dwsim_shared.compat_packs import number_models, postgres, time_slice

# (value, model, precision, scale) -> the number, or None where the conversion fails
CONVERSIONS = [
    ("12.3456", None, 38, 0, "12"),
    ("98.76546", None, 10, 1, "98.8"),
    ("-12.5", None, 38, 0, "-13"),
    ("12.3456", None, 10, 9, None),  # 11 digits in NUMBER(10, 9)
    ("1.5e2", None, 5, 0, "150"),
    ("- 0.1", "99.9", 9, 5, "-0.10000"),
    ("3,741.72", "9,999.99", 6, 2, "3741.72"),
    ("741.72", "9,999.99", 6, 2, "741.72"),
    ("$3,741.72", "$9,999.99", 6, 2, "3741.72"),
    ("3,741.72", "$9,999.99", 6, 2, None),  # the model asks for a dollar sign
    ("12345", "9,999", 38, 0, None),  # more digits than the model has
    ("12,34", "9,999", 38, 0, None),  # a separator out of place
    ("12-", "99MI", 38, 0, "-12"),
    ("7+", "9S", 3, 1, "7.0"),
    ("1,234.5", "9G999D9", 6, 1, "1234.5"),
    ("1.234", "9.99", 38, 2, None),  # more fraction digits than the model has
    ("aaa", None, 38, 0, None),
    ("", None, 38, 0, None),
]


def test_models_compile_to_anchored_patterns_and_refuse_unknown_elements() -> None:
    model = number_models.compile_model("$9,999.99")
    assert re.fullmatch(model.pattern, "$3,741.72")
    assert re.fullmatch(model.pattern, " - $41.7 ")
    assert not re.fullmatch(model.pattern, "$37,41.72")
    assert number_models.compile_model("99MI").trailing_sign
    assert number_models.compile_model("9D999").fraction_digits == 3
    assert number_models.compile_model("XXX").hexadecimal
    for model_text, element in [("9.9EEEE", "EEEE"), ("FM999", "FM"), ("9V99", "V"),
                                ("99.9.9", "a second decimal point"), ("9X", "X with other elements")]:  # fmt: skip
        with pytest.raises(number_models.UnsupportedElement) as caught:
            number_models.compile_model(model_text)
        assert caught.value.element == element


def _sqlite(value: str, model: str | None, precision: int, scale: int) -> str | None:
    pattern = number_models.compile_model(model) if model else None
    try:
        answer = number_models.to_decimal(
            value, pattern.pattern if pattern else None, bool(pattern and pattern.trailing_sign),
            precision, scale, False,
        )  # fmt: skip
    except ValueError:
        assert number_models.to_decimal(value, pattern.pattern if pattern else None,
                                        False, precision, scale, True) is None  # fmt: skip
        return None
    return format(decimal.Decimal(str(answer)).quantize(decimal.Decimal(1).scaleb(-scale)), "f")


@pytest.mark.parametrize(("value", "model", "precision", "scale", "expected"), CONVERSIONS)
def test_sqlite_conversion(value: str, model: str | None, precision: int, scale: int,
                           expected: str | None) -> None:  # fmt: skip
    assert _sqlite(value, model, precision, scale) == expected


def test_the_mock_converts_as_sqlite_does(postgres_db: str) -> None:
    conn = psycopg2.connect(postgres_db)
    try:
        with conn.cursor() as cur:
            postgres.install_compat(cur)
            cur.execute(postgres.SEARCH_PATH)
            for value, model, precision, scale, expected in CONVERSIONS:
                compiled = number_models.compile_model(model) if model else None
                args = (value, compiled.pattern if compiled else None,
                        bool(compiled and compiled.trailing_sign), precision, scale)  # fmt: skip
                cur.execute("SELECT dwsim_sf_number(%s, %s, %s, %s, %s, true)", args)
                got = cur.fetchone()[0]
                assert (None if got is None else format(got, "f")) == expected, (value, model)
                if expected is None:  # TO_NUMBER fails where TRY_TO_NUMBER answers NULL
                    cur.execute("SAVEPOINT s")
                    with pytest.raises(psycopg2.Error, match="Numeric value"):
                        cur.execute("SELECT dwsim_sf_number(%s, %s, %s, %s, %s, false)", args)
                    cur.execute("ROLLBACK TO SAVEPOINT s")
    finally:
        conn.close()


def test_time_slices_align_to_the_epoch_and_weeks_to_monday() -> None:
    assert time_slice.time_slice("2019-02-28", 4, "MONTH", False) == "2019-01-01"
    assert time_slice.time_slice("2019-02-28", 4, "MONTH", True) == "2019-05-01"
    assert time_slice.time_slice("2018-08-25", 2, "week", True) == "2018-09-03"
    assert time_slice.time_slice("1960-06-01", 15, "YEAR", False) == "1955-01-01"
    assert (
        time_slice.time_slice("2019-02-28 12:34:56.789", 8, "HOUR", False) == "2019-02-28 08:00:00"
    )
    assert time_slice.time_slice(None, 1, "DAY", False) is None
    with pytest.raises(ValueError, match="slice length"):
        time_slice.time_slice("2019-02-28", 0, "DAY", False)
