"""The compat chain's shape: its two stages, and the date rewrites one per construct and engine
(pure functions, no engine)."""

from __future__ import annotations

import dataclasses

import pytest
from sqlglot import exp

from dwsim_query import compat
from dwsim_query.compat import registry
from dwsim_query.compat.cases import load_cases
from dwsim_query.compat.dates import BY_ENGINE, PASSES, arithmetic, truncation
from dwsim_query.compat.dates.common import Construct
from dwsim_query.compat.experiment_schema import schema_of
from dwsim_query.compat.nodes import Refusal
from dwsim_query.compat.registry import Rewrite, parsed_chain, parsed_rewrite
from dwsim_query.compat.semistructured import super_paths
from dwsim_query.pipeline import prepare_query
from dwsim_shared.errors import BadRequest
from dwsim_shared.warehouses import sqlite as _registers_strictsqlite  # noqa: F401

from .conftest import GOLDEN, golden_experiment

SCHEMA = {"t": {"js": "SUPER", "d": "DATE"}}


def _resolve(name: str) -> exp.Table | None:
    return exp.table_(exp.to_identifier(name, quoted=True)) if name == "t" else None


def _sqlite_sql(sql: str, dialect: str) -> str:
    return prepare_query(sql, dialect, "sqlite", _resolve, ["t"], SCHEMA).sql


@pytest.mark.parametrize("engine", compat.compat_engines())
def test_super_paths_run_in_the_parsed_stage_for_redshift_syntax_only(engine: str) -> None:
    for dialect in ("redshift", "postgres"):
        assert super_paths in [r.fn for r in parsed_chain(dialect, engine)]
    for dialect in ("snowflake", "sqlite"):
        assert super_paths not in [r.fn for r in parsed_chain(dialect, engine)]


def test_a_super_path_is_a_json_path_before_the_columns_are_qualified() -> None:
    # Qualified first, `js.a` would name a table `js`; the parsed stage makes it a path of t.js.
    for dialect in ("redshift", "postgres"):
        assert '"t"."js" -> \'$."a"."b"\'' in _sqlite_sql("SELECT js.a.b FROM t", dialect)
        assert '"x"."js" -> \'$."a"\'' in _sqlite_sql("SELECT x.js.a FROM t AS x", dialect)
    # A query written in SQLite's SQL is not read as SUPER navigation.
    assert "->" not in _sqlite_sql("SELECT js.a.b FROM t", "sqlite")


def test_a_parsed_rewrite_names_a_known_family_and_dialect() -> None:
    with pytest.raises(ValueError, match="unknown family"):
        parsed_rewrite("paths")
    with pytest.raises(ValueError, match="unknown source dialect or engine"):
        parsed_rewrite("semistructured", dialects=["mysql"])


def test_every_engine_has_its_date_rewrites() -> None:
    assert set(BY_ENGINE) == set(compat.compat_engines())
    for constructs in BY_ENGINE.values():
        assert len(set(constructs)) == len(constructs)


def _typed(node: exp.Expression, kind: str) -> exp.Expression:
    node.type = exp.DataType.build(kind)
    return node


def test_dateadd_on_sqlite_is_the_packs_function_with_the_sources_result_kind() -> None:
    day = _typed(exp.column("d"), "DATE")
    node = exp.DateAdd(this=day, expression=exp.Literal.number(1), unit=exp.Var(this="day"))
    # Snowflake keeps a date a date for date units; Redshift answers a timestamp.
    for source, kind in (("snowflake", "date"), ("redshift", "timestamp")):
        rewritten = arithmetic.dateadd_sqlite(source)(node.copy())
        assert rewritten.sql() == f"DWSIM_DATEADD('DAY', 1, d, '{kind}')"
    other = exp.column("x")
    assert arithmetic.dateadd_sqlite("redshift")(other) is other  # not its construct


def test_date_trunc_on_the_emulator_keeps_a_snowflake_date_a_date() -> None:
    node = exp.DateTrunc(this=_typed(exp.column("d"), "DATE"), unit=exp.Var(this="month"))
    assert truncation.date_trunc_emulator("snowflake")(node).sql(dialect="snowflake") == (
        "CAST(DATE_TRUNC('MONTH', d) AS DATE)"
    )


def test_a_unit_a_date_rewrite_cannot_carry_is_refused_by_name() -> None:
    node = exp.DateDiff(
        this=exp.column("a"), expression=exp.column("b"), unit=exp.Var(this="decade")
    )
    with pytest.raises(Refusal, match="DATEDIFF with unit decade"):
        arithmetic.datediff_postgres("redshift")(node)
    with pytest.raises(BadRequest, match="DATEDIFF"):
        _sqlite_sql("SELECT DATEDIFF(decade, d, d) FROM t", "redshift")


# Date constructs inside one another, on text, dates and timestamps.
NESTED = ["DATEADD(day, 1, s)", "DATEADD(month, 1, DATE_TRUNC('month', d)) < ts",
          "EXTRACT(year FROM DATEADD(day, 1, d))", "TO_CHAR(DATEADD(hour, 1, ts), 'YYYY-MM-DD')",
          "DATEDIFF(day, d, DATEADD(day, 3, s))", "LAST_DAY(d + INTERVAL '1 month')", "d - 2 = d",
          "CAST(CONVERT_TIMEZONE('UTC', 'Europe/Paris', ts) AS DATE)", "DATE_TRUNC('day', s)",
          "TO_DATE(s, 'YYYY-MM-DD') - d", "YEAR(TO_TIMESTAMP(s, 'YYYY-MM-DD HH24:MI'))"]  # fmt: skip


def _first_match_only(constructs: list[Construct], source: str) -> Rewrite:
    """The engine's date pass, failing where a rewrite changes a node one before it built."""
    fns = [(construct.__name__, construct(source)) for construct in constructs]

    def checked(node: exp.Expression) -> exp.Expression:
        answered = None
        for name, fn in fns:
            new = fn(node)
            if new is not node:
                assert answered is None, f"{name} rewrote what {answered} built: {node.sql()}"
                answered = name
            node = new
        return node

    return checked


@pytest.mark.parametrize("engine", sorted(BY_ENGINE))
def test_a_date_rewrite_never_rewrites_what_one_before_it_built(
    engine: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # So the order of an engine's list only says which rewrite a node meets first: each node is
    # answered by one rewrite at most (as by the per-engine ladders they were split from).
    checked = {PASSES[key]: _first_match_only(BY_ENGINE[key[1]], key[0]) for key in PASSES}
    monkeypatch.setattr(
        registry,
        "_REGISTRY",
        [dataclasses.replace(r, fn=checked.get(r.fn, r.fn)) for r in registry._REGISTRY],
    )
    experiment = golden_experiment("golden_chain")
    dialect = {"sqlite": "sqlite", "postgres": "postgres", "snowflake": "snowflake"}[engine]
    cases = [(c.sql, c.dialect) for c in load_cases(GOLDEN / "cases")
             if c.family in ("dates", "intervals", "units")]  # fmt: skip
    cases += [
        (f"SELECT {e} FROM g", source) for e in NESTED for source in ("redshift", "snowflake")
    ]
    translated = 0
    for sql, source in cases:
        try:
            prepare_query(sql, source, dialect, lambda n: exp.table_(n), ["g"],
                          schema_of(experiment))  # fmt: skip
            translated += 1
        except BadRequest:
            pass  # a refusal: refused before or by the pass, as the cases expect
    assert translated > 100
