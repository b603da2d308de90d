"""Every defect issue 16 lists, as its example, through the query service's answer path
(`service.answer`, what `POST /query` returns, and `service.csv_lines` for CSV) on SQLite, the
Redshift mock and the Snowflake emulator: each answers the documented value, with the source's
column name and type, or is refused naming the construct. The issue's tables (`customers`,
`orders`, `t2`) are the golden table `g` here."""

from __future__ import annotations

import csv
import decimal
import io
import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from dwsim_query.compat import engine_of
from dwsim_query.compat.cases import same_rows
from dwsim_query.compat.catalogue import Operator, operators
from dwsim_query.service import PreparedQuery, answer, csv_lines
from dwsim_shared.errors import BadRequest, DWSimError

from .conftest import GoldenEngine

pytestmark = pytest.mark.integration
RS = "https://docs.aws.amazon.com/redshift/latest/dg/"
SF = "https://docs.snowflake.com/en/sql-reference/"


@dataclass(frozen=True)
class Example:
    id: str
    dialect: str
    sql: str
    expect: list[list[Any]] | None = None  # rows as the JSON answer carries them
    # (name, type in the source's words; None: the name only)
    columns: list[tuple[str, str | None]] | None = None
    refuse: dict[str, str] = field(default_factory=dict)  # engine -> piece of the message
    doc: str | None = None


EXAMPLES = [
    Example("log-base-10", "redshift", "SELECT LOG(100)", [[2.0]], [("log", "double precision")],
            doc=RS + "r_LOG.html"),
    Example("substring-negative-start", "redshift", "SELECT SUBSTRING('caterpillar', -2, 6)",
            [["cat"]], [("substring", "character varying")], doc=RS + "r_SUBSTRING.html"),
    Example("substring-before-the-string", "redshift",
            "SELECT SUBSTRING('caterpillar', -5, 4)", [[""]], doc=RS + "r_SUBSTRING.html"),
    Example("cast-varchar-truncates", "redshift",
            "SELECT CAST('Fourscore and seven' AS VARCHAR(5))", [["Fours"]],
            [("varchar", "character varying(5)")], doc=RS + "r_CAST_function.html"),
    Example("add-months-month-end", "redshift", "SELECT ADD_MONTHS('2008-04-30', 1)",
            [["2008-05-31T00:00:00"]], [("add_months", "timestamp without time zone")],
            doc=RS + "r_ADD_MONTHS.html"),
    Example("extract-ms", "redshift",
            "SELECT EXTRACT(ms FROM timestamp '2009-09-09 12:08:43.101')", [[101]],
            doc=RS + "r_Dateparts_for_datetime_functions.html"),
    Example("regexp-substr-i", "redshift", "SELECT REGEXP_SUBSTR('the fox', 'FOX', 1, 1, 'i')",
            [["fox"]], doc=RS + "REGEXP_SUBSTR.html"),
    Example("regexp-count-i-redshift", "redshift",
            "SELECT REGEXP_COUNT('the fox', 'FOX', 1, 'i')", [[1]], doc=RS + "REGEXP_COUNT.html"),
    Example("regexp-count-i-snowflake", "snowflake",
            "SELECT REGEXP_COUNT('Excelence', 'e', 1, 'i')", [[4]],
            [("REGEXP_COUNT('EXCELENCE', 'E', 1, 'I')", "NUMBER(38,0)")],
            doc=SF + "functions/regexp_count"),
    Example("round-half-to-even", "snowflake", "SELECT ROUND(2.5, 0, 'HALF_TO_EVEN')", [[2]],
            doc=SF + "functions/round"),
    Example("initcap-delimiters", "snowflake",
            "SELECT INITCAP('this is the new Frame+Oxygen', ' +')",
            [["This Is The New Frame+Oxygen"]], doc=SF + "functions/initcap"),
    Example("initcap-no-delimiters", "snowflake",
            "SELECT INITCAP('this is the new Frame+Oxygen', '')",
            [["This is the new frame+oxygen"]], doc=SF + "functions/initcap"),
    Example("mod-decimals", "snowflake", "SELECT MOD(4.5, 1.2)", [["0.9"]],
            doc=SF + "functions/mod"),
    Example("mod-decimal-by-integer", "snowflake", "SELECT MOD(10.5, 4)", [["2.5"]],
            doc=SF + "functions/mod"),
    Example("to-time", "snowflake", "SELECT TO_TIME('05:00:00')", [["05:00:00"]],
            [("TO_TIME('05:00:00')", "TIME")], doc=SF + "functions/to_time"),
    Example("cast-to-time", "snowflake", "SELECT '08:50:48'::TIME", [["08:50:48"]],
            doc=SF + "data-types-datetime#time"),
    Example("dateadd-time", "snowflake", "SELECT DATEADD(hour, 8, time '13:24:55')",
            [["21:24:55"]], doc=SF + "functions/dateadd"),
    Example("booland-rounds", "snowflake", "SELECT BOOLAND(2, 0.3)", [[False]],
            [("BOOLAND(2, 0.3)", "BOOLEAN")], doc=SF + "functions/booland"),
    Example("nullif-char-blanks", "redshift", "SELECT NULLIF('a'::char(2), 'a '::char(2))",
            [[None]], doc=RS + "r_Character_types.html"),
    Example("to-hex", "redshift", "SELECT TO_HEX(2147676847)", [["8002f2af"]],
            refuse={"snowflake": "TO_HEX"}, doc=RS + "r_TO_HEX.html"),
    # DECIMAL exactness (the golden table's n is DECIMAL(10,2); its sum is 113.79)
    Example("decimal-sum-redshift", "redshift", "SELECT SUM(n) FROM g", [["113.79"]],
            [("sum", "numeric(38,2)")], doc=RS + "r_SUM.html"),
    Example("decimal-sum-snowflake", "snowflake", "SELECT SUM(n) FROM g", [["113.79"]],
            [("SUM(N)", "NUMBER(38,2)")], doc=SF + "functions/sum"),
    Example("decimal-avg-redshift", "redshift", "SELECT AVG(n) FROM g", [["22.76"]],
            [("avg", "numeric(38,2)")], doc=RS + "r_AVG.html"),
    Example("decimal-avg-snowflake", "snowflake", "SELECT AVG(n) FROM g", [["22.75800000"]],
            [("AVG(N)", "NUMBER(38,8)")], doc=SF + "functions/avg"),
    Example("decimal-rows-snowflake", "snowflake", "SELECT n FROM g ORDER BY id",
            [["2.25"], ["10.50"], ["0.05"], ["99.99"], ["1.00"]], [("N", "NUMBER(10,2)")]),
    Example("decimal-rows", "redshift", "SELECT n FROM g ORDER BY id",
            [["2.25"], ["10.50"], ["0.05"], ["99.99"], ["1.00"]], [("n", "numeric(10,2)")]),
    # names as the source names them
    Example("count-name-redshift", "redshift", "SELECT grp, COUNT(*) FROM g GROUP BY grp "
            "ORDER BY grp", [["x", 2], ["y", 2], ["z", 1]],
            [("grp", "character varying(40)"), ("count", "bigint")], doc=RS + "r_COUNT.html"),
    Example("unnamed-expression-redshift", "redshift", "SELECT 1 + 1", [[2]],
            [("?column?", "integer")]),
    Example("names-snowflake", "snowflake", "SELECT grp, COUNT(*) FROM g GROUP BY grp "
            "ORDER BY grp", [["x", 2], ["y", 2], ["z", 1]],
            [("GRP", "VARCHAR(40)"), ("COUNT(*)", "NUMBER(38,0)")],
            doc=SF + "identifiers-syntax"),
    Example("boolean-redshift", "redshift", "SELECT id > 3 AS big FROM g ORDER BY id",
            [[False], [False], [False], [True], [True]], [("big", "boolean")]),
    Example("boolean-snowflake", "snowflake", "SELECT id > 3 AS big FROM g ORDER BY id",
            [[False], [False], [False], [True], [True]], [("BIG", "BOOLEAN")]),
    # Snowflake's VALUES table constructor
    Example("values-implicit-names", "snowflake",
            "SELECT column1, column2 FROM VALUES (1, 'one'), (2, 'two') ORDER BY column1",
            [[1, "one"], [2, "two"]], doc=SF + "constructs/values"),
    Example("values-aliased", "snowflake",
            "SELECT t.a, t.b FROM VALUES (1, 'one'), (2, 'two') AS t(a, b) ORDER BY a",
            [[1, "one"], [2, "two"]], [("A", None), ("B", None)],
            doc=SF + "constructs/values"),
    # a column qualified by its own table's name
    Example("table-named-by-itself", "snowflake", "SELECT g.grp FROM g WHERE g.id = 1",
            [["x"]], [("GRP", "VARCHAR(40)")]),
    # grouping sets
    Example("rollup", "redshift",
            "SELECT grp, COUNT(*) AS c, GROUPING(grp) AS gg FROM g GROUP BY ROLLUP (grp) "
            "ORDER BY gg, grp", [["x", 2, 0], ["y", 2, 0], ["z", 1, 0], [None, 5, 1]],
            doc=RS + "r_GROUP_BY_aggregation-extensions.html"),
    Example("cube", "snowflake",
            "SELECT grp, COUNT(*) AS c FROM g WHERE id < 3 GROUP BY CUBE (grp) ORDER BY c, grp",
            [["x", 2], [None, 2]], doc=SF + "constructs/group-by-cube"),
    Example("grouping-sets", "snowflake",
            "SELECT grp, j, COUNT(*) AS c FROM g WHERE id < 4 GROUP BY GROUPING SETS ((grp), (j))"
            " ORDER BY grp, j", [["x", None, 2], ["y", None, 1], [None, 2, 2], [None, 3, 1]],
            doc=SF + "constructs/group-by-grouping-sets"),
    Example("parenthesised-except", "redshift",
            "(SELECT id FROM g EXCEPT SELECT id FROM g WHERE id > 1) UNION SELECT 9 ORDER BY 1",
            [[1], [9]], doc=RS + "r_UNION.html"),
    # a DATE column against a TIMESTAMP literal is compared as dates, not as text
    Example("date-vs-timestamp-literal", "redshift",
            "SELECT id FROM g WHERE d >= CAST('2024-01-31' AS TIMESTAMP) "
            "AND d < CAST('2024-02-01' AS TIMESTAMP)", [[2]]),
    Example("date-vs-timestamp-text", "snowflake",
            "SELECT id FROM g WHERE d BETWEEN TIMESTAMP '2024-01-31 00:00:00' "
            "AND TIMESTAMP '2024-02-29 00:00:00' ORDER BY id", [[2], [4]]),
    Example("date-in-timestamps", "redshift",
            "SELECT id FROM g WHERE d IN (TIMESTAMP '2024-01-31 00:00:00', ts) ORDER BY id",
            [[2], [3]]),
    Example("date-vs-timestamp-column", "snowflake",
            "SELECT id FROM g WHERE d < ts ORDER BY id", [[1], [2], [4], [5]]),
    Example("timestamp-column-vs-date", "redshift",
            "SELECT id FROM g WHERE ts <= d ORDER BY id", [[3]]),
    # refusals name the source and the position
    Example("iff-in-redshift", "redshift", "SELECT IFF(i > 0, 1, 2) FROM g",
            refuse=dict.fromkeys(("sqlite", "redshift", "snowflake"),
                                 "IFF is Snowflake SQL; this experiment is Redshift")),
    Example("syntax-error-position", "redshift", "SELEC grp FROM g",
            refuse=dict.fromkeys(("sqlite", "redshift", "snowflake"), "line 1, column 1")),
    Example("to-timestamp-ntz-scale", "snowflake",
            "SELECT TO_TIMESTAMP_NTZ(40 * 365.25 * 86400 * 1000 + 456, 3)",
            [["2010-01-01T00:00:00.456000"]], refuse={"sqlite": "TO_TIMESTAMP_NTZ"},
            doc=SF + "functions/to_timestamp"),
]  # fmt: skip
LIBRARY_NAMES = ("sqlglot", "<class", "psycopg", "snowflake.connector", "Expression")


def _same(actual: Any, expected: Any) -> bool:
    """A text expectation is matched exactly (an exact decimal is its digits); a number by
    value, whether the JSON carries it as a number or as exact decimal text (an integer as an
    integer); a boolean as a boolean, NULL as null."""
    if isinstance(expected, bool) or expected is None:
        return actual is expected
    if isinstance(expected, int | float):
        if isinstance(expected, int) and (isinstance(actual, float) or "." in str(actual)):
            return False
        if isinstance(actual, str):
            try:
                return abs(decimal.Decimal(actual) - decimal.Decimal(str(expected))) < 1e-9
            except decimal.InvalidOperation:
                return False
        return (
            isinstance(actual, int | float)
            and not isinstance(actual, bool)
            and (abs(actual - expected) < 1e-9)
        )
    return same_rows([[actual]], [[expected]])


def _same_rows(actual: list[list[Any]], expected: list[list[Any]]) -> bool:
    return len(actual) == len(expected) and all(
        len(a) == len(e) and all(_same(x, y) for x, y in zip(a, e, strict=True))
        for a, e in zip(actual, expected, strict=True)
    )


def _query(engine: GoldenEngine, example: Example) -> PreparedQuery:
    prepared = engine.prepared(example.sql, example.dialect)
    name = engine.experiment.name
    return PreparedQuery(name, engine.warehouse, prepared.sql, prepared.columns)


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.id for e in EXAMPLES])
def test_issue_example(golden_engine: GoldenEngine, example: Example) -> None:
    refusal = example.refuse.get(golden_engine.name)
    if refusal is not None:
        with pytest.raises(BadRequest) as caught:
            answer(golden_engine.warehouse.settings, _query(golden_engine, example))
        message = caught.value.message
        assert refusal.lower() in message.lower(), message
        assert not any(n in message for n in LIBRARY_NAMES), message
        return
    try:
        got = answer(golden_engine.warehouse.settings, _query(golden_engine, example))
    except DWSimError as error:  # an engine failure passed through is a defect here
        raise AssertionError(f"{golden_engine.name}: {error.message}") from error
    assert _same_rows(got["rows"], example.expect or []), (
        f"{golden_engine.name} answered {got['rows']}, documented {example.expect}\n"
        f"engine SQL: {got['engine_sql']}"
    )
    if example.columns is not None:
        named = [(c["name"], c["type"]) for c in got["column_types"]]
        assert named == [
            (name, got_type if kind is None else kind)
            for (name, kind), (_, got_type) in zip(example.columns, named, strict=False)
        ]
        assert got["columns"] == [name for name, _ in example.columns]


def test_csv_carries_the_source_names_and_values(golden_engine: GoldenEngine) -> None:
    """The README's export (`tier,_col_1` before) is headed as the source names its columns,
    with exact decimals and true/false booleans."""
    example = Example("csv", "redshift", "SELECT grp, COUNT(*), SUM(n), MIN(id) > 1 FROM g "
                      "WHERE id < 3 GROUP BY grp")  # fmt: skip
    text = "".join(csv_lines(golden_engine.warehouse.settings, _query(golden_engine, example)))
    assert list(csv.reader(io.StringIO(text))) == [
        ["grp", "count", "sum", "?column?"],
        ["x", "2", "12.75", "false"],
    ]


def _answer_rows(text: str, whole_query: bool) -> list[list[Any]]:
    """An answer as `operators.txt` writes it: rows as JSON for a whole query, else one value."""
    if whole_query:
        return json.loads(text)
    value: Any = text
    if text in ("true", "false"):
        value = text == "true"
    else:
        try:
            value = int(text)
        except ValueError:
            try:
                value = float(text)
            except ValueError:
                value = text
    return [[value]]


OPERATOR_CASES = [
    (op, dialect) for op in operators().values() for dialect in ("redshift", "snowflake")
    if op.exists_in(dialect)
]  # fmt: skip


@pytest.mark.parametrize(
    ("operator", "dialect"), OPERATOR_CASES, ids=[f"{o.symbol}-{d}" for o, d in OPERATOR_CASES]
)
def test_catalogued_operator(golden_engine: GoldenEngine, operator: Operator, dialect: str) -> None:
    """Each catalogued operator answers its example as the source does where the catalogue
    says the engine runs it, and is refused by name where it says it is refused."""
    whole = operator.example.upper().startswith("SELECT ")
    sql = operator.example if whole else f"SELECT {operator.example} AS v FROM g WHERE id = 1"
    example = Example(operator.symbol, dialect, sql, _answer_rows(operator.answers[dialect], whole))
    compat = engine_of(golden_engine.warehouse.sqlglot_dialect)
    if not operator.status(compat).startswith("yes"):
        with pytest.raises(BadRequest) as caught:
            answer(golden_engine.warehouse.settings, _query(golden_engine, example))
        message = caught.value.message.lower()
        reason = operator.status(compat).removeprefix("refused: ")
        # named by its symbol, or by the function it is written as (||/ is CBRT)
        written_as = reason.split()[0]
        named = operator.symbol.split(" (")[0].lower() in message or (
            written_as.isupper() and written_as.lower() in message
        )
        assert named, message
        if "parser" in reason:  # where the parser stops, the operator is named at its place
            assert "line 1, column" in message, message
        return
    try:
        got = answer(golden_engine.warehouse.settings, _query(golden_engine, example))
    except DWSimError as error:
        raise AssertionError(f"{golden_engine.name}: {error.message}") from error
    assert _same_rows(got["rows"], example.expect or []), (
        f"{golden_engine.name} answered {got['rows']}, the source {example.expect}\n"
        f"engine SQL: {got['engine_sql']}"
    )
