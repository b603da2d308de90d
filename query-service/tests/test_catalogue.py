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
        assert entry.forms or entry.unsupported, entry.name
        assert entry.result, entry.name
        for dialect in (*entry.forms, *entry.unsupported):
            assert entry.doc(dialect).startswith("https://docs."), entry.name


def test_the_vendor_references_are_catalogued_completely() -> None:
    """Every function of both references has an entry, run or refused with a reason."""
    entries = catalogue().values()
    redshift = [e for e in entries if e.exists_in("redshift")]
    snowflake = [e for e in entries if e.exists_in("snowflake")]
    assert len(redshift) >= 350 and len(snowflake) >= 1000
    for name in ("ST_AREA", "HLL", "GET_BYTE", "JSON_EXTRACT_ARRAY_ELEMENT_TEXT", "SOUNDEX"):
        assert name in {e.name for e in redshift}, name
    for name in ("AI_COMPLETE", "ARRAY_SORT", "SYSTEM$WAIT", "SNOWFLAKE.CORTEX.COMPLETE", "ZIPF"):
        assert name in {e.name for e in snowflake}, name
    for entry in (*redshift, *snowflake):
        for dialect in entry.unsupported:
            assert entry.status("sqlite", dialect).startswith("refused: "), entry.name
    assert catalogue()["ST_AREA"].doc("redshift").endswith("/dg/ST_Area-function.html")
    assert catalogue()["AS_VARCHAR"].doc("snowflake").endswith("/functions/as_char-varchar")


@pytest.mark.parametrize(
    ("sql", "dialect", "message"),
    [
        ("SELECT HASH(a) FROM t", "snowflake",
         "HASH (Snowflake SQL) is not supported by the simulator (line 1, column 8)"),
        ("SELECT a, ST_AREA(g) FROM t", "snowflake",
         "ST_AREA (Snowflake SQL) is not supported by the simulator (line 1, column 11): "
         "geospatial types are not simulated"),
        ("SELECT SNOWFLAKE.CORTEX.COMPLETE('m', p) FROM t", "snowflake",
         "SNOWFLAKE.CORTEX.COMPLETE (Snowflake SQL) is not supported by the simulator "
         "(line 1, column 8): Cortex AI functions"),
        ("SELECT NOW()", "redshift", "NOW (Redshift SQL) is not supported by the simulator"),
        ("SELECT SOUNDEX(s) FROM t", "redshift", "SOUNDEX (Redshift SQL) is not supported"),
    ],
)  # fmt: skip
def test_a_vendor_function_the_simulator_does_not_run_is_refused_by_name(
    sql: str, dialect: str, message: str
) -> None:
    with pytest.raises(BadRequest) as caught:
        check_calls(sql, dialect)
    assert caught.value.message.startswith(message), caught.value.message


def test_type_names_and_operators_are_not_taken_for_calls() -> None:
    check_calls("SELECT CAST(a AS CHAR(3)), a::NUMBER(10,2) FROM t WHERE a IN (1, 2)", "snowflake")
    check_calls("SELECT CAST(a AS DECIMAL(10, 2)) FROM t WHERE a IN (1, 2)", "redshift")


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


def test_every_function_the_simulator_does_not_run_is_refused_with_its_reason() -> None:
    for entry in catalogue().values():
        for dialect, reason in entry.unsupported.items():
            with pytest.raises(BadRequest) as caught:
                check_calls(f"SELECT {entry.name}(1) FROM t", dialect)
            message = caught.value.message
            label = {"redshift": "Redshift", "snowflake": "Snowflake"}[dialect]
            assert message.startswith(f"{entry.name} ({label} SQL) is not supported"), message
            assert reason in message or reason == "not supported by the simulator", message


def test_merge_insert_clause_is_not_a_call_but_insert_after_then_in_case_is() -> None:
    from dwsim_query.compat.catalogue import _calls

    merge = (
        "MERGE INTO n USING s ON n.id = s.id WHEN NOT MATCHED THEN INSERT (id, note) "
        "VALUES (s.id, s.note)"
    )
    assert [c[0] for c in _calls(merge, "postgres")] == ["VALUES"]
    case = "SELECT CASE WHEN a THEN INSERT('abc', 1, 1, 'z') END"
    assert ("INSERT", 4, 1, 25) in _calls(case, "snowflake")


def test_function_help_includes_the_vendor_functions_the_simulator_refuses() -> None:
    """The editor's hover says why a vendor function is refused, instead of nothing; a
    refused function is never offered as a completion (`in_dialect` is false)."""
    from dwsim_query.routes.functions import describe

    entries = catalogue()
    area = describe(entries["ST_AREA"], "snowflake", "snowflake")
    assert not area["in_dialect"] and not area["supported"] and area["refused"]
    assert area["status"] == (
        "ST_AREA (Snowflake SQL) is not supported by the simulator: "
        "geospatial types are not simulated"
    )
    assert area["doc"] == "https://docs.snowflake.com/en/sql-reference/functions/st_area"
    age = describe(entries["AGE"], "redshift", "postgres")
    assert age["status"].startswith("AGE (Redshift SQL) is not supported by the simulator: ")
    assert age["signature"] == "AGE(...)"
    # a vendor function of the other dialect only: named by its dialect
    assert describe(entries["AI_COMPLETE"], "redshift", "sqlite")["status"] == (
        "Snowflake SQL, refused in Redshift SQL"
    )
    runs = describe(entries["ROUND"], "redshift", "sqlite")
    assert runs["supported"] and not runs["refused"]


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELECT DECIMAL_PRECISION(JSON_PARSE('3.14159'))",
         "DECIMAL_PRECISION (Redshift SQL) is not supported by the simulator (line 1, column 8)"),
        ("SELECT SIZE(JSON_PARSE('[1]'))", "SIZE (Redshift SQL) is not supported"),
        ("SELECT H3_FromLongLat(0, 0, 10)",
         "H3_FROMLONGLAT (Redshift SQL) is not supported by the simulator (line 1, column 8): "
         "geospatial types are not simulated"),
        ("SELECT OBJECT('a', 1)", "OBJECT (Redshift SQL) is not supported"),
    ],
)  # fmt: skip
def test_redshift_functions_documented_since_april_2023_are_catalogued(
    sql: str, message: str
) -> None:
    """The functions the Redshift reference added after the vendor list's copy: each refused
    by name with its page, or run (TRY_CAST, GROUPING)."""
    with pytest.raises(BadRequest) as caught:
        check_calls(sql, "redshift")
    assert caught.value.message.startswith(message), caught.value.message
    entries = catalogue()
    assert entries["ARRAY_CONTAINS"].doc("redshift").endswith("/dg/array_contains.html")
    assert entries["TRY_CAST"].in_dialect("redshift")
    assert entries["TRY_CAST"].doc("redshift").endswith("/dg/r_TRY_CAST.html")
    check_calls("SELECT TRY_CAST('12' AS INT)", "redshift")
    check_calls("SELECT ARRAY_SORT(ARRAY('b', 'a')), ARRAY_CONTAINS(ARRAY(1), 1)", "redshift")
