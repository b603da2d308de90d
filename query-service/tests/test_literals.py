"""Redshift input the engines read differently (pure logic: the values the rewrites write)."""

from __future__ import annotations

import pytest

from dwsim_query.compat.catalogue import _calls
from dwsim_query.compat.literals import _iso, zone_literal
from dwsim_shared.compat_packs.formats import parse_datetime
from dwsim_shared.compat_packs.sqlite_dates import convert_timezone


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("PST", "GMT-08:00"),  # an abbreviation is a fixed offset, summer or not
        ("EDT", "GMT-04:00"),
        ("ACST", "GMT+09:30"),
        ("NEWZONE +2", "GMT-02:00"),  # POSIX: hours west of Greenwich
        ("NEWZONE-2:15", "GMT+02:15"),
        ("America/Los_Angeles+2", "GMT-02:00"),
        ("GMT+2", "GMT-02:00"),
        ("UTC", "UTC"),
        ("america/new_york", "America/New_York"),
        ("Mars/Olympus", None),
    ],
)
def test_zone_literals(written: str, read: str | None) -> None:
    assert zone_literal(written) == read


def test_fixed_offsets_convert_on_sqlite() -> None:
    assert (
        convert_timezone("GMT+00:00", "GMT-02:00", "2014-05-17 12:00:00") == "2014-05-17 10:00:00"
    )
    assert (
        convert_timezone("GMT-05:00", "GMT-08:00", "2008-03-05 12:25:29") == "2008-03-05 09:25:29"
    )


def test_compact_dates() -> None:
    assert _iso("20220502 04:05:06.789") == "2022-05-02 04:05:06.789"
    assert _iso("20220502") == "2022-05-02"
    assert _iso("2022-05-02") is None
    assert _iso("202205021") is None


def test_not_strict_moves_past_a_range() -> None:
    assert (
        str(parse_datetime("20010631", "YYYYMMDD", "redshift", strict=False))
        == "2001-07-01 00:00:00"
    )
    with pytest.raises(ValueError, match="range"):
        parse_datetime("20010631", "YYYYMMDD", "redshift")


def test_keyword_functions_without_parentheses_are_calls() -> None:
    found = _calls(
        'SELECT current_date, sysdate, t.sysdate, "sysdate", trunc(sysdate) FROM t', "redshift"
    )
    assert [(name, count) for name, count, _, _ in found] == [
        ("CURRENT_DATE", 0), ("SYSDATE", 0), ("TRUNC", 1), ("SYSDATE", 0)
    ]  # fmt: skip
