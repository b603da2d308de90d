"""The row cap the Snowflake warehouse puts on a read: the same statement with LIMIT on its
outermost query (appended to the text after one parse that also checks the read), the query's
own LIMIT/OFFSET/FETCH kept, and anything outside the experiment refused as before."""

from __future__ import annotations

import pytest
import sqlglot
from sqlglot import exp

from dwsim_shared.errors import BadRequest
from dwsim_shared.warehouses.snowflake_guard import check_engine_sql, limited_read

SCHEMA = "dwsim_shop"


def _tree_limited(sql: str, limit: int) -> str:
    """What setting the limit on the parsed tree gives (the meaning the text must keep)."""
    tree = next(s for s in sqlglot.parse(sql, read="snowflake") if s is not None)
    tree.set("limit", exp.Limit(expression=exp.Literal.number(limit)))
    return tree.sql(dialect="snowflake")


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT a FROM dwsim_shop.t",
        "SELECT a FROM dwsim_shop.t ORDER BY a DESC;",
        "SELECT a FROM dwsim_shop.t;  ;\n",
        "SELECT a FROM dwsim_shop.t -- a closing comment",
        "SELECT a, COUNT(*) AS n FROM dwsim_shop.t GROUP BY a QUALIFY n > 1 ORDER BY n",
        "SELECT a FROM dwsim_shop.t UNION ALL SELECT b FROM dwsim_shop.u ORDER BY 1",
        "WITH c AS (SELECT a FROM dwsim_shop.t LIMIT 3) SELECT * FROM c",
    ],
)
def test_a_read_without_a_limit_gets_the_cap_with_the_same_meaning(sql: str) -> None:
    bounded = limited_read(sql, 11, SCHEMA)
    assert bounded.endswith("\nLIMIT 11")
    parsed = sqlglot.parse_one(bounded, read="snowflake")
    assert parsed.sql(dialect="snowflake") == _tree_limited(sql, 11)
    check_engine_sql(bounded, SCHEMA)  # the text sent passes the same check


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT a FROM dwsim_shop.t LIMIT 5",
        "SELECT a FROM dwsim_shop.t LIMIT 5 OFFSET 2",
        "SELECT a FROM dwsim_shop.t OFFSET 2 ROWS FETCH NEXT 3 ROWS ONLY",
        "SELECT a FROM dwsim_shop.t UNION SELECT b FROM dwsim_shop.u LIMIT 4",
    ],
)
def test_a_read_with_its_own_limit_is_sent_as_written(sql: str) -> None:
    assert limited_read(sql, 11, SCHEMA) == sql


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT a FROM dwsim_other.t",
        "DELETE FROM dwsim_shop.t",
        "SELECT 1; SELECT 2",
        "SELECT * FROM read_text('/etc/hostname')",
        "SELEC a FROM dwsim_shop.t",
    ],
)
def test_what_the_check_refuses_is_refused_before_any_limit(sql: str) -> None:
    with pytest.raises(BadRequest) as caught:
        limited_read(sql, 11, SCHEMA)
    assert caught.value.message.startswith("snowflake: ")
    with pytest.raises(BadRequest):
        check_engine_sql(sql, SCHEMA)
