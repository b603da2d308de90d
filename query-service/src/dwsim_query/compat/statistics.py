"""Snowflake's two-argument statistical aggregates on every engine: CORR, COVAR_POP,
COVAR_SAMP, the REGR_ family, MIN_BY and MAX_BY. SQLite calls the pack's aggregates
(`sqlite_statistics`), the Redshift mock PostgreSQL's own (MIN_BY / MAX_BY: the first of an
ordered ARRAY_AGG), the emulator DuckDB's (a NaN of a constant column answered as NULL)."""

from __future__ import annotations

from sqlglot import exp

from dwsim_query.compat.nodes import Refusal, call, cast
from dwsim_query.compat.registry import rewrite

PAIRS: dict[type[exp.Expression], str] = {
    exp.Corr: "CORR",
    exp.CovarPop: "COVAR_POP",
    exp.CovarSamp: "COVAR_SAMP",
    exp.RegrSlope: "REGR_SLOPE",
    exp.RegrIntercept: "REGR_INTERCEPT",
    exp.RegrR2: "REGR_R2",
    exp.RegrCount: "REGR_COUNT",
    exp.RegrAvgx: "REGR_AVGX",
    exp.RegrAvgy: "REGR_AVGY",
    exp.RegrSxx: "REGR_SXX",
    exp.RegrSyy: "REGR_SYY",
    exp.RegrSxy: "REGR_SXY",
}
BY: dict[type[exp.Expression], str] = {exp.ArgMin: "MIN_BY", exp.ArgMax: "MAX_BY"}
# DuckDB answers NaN where a variance in the denominator is 0 (Snowflake: NULL).
_NAN_TO_NULL = ("CORR", "REGR_SLOPE", "REGR_R2", "REGR_INTERCEPT")


def _name(node: exp.Expression) -> str | None:
    """The Snowflake name of a statistical aggregate (MIN_BY's count form refused by name)."""
    name = PAIRS.get(type(node)) or BY.get(type(node))
    if name is None:
        return None
    if node.args.get("count") is not None:
        raise Refusal(f"{name} with a maximum number of values", node, "the ARRAY form is not run")
    if isinstance(node.this, exp.Distinct):
        raise Refusal(f"{name}(DISTINCT ...)", node, "Snowflake does not take DISTINCT here")
    return name


@rewrite("aggregates", sources=["snowflake"], engines=["sqlite"])
def statistics_sqlite(node: exp.Expression) -> exp.Expression:
    name = _name(node)
    if name is None:
        return node
    built = call(f"dwsim_{name.lower()}", node.this, node.expression)
    built.type = exp.DataType.build("BIGINT" if name == "REGR_COUNT" else "DOUBLE")
    if name in BY:
        built.type = node.this.type
    return built


@rewrite("aggregates", sources=["snowflake"], engines=["postgres"])
def statistics_postgres(node: exp.Expression) -> exp.Expression:
    """PostgreSQL's CORR, COVAR_* and REGR_* are Snowflake's (NULL pairs skipped, NULL for a
    zero variance in a denominator); MIN_BY is `(ARRAY_AGG(v ORDER BY k) FILTER (WHERE k IS
    NOT NULL))[1]`."""
    name = _name(node)
    if name is None or name not in BY.values():
        if name is not None:
            node.set("this", cast(node.this, "DOUBLE PRECISION", "postgres"))
            node.set("expression", cast(node.expression, "DOUBLE PRECISION", "postgres"))
        return node
    key, value = node.expression, node.this
    if isinstance(value, exp.Null) or (isinstance(value, exp.Literal) and value.is_string):
        value = cast(value, "TEXT")  # PostgreSQL's ARRAY_AGG takes no value of unknown type
    order = exp.Ordered(this=key.copy(), desc=name == "MAX_BY", nulls_first=False)
    agg = exp.ArrayAgg(this=exp.Order(this=value, expressions=[order]))
    kept = exp.Filter(
        this=agg,
        expression=exp.Where(this=exp.Not(this=exp.Is(this=key.copy(), expression=exp.Null()))),
    )
    built = exp.Bracket(this=exp.Paren(this=kept), expressions=[exp.Literal.number(1)], offset=1)
    built.type = node.this.type
    return built


def _emulator_wrapped(outer: exp.Expression, name: str) -> exp.Expression:
    if name in _NAN_TO_NULL:
        return exp.Nullif(this=outer, expression=cast(exp.Literal.string("NaN"), "DOUBLE"))
    if name == "REGR_COUNT":  # DuckDB's UINTEGER, which the emulator cannot describe
        return cast(outer, "BIGINT")
    return outer


@rewrite("aggregates", sources=["snowflake"], engines=["snowflake"])
def statistics_emulator(node: exp.Expression) -> exp.Expression:
    """DuckDB's ARG_MIN skips rows whose value is NULL (Snowflake answers the NULL):
    ARG_MIN_NULL keeps them. A NaN from a zero variance is NULL, as in Snowflake."""
    if isinstance(node, exp.Window) and type(node.this) in PAIRS:
        return _emulator_wrapped(node, PAIRS[type(node.this)])
    name = _name(node)
    if name is None:
        return node
    if name in BY.values():
        function = "ARG_MIN_NULL" if name == "MIN_BY" else "ARG_MAX_NULL"
        built = call(function, node.this, node.expression)
        built.type = node.this.type
        return built
    return node if isinstance(node.parent, exp.Window) else _emulator_wrapped(node, name)
