"""Each step of the SQL pipeline alone, then the whole chain (pure functions, no engine)."""

from __future__ import annotations

import pytest
from sqlglot import exp

from dwsim_query.pipeline import (
    fold_identifiers,
    parse_one_read,
    prepare_query,
    refuse_unsafe,
    rewrite_tables,
    transpile,
)
from dwsim_shared.errors import BadRequest
from dwsim_shared.warehouses import sqlite as _registers_strictsqlite  # noqa: F401

TABLES = ["customers", "orders"]


def resolve(name: str) -> exp.Table | None:
    if name.lower() not in TABLES:
        return None
    return exp.table_(
        exp.to_identifier(name.lower(), quoted=True),
        db=exp.to_identifier("dwsim_shop", quoted=True),
    )


def test_one_read_statement_is_accepted() -> None:
    assert isinstance(parse_one_read("SELECT 1", "redshift"), exp.Select)
    assert isinstance(parse_one_read("SELECT 1 UNION ALL SELECT 2", "redshift"), exp.Union)
    assert isinstance(
        parse_one_read("WITH a AS (SELECT 1) SELECT * FROM a", "snowflake"), exp.Select
    )


@pytest.mark.parametrize(
    "sql",
    ["DELETE FROM orders", "DROP TABLE orders", "INSERT INTO orders VALUES (1)",
     "UPDATE orders SET id = 1", "CREATE TABLE x (a INT)", "SELECT 1; SELECT 2", "COPY orders FROM 's3://x'"],
)  # fmt: skip
def test_writes_and_several_statements_are_refused(sql: str) -> None:
    with pytest.raises(BadRequest):
        refuse_unsafe(parse_one_read(sql, "redshift"))


def test_syntax_error_has_line_and_column() -> None:
    with pytest.raises(BadRequest) as caught:
        parse_one_read("SELECT *\nFROM orders WHERE (", "redshift")
    assert caught.value.details["line"] == 2
    assert "line 2" in caught.value.message


@pytest.mark.parametrize(
    ("sql", "engine"),
    [("SELECT pg_read_file('/etc/passwd')", "postgres"), ("SELECT pg_sleep(10)", "postgres"),
     ("SELECT table_to_xml('orders', true, true, '')", "postgres"),
     ("SELECT schema_to_xml('public', true, true, '')", "postgres"),
     ("SELECT query_to_xml_and_xmlschema('select 1', true, true, '')", "postgres"),
     ("SELECT pg_reload_conf()", "postgres"), ("SELECT pg_switch_wal()", "postgres"),
     ("SELECT set_config('a', 'b', false)", "postgres"), ("SELECT current_setting('a')", "postgres"),
     ("SELECT load_extension('x')", "strictsqlite"), ("SELECT readfile('/etc/passwd')", "strictsqlite"),
     ("SELECT SYSTEM$WAIT(10)", "snowflake"), ("SELECT 'pg_authid'::regclass", "postgres")],
)  # fmt: skip
def test_functions_off_the_allowlist_are_refused(sql: str, engine: str) -> None:
    # The catalogue refuses a vendor function first (naming its dialect), the allowlist the rest.
    with pytest.raises(
        BadRequest, match=r"is not supported (on|by) the|is Snowflake SQL"
    ) as caught:
        prepare_query(sql, "redshift", engine, resolve, TABLES)
    assert "sqlglot" not in caught.value.message and "<class" not in caught.value.message


def test_refusal_names_the_construct_engine_line_and_column() -> None:
    with pytest.raises(BadRequest) as caught:
        prepare_query(
            "SELECT 1,\n  my_udf(id) FROM orders", "redshift", "postgres", resolve, TABLES
        )
    assert caught.value.message == (
        "MY_UDF is not supported on the redshift mock engine (line 2, column 3)"
    )


def test_a_cte_never_hides_a_real_table_of_its_name() -> None:
    sql = (
        "SELECT a.query FROM (WITH pg_stat_activity AS (SELECT 1 AS x) SELECT x FROM "
        "pg_stat_activity) s, pg_stat_activity a"
    )
    with pytest.raises(BadRequest, match="unknown table 'pg_stat_activity'"):
        prepare_query(sql, "redshift", "postgres", resolve, TABLES)


def test_deep_nesting_and_long_queries_name_the_limit() -> None:
    deep = "SELECT " + "(" * 3000 + "1" + ")" * 3000
    with pytest.raises(BadRequest, match="limit is 40") as caught:
        prepare_query(deep, "redshift", "postgres", resolve, TABLES)
    assert caught.value.details["limit"] == "max_nesting"
    with pytest.raises(BadRequest, match="limit is 100000"):
        prepare_query("SELECT 1 " + " " * 100_000, "redshift", "postgres", resolve, TABLES)
    assert prepare_query(
        "SELECT " + "(" * 35 + "1" + ")" * 35, "redshift", "postgres", resolve, TABLES
    ).sql


def test_a_typo_names_no_library_class() -> None:
    with pytest.raises(BadRequest) as caught:
        prepare_query("SELECT id * FROM orders", "redshift", "postgres", resolve, TABLES)
    assert "class" not in caught.value.message and "sqlglot" not in caught.value.message


def test_unknown_column_lists_the_known_columns() -> None:
    schema = {"orders": {"id": "INT", "total": "DECIMAL(10, 2)"}}
    with pytest.raises(BadRequest, match=r"unknown column 'totl'; columns of orders: id, total"):
        prepare_query("SELECT totl FROM orders", "redshift", "postgres", resolve, TABLES, schema)


def test_select_into_is_refused() -> None:
    with pytest.raises(BadRequest, match="INTO"):
        refuse_unsafe(parse_one_read("SELECT * INTO copy_of FROM orders", "postgres"))


def test_rewrite_qualifies_tables_and_keeps_logical_aliases() -> None:
    tree = parse_one_read(
        "SELECT customers.id, o.id FROM customers JOIN orders o ON o.customer_id = customers.id",
        "redshift",
    )
    sql = rewrite_tables(tree, resolve, TABLES).sql("postgres")
    assert '"dwsim_shop"."customers" AS customers' in sql
    assert '"dwsim_shop"."orders" AS o' in sql


def test_ctes_are_not_tables() -> None:
    tree = parse_one_read("WITH big AS (SELECT * FROM orders) SELECT COUNT(*) FROM big", "redshift")
    sql = rewrite_tables(tree, resolve, TABLES).sql("postgres")
    assert "FROM big" in sql and '"dwsim_shop"."orders"' in sql


def test_unknown_and_qualified_tables_list_the_experiment_tables() -> None:
    with pytest.raises(BadRequest, match=r"unknown table 'nope'.*customers, orders"):
        rewrite_tables(parse_one_read("SELECT * FROM nope", "redshift"), resolve, TABLES)
    with pytest.raises(BadRequest, match="qualified"):
        rewrite_tables(
            parse_one_read("SELECT * FROM other_schema.orders", "redshift"), resolve, TABLES
        )
    with pytest.raises(BadRequest, match="qualified"):
        rewrite_tables(
            parse_one_read("SELECT * FROM pg_catalog.pg_tables", "redshift"), resolve, TABLES
        )


def test_transpile_to_the_engine_dialect() -> None:
    tree = parse_one_read("SELECT DATEADD(day, 1, '2024-01-01'::date) AS d", "redshift")
    sql = transpile(tree, "postgres")
    assert "INTERVAL" in sql


def test_whole_pipeline_from_snowflake_to_sqlite() -> None:
    sql = prepare_query(
        "SELECT IFF(id > 1, 'a', 'b') FROM Orders LIMIT 5", "snowflake", "sqlite", resolve, TABLES
    ).sql
    assert "CASE WHEN" in sql or "IIF" in sql.upper()
    assert '"dwsim_shop"."orders" AS "orders"' in sql


def test_identifiers_fold_to_the_lower_case_physical_names() -> None:
    tree = parse_one_read('SELECT "EmployeeID", Dept AS "Total" FROM Orders', "snowflake")
    sql = fold_identifiers(tree).sql("postgres")
    assert sql == 'SELECT "employeeid", "dept" AS "total" FROM "orders"'


def test_date_functions_run_on_sqlite() -> None:
    import sqlite3

    sql = prepare_query(
        "SELECT DATE_TRUNC('month', at) AS m, EXTRACT(year FROM at) AS y, DATE_PART(dow, at) AS d FROM orders",
        "redshift", "sqlite", lambda name: exp.table_(exp.to_identifier("orders", quoted=True)), TABLES,
    ).sql  # fmt: skip
    conn = sqlite3.connect(":memory:")
    conn.execute('CREATE TABLE "orders" ("at" TIMESTAMP)')
    conn.execute("INSERT INTO \"orders\" VALUES ('2024-03-17 10:11:12')")
    from dwsim_shared.compat_packs.sqlite import register_compat

    register_compat(conn)
    # Redshift's DATE_TRUNC answers a timestamp.
    assert conn.execute(sql).fetchall() == [("2024-03-01 00:00:00", 2024, 0)]
    with pytest.raises(BadRequest, match="DATE_TRUNC"):
        prepare_query(
            "SELECT DATE_TRUNC('fortnight', at) FROM orders", "redshift", "sqlite", resolve, TABLES
        )


def test_the_compatibility_matrix_is_generated_from_the_golden_cases() -> None:
    from dwsim_query.compat.cases import load_cases
    from dwsim_query.compat.matrix import CASES, DOC, render

    assert DOC.read_text(encoding="utf-8") == render(load_cases(CASES)), (
        "docs/sql-compatibility.md is stale: run python -m dwsim_query.compat.matrix"
    )


@pytest.mark.parametrize("sql", ["SELEC tier FROM customers", "\n  SELEC tier FROM customers"])
def test_a_misspelled_opening_keyword_is_reported_where_it_is(sql: str) -> None:
    with pytest.raises(BadRequest) as caught:
        parse_one_read(sql, "redshift")
    line = 1 if sql.startswith("S") else 2
    column = 1 if line == 1 else 3
    assert caught.value.details["line"] == line and caught.value.details["column"] == column
    assert "'SELEC'" in caught.value.message


def test_an_engine_refusal_of_a_catalogued_function_names_its_dialect_and_reason() -> None:
    with pytest.raises(BadRequest) as caught:
        prepare_query("SELECT OCTET_LENGTH('a')", "snowflake", "sqlite", resolve, TABLES)
    assert caught.value.message.startswith(
        "OCTET_LENGTH (Snowflake SQL) is not supported on the sqlite"
    )
    with pytest.raises(BadRequest) as caught:
        prepare_query("SELECT CRC32('a')", "redshift", "sqlite", resolve, TABLES)
    assert caught.value.message.endswith(": not carried yet"), caught.value.message
