"""The function catalogue as data: it parses, names its pages, and refuses by name what the
source dialect does not have (pure logic, no engine)."""

from __future__ import annotations

import pytest

from dwsim_query.compat.allowlist import ALLOWED
from dwsim_query.compat.catalogue import catalogue, check_calls
from dwsim_shared.errors import BadRequest


def test_every_entry_has_a_dialect_a_result_and_a_page() -> None:
    entries = catalogue()
    assert len(entries) > 150
    for entry in entries.values():
        assert entry.forms, entry.name
        assert entry.result, entry.name
        for dialect in entry.forms:
            assert entry.doc(dialect).startswith("https://docs."), entry.name


def test_the_functions_the_engines_allow_are_catalogued() -> None:
    names = set(catalogue())
    for name in ("ROUND", "REGEXP_SUBSTR", "ADD_MONTHS", "BOOLAND", "IFF", "TO_HEX", "MOD"):
        assert name in names
    assert {"round", "regexp_substr", "iff"} <= ALLOWED["snowflake"]


def test_a_function_of_the_other_dialect_names_the_source() -> None:
    with pytest.raises(BadRequest) as caught:
        check_calls("SELECT IFF(a > 1, 1, 2) FROM t", "redshift")
    assert caught.value.message.startswith("IFF is Snowflake SQL; this experiment is Redshift")
    assert "use CASE" in caught.value.message
    assert "line 1, column 8" in caught.value.message


def test_an_argument_form_outside_the_catalogue_is_refused() -> None:
    with pytest.raises(BadRequest, match="LOG with 2 arguments is not Redshift SQL"):
        check_calls("SELECT LOG(10, 100)", "redshift")
    check_calls("SELECT LOG(10, 100)", "snowflake")


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT SUBSTRING(s FROM 2 FOR 3) FROM t",
        "SELECT EXTRACT(year FROM d) FROM t",
        "SELECT COUNT(*), COUNT(DISTINCT a) FROM t",
        "SELECT CAST(a AS INT), POSITION('a' IN s) FROM t",
    ],
)
def test_keyword_forms_are_not_counted(sql: str) -> None:
    check_calls(sql, "redshift")
    check_calls(sql, "snowflake")


def test_documented_cases_cite_a_vendor_reference_page() -> None:
    from pathlib import Path

    from dwsim_query.compat.cases import load_cases

    cases = load_cases(Path(__file__).parent / "golden" / "cases")
    cited = [c for c in cases if c.doc]
    assert len(cited) >= 100
    for case in cited:
        assert case.doc is not None and case.doc.startswith(
            ("https://docs.aws.amazon.com/redshift/", "https://docs.snowflake.com/en/")
        ), case.id
