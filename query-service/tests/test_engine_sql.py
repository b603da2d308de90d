"""Golden file of the SQL each engine receives for a representative set of queries
(`golden/engine_sql.yaml`). `DWSIM_UPDATE_GOLDEN=1` rewrites the file after a deliberate
change; review the diff."""

from __future__ import annotations

import os
import re

import pytest
import yaml
from sqlglot import exp

from dwsim_query.pipeline import prepare_query
from dwsim_shared.warehouses import sqlite as _registers_strictsqlite  # noqa: F401

from .conftest import GOLDEN

FILE = GOLDEN / "engine_sql.yaml"
ENGINES = {"sqlite": "strictsqlite", "redshift": "postgres", "snowflake": "snowflake"}
SCHEMA = {"g": {"id": "INT", "i": "INT", "j": "INT", "n": "DECIMAL(10, 2)", "f": "FLOAT",
                "s": "VARCHAR", "grp": "VARCHAR", "d": "DATE", "ts": "TIMESTAMP",
                "js": "JSON", "nul": "INT"}}  # fmt: skip
QUERIES = [
    ("redshift", "SELECT TOP 3 id, DATEADD(hour, 1, ts) FROM g ORDER BY id"),
    ("snowflake", "SELECT DATEADD(day, 1, d), DATEDIFF(month, d, ts) FROM g"),
    ("redshift", "SELECT DATE_TRUNC('month', ts), EXTRACT(dow FROM d), TO_CHAR(d, 'YYYY-MM') FROM g"),
    ("snowflake", "SELECT YEAR(d), TO_VARCHAR(d, 'YYYY'), LAST_DAY(d) FROM g"),
    ("redshift", "SELECT NVL(nul, 0), NVL2(nul, 1, 2), DECODE(grp, 'x', 1, 0) FROM g"),
    ("snowflake", "SELECT IFF(i > 1, 'a', 'b'), DIV0(i, j), ZEROIFNULL(nul), COUNT_IF(i > 0) FROM g GROUP BY ALL"),
    ("redshift", "SELECT LISTAGG(s, ',') WITHIN GROUP (ORDER BY id), MEDIAN(i) FROM g"),
    ("snowflake", "SELECT grp, LISTAGG(s, ',') WITHIN GROUP (ORDER BY id DESC) FROM g GROUP BY grp"),
    ("redshift", "SELECT PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY i), APPROXIMATE COUNT(DISTINCT grp) FROM g"),
    ("snowflake", "SELECT id FROM g QUALIFY ROW_NUMBER() OVER (PARTITION BY grp ORDER BY i) = 1"),
    ("redshift", "SELECT i / j, ROUND(f, 1), TRUNC(n, 1), n::INT FROM g"),
    ("snowflake", "SELECT js:tags[0]::string, js:a.b::int FROM g"),
    ("redshift", "SELECT JSON_EXTRACT_PATH_TEXT(js, 'a', 'b'), SPLIT_PART(s, ',', 2), REGEXP_REPLACE(s, '[0-9]', '') FROM g"),
    ("redshift", "SELECT CONVERT_TIMEZONE('UTC', 'America/New_York', ts), RATIO_TO_REPORT(j) OVER () FROM g"),
    ("snowflake", "SELECT TRY_TO_NUMBER(s), STRTOK(s, ',', 1), SPLIT_PART(s, ',', 0) FROM g"),
]  # fmt: skip


def resolve(name: str) -> exp.Table | None:
    return exp.table_(
        exp.to_identifier("g", quoted=True), db=exp.to_identifier("dwsim_x", quoted=True)
    )


def current() -> list[dict[str, str]]:
    out = []
    for dialect, sql in QUERIES:
        entry = {"dialect": dialect, "sql": sql}
        for engine, engine_dialect in ENGINES.items():
            entry[engine] = prepare_query(sql, dialect, engine_dialect, resolve, ["g"], SCHEMA).sql
        out.append(entry)
    return out


def test_each_engine_receives_the_golden_sql() -> None:
    produced = current()
    if os.environ.get("DWSIM_UPDATE_GOLDEN") == "1":
        FILE.write_text(yaml.safe_dump(produced, sort_keys=False, width=1000), encoding="utf-8")
    expected = yaml.safe_load(FILE.read_text(encoding="utf-8"))
    for got, want in zip(produced, expected, strict=True):
        for engine in ENGINES:
            assert got[engine] == want[engine], f"{got['sql']} on {engine}"


@pytest.mark.parametrize("engine", list(ENGINES))
def test_pack_functions_called_are_the_engines_own(engine: str) -> None:
    from dwsim_shared.compat_packs import postgres, sqlite

    packs = {
        # dwsim_value_too_large: the SQLite warehouse adds it to each query's connection
        "sqlite": sqlite.PACK_FUNCTIONS | {"dwsim_value_too_large"},
        "redshift": postgres.PACK_FUNCTIONS,
        "snowflake": frozenset(),
    }
    for entry in current():
        called = set(re.findall(r"(dwsim_\w+)\(", entry[engine].lower()))
        assert called <= packs[engine], (entry[engine], called - packs[engine])
