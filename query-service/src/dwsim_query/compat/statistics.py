"""Snowflake's two-argument statistical aggregates on every engine: CORR, COVAR_POP,
COVAR_SAMP, the REGR_ family, MIN_BY and MAX_BY. SQLite calls the pack's aggregates
(`sqlite_statistics`), the Redshift mock PostgreSQL's own (MIN_BY / MAX_BY: the first of an
ordered ARRAY_AGG), the emulator DuckDB's (a NaN of a constant column answered as NULL)."""

from __future__ import annotations

from collections.abc import Callable

import sqlglot
from sqlglot import exp

from dwsim_query.compat.nodes import Refusal, call, cast, is_integer, type_of
from dwsim_query.compat.registry import Rewrite, rewrite
from dwsim_query.results import decimal_scale

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


BITS: dict[type[exp.Expression], str] = {
    exp.BitwiseAndAgg: "BITAND_AGG",
    exp.BitwiseOrAgg: "BITOR_AGG",
    exp.BitwiseXorAgg: "BITXOR_AGG",
}
_BIT_CALLS = {
    "sqlite": {
        "BITAND_AGG": "dwsim_bit_and",
        "BITOR_AGG": "dwsim_bit_or",
        "BITXOR_AGG": "dwsim_bit_xor",
    },
    "postgres": {"BITAND_AGG": "BIT_AND", "BITOR_AGG": "BIT_OR", "BITXOR_AGG": "BIT_XOR"},
    "snowflake": {"BITAND_AGG": "BITAND_AGG", "BITOR_AGG": "BITOR_AGG", "BITXOR_AGG": "BITXOR_AGG"},
}


def _bit_aggregate(node: exp.Expression, engine: str) -> exp.Expression:
    """BITAND_AGG / BITOR_AGG / BITXOR_AGG of integers (NULLs skipped, NULL of none). Snowflake
    rounds other numbers first; that rounding is not run here: refused by name."""
    name = BITS.get(type(node))
    if name is None:
        return node
    value = node.this
    if isinstance(value, exp.Distinct):
        if name == "BITXOR_AGG" or len(value.expressions) != 1:
            raise Refusal(f"{name}(DISTINCT ...)", node)
        value = value.expressions[0]  # AND and OR of a value twice: the value once
    if not is_integer(value):
        raise Refusal(f"{name} of a value that is not an integer", node, "Snowflake rounds it")
    built = call(_BIT_CALLS[engine][name], value)
    built.type = value.type
    return built


def _boolxor_aggregate(node: exp.Expression) -> exp.Expression:
    """BOOLXOR_AGG: TRUE when exactly one non-NULL value is true (a number: not 0), NULL when
    there are none."""
    if not isinstance(node, exp.BoolxorAgg):
        return node
    value = node.this
    if type_of(value) in exp.DataType.TEXT_TYPES | exp.DataType.TEMPORAL_TYPES:
        raise Refusal("BOOLXOR_AGG of a value that is not a BOOLEAN or a number", node)
    if type_of(value) in exp.DataType.NUMERIC_TYPES:
        value = exp.NEQ(this=value, expression=exp.Literal.number(0))
    trues = exp.Count(this=exp.Case(ifs=[exp.If(this=value, true=exp.Literal.number(1))]))
    one = exp.EQ(this=trues, expression=exp.Literal.number(1))
    none = exp.EQ(this=exp.Count(this=node.this.copy()), expression=exp.Literal.number(0))
    built = exp.Case(ifs=[exp.If(this=none, true=exp.Null())], default=one)
    built.type = exp.DataType.build("BOOLEAN")
    return built


def _bits_for(engine: str) -> Rewrite:
    def fn(node: exp.Expression) -> exp.Expression:
        return _boolxor_aggregate(_bit_aggregate(node, engine))

    return fn


for _engine in ("sqlite", "postgres", "snowflake"):
    rewrite("aggregates", sources=["snowflake"], engines=[_engine])(_bits_for(_engine))


@rewrite("conditionals", sources=["snowflake"], first=True)
def greatest_ignore_nulls(node: exp.Expression) -> exp.Expression:
    """GREATEST_IGNORE_NULLS / LEAST_IGNORE_NULLS: each argument replaced by the first non-NULL
    one from it on (round the list), so the plain GREATEST sees a NULL only when all are."""
    if not isinstance(node, exp.Greatest | exp.Least) or not node.args.get("ignore_nulls"):
        return node
    values = [node.this, *node.expressions]
    if len(values) == 1:
        return values[0]
    rotated = [
        exp.Coalesce(this=v.copy(), expressions=[o.copy() for o in values[i + 1 :] + values[:i]])
        for i, v in enumerate(values)
    ]
    return type(node)(this=rotated[0], expressions=rotated[1:])


@rewrite("aggregates", sources=["snowflake"], engines=["sqlite"])
def moments_sqlite(node: exp.Expression) -> exp.Expression:
    """KURTOSIS / SKEW: the pack's aggregates (numbers only; no ordered window)."""
    if isinstance(node, exp.Kurtosis | exp.Skewness):
        _checked_moment(node)
        name = "dwsim_kurtosis" if isinstance(node, exp.Kurtosis) else "dwsim_skew"
        built = call(name, node.this)
        built.type = exp.DataType.build("DOUBLE")
        return built
    return node


# KURTOSIS / SKEW on the Redshift mock: the bias-corrected formulas of the sqlite pack, from
# the count and the sums of the first four powers taken as NUMERIC (exact: no cancellation),
# the central moments scaled by powers of n (n·M2, n²·M3, n³·M4) so that nothing is divided
# before the last step.
_MOMENTS: dict[type, tuple[int, str]] = {
    exp.Skewness: (
        3,
        "CAST(n AS DOUBLE PRECISION) / ((n - 1) * (n - 2)) "
        "* (CAST(n * n * s3 - 3 * n * s1 * s2 + 2 * s1 * s1 * s1 AS DOUBLE PRECISION) / (n * n)) "
        "/ POWER(CAST(n * s2 - s1 * s1 AS DOUBLE PRECISION) / (n * (n - 1)), 1.5)",
    ),
    exp.Kurtosis: (
        4,
        "CAST(n AS DOUBLE PRECISION) * (n + 1) / ((n - 1) * (n - 2) * (n - 3)) "
        "* (CAST(n * n * n * s4 - 4 * n * n * s1 * s3 + 6 * n * s1 * s1 * s2 "
        "- 3 * s1 * s1 * s1 * s1 AS DOUBLE PRECISION) / (CAST(n AS DOUBLE PRECISION) * n * n)) "
        "/ POWER(CAST(n * s2 - s1 * s1 AS DOUBLE PRECISION) / (n * (n - 1)), 2) "
        "- 3.0 * (n - 1) * (n - 1) / ((n - 2) * (n - 3))",
    ),
}


_MOMENT_NAMES: dict[type, str] = {exp.Skewness: "SKEW", exp.Kurtosis: "KURTOSIS"}
_FLOATS = frozenset({exp.DataType.Type.FLOAT, exp.DataType.Type.DOUBLE})


def _checked_moment(node: exp.Expression) -> None:
    """Snowflake takes numbers only, and no ORDER BY in the window (functions/kurtosis)."""
    name = _MOMENT_NAMES[type(node)]
    if type_of(node.this) in exp.DataType.TEXT_TYPES | exp.DataType.TEMPORAL_TYPES:
        raise Refusal(f"{name} of a value that is not a number", node)
    window = node.parent
    if isinstance(window, exp.Window) and window.args.get("order") is not None:
        raise Refusal(f"{name} over an ordered window", window, "Snowflake takes no ORDER BY here")


def _moment_postgres(node: exp.Expression, window: exp.Window | None) -> exp.Expression:
    _checked_moment(node)
    least, formula = _MOMENTS[type(node)]
    value = node.this
    if type_of(value) in _FLOATS:
        # PostgreSQL turns a DOUBLE into NUMERIC with 15 digits (1e15 + 1 became 1e15); its
        # text is the shortest that reads back as the same DOUBLE.
        value = exp.cast(value.copy(), exp.DataType.build("TEXT"))
    number = exp.cast(value.copy(), exp.DataType.build("NUMERIC"))

    def over(aggregate: exp.Expression) -> exp.Expression:
        if window is None:
            return aggregate
        windowed = window.copy()
        windowed.set("this", aggregate)
        return windowed

    def power(k: int) -> exp.Expression:
        term: exp.Expression = number.copy()
        for _ in range(k - 1):
            term = exp.Mul(this=term, expression=number.copy())
        return over(exp.Sum(this=term))

    parts = {"n": over(exp.Count(this=value.copy()))} | {f"s{k}": power(k) for k in range(1, 5)}
    tree = sqlglot.parse_one(formula, read="postgres")
    for column in list(tree.find_all(exp.Column)):
        if column.name in parts and not column.table:
            column.replace(exp.Paren(this=parts[column.name].copy()))
    n = exp.Paren(this=parts["n"].copy())
    spread = exp.Paren(this=exp.Sub(
        this=exp.Mul(this=n.copy(), expression=exp.Paren(this=parts["s2"].copy())),
        expression=exp.Mul(this=exp.Paren(this=parts["s1"].copy()),
                           expression=exp.Paren(this=parts["s1"].copy())),
    ))  # fmt: skip
    too_few = exp.LT(this=n, expression=exp.Literal.number(least))
    no_spread = exp.EQ(this=spread, expression=exp.Literal.number(0))
    built = exp.Case(ifs=[exp.If(this=exp.Or(this=too_few, expression=no_spread), true=exp.Null())],
                     default=tree)  # fmt: skip
    return cast(built, "DOUBLE")


def _on_moment(
    node: exp.Expression,
    build: Callable[[exp.Expression, exp.Window | None], exp.Expression],
) -> exp.Expression:
    """`build` of a KURTOSIS / SKEW call (with its window, when it is one's function)."""
    moment = node.this if isinstance(node, exp.Window) else None
    if isinstance(moment, exp.Expression) and type(moment) in _MOMENTS:
        assert isinstance(node, exp.Window)
        return build(moment, node)
    if isinstance(node, tuple(_MOMENTS)) and not isinstance(node.parent, exp.Window):
        return build(node, None)
    return node


@rewrite("aggregates", sources=["snowflake"], engines=["postgres"])
def moments_postgres(node: exp.Expression) -> exp.Expression:
    """KURTOSIS / SKEW (also over a window) from the count and the power sums."""
    return _on_moment(node, _moment_postgres)


# KURTOSIS / SKEW on the emulator: DuckDB's own sum the powers of the raw values in DOUBLE, so
# a large common offset cancels most digits (1e15 + 1, 2, 4, 10 answered 2.0119 for 2.0308).
# Here the non-NULL values are gathered in a list and shifted twice before any power is taken:
# by the group's first value in exact arithmetic (integers and decimals as NUMBER(38, s)),
# then by the mean of those differences in DOUBLE; the power sums of the centred values go
# into the formulas above, whose value does not change with the shift.
_SUMS = ("n", "s1", "s2", "s3", "s4")


def _bound(
    value: exp.Expression, body: Callable[[exp.Expression], exp.Expression], name: str
) -> exp.Expression:
    """`body(x)` with `x` computed once: list_extract(list_transform([value], x -> body), 1)."""
    x = exp.to_identifier(name)
    mapped = call("list_transform", call("list_value", value),
                  exp.Lambda(this=body(exp.column(x.copy())), expressions=[x]))  # fmt: skip
    return call("list_extract", mapped, exp.Literal.number(1))


def _each(
    values: exp.Expression, body: Callable[[exp.Expression], exp.Expression], name: str
) -> exp.Expression:
    x = exp.to_identifier(name)
    return call("list_transform", values,
                exp.Lambda(this=body(exp.column(x.copy())), expressions=[x]))  # fmt: skip


def _moment_emulator(node: exp.Expression, window: exp.Window | None) -> exp.Expression:
    _checked_moment(node)
    least, formula = _MOMENTS[type(node)]
    value = node.this
    kind = value.type if isinstance(value.type, exp.DataType) else None
    scale = decimal_scale(kind)
    exact = is_integer(value) or scale is not None
    element = cast(value.copy(), f"NUMBER(38, {scale or 0})" if exact else "DOUBLE", "snowflake")
    gathered: exp.Expression = call("LIST", element)
    if window is not None:
        gathered = window.copy()
        gathered.set("this", call("LIST", element))
    v = exp.to_identifier("dwsim_v")
    kept = call("list_filter", gathered, exp.Lambda(
        this=exp.Not(this=exp.Is(this=exp.column(v.copy()), expression=exp.Null())),
        expressions=[v],
    ))  # fmt: skip

    def moments(centred: exp.Expression) -> exp.Expression:
        def power(k: int) -> exp.Expression:
            def term(x: exp.Expression) -> exp.Expression:
                out: exp.Expression = x
                for _ in range(k - 1):
                    out = exp.Mul(this=out, expression=x.copy())
                return out

            return call("list_sum", _each(centred.copy(), term, "dwsim_p"))

        def of_sums(sums: exp.Expression) -> exp.Expression:
            tree: exp.Expression = exp.maybe_parse(formula, dialect="postgres")
            for column in list(tree.find_all(exp.Column)):
                if column.name in _SUMS and not column.table:
                    index = exp.Literal.number(_SUMS.index(column.name) + 1)
                    column.replace(call("list_extract", sums.copy(), index))
            return tree

        # The emulator's LEN is a string's length: list_count counts the (non-NULL) elements.
        sums = call("list_value", cast(call("list_count", centred.copy()), "DOUBLE", "snowflake"),
                    *(power(k) for k in range(1, 5)))  # fmt: skip
        return _bound(sums, of_sums, "dwsim_s")

    def of_list(values: exp.Expression) -> exp.Expression:
        first = call("list_extract", values.copy(), exp.Literal.number(1))

        def differences(x: exp.Expression) -> exp.Expression:
            return cast(exp.Sub(this=x, expression=first.copy()), "DOUBLE", "snowflake")

        def centred(d: exp.Expression) -> exp.Expression:
            return _bound(
                call("list_avg", d.copy()),
                lambda mean: _each(d.copy(), lambda x: exp.Sub(this=x, expression=mean), "dwsim_c"),
                "dwsim_m",
            )

        spread = exp.or_(
            exp.LT(this=call("list_count", values.copy()), expression=exp.Literal.number(least)),
            exp.EQ(this=call("list_min", values.copy()), expression=call("list_max", values.copy())),
        )  # fmt: skip
        value_of = _bound(_each(values.copy(), differences, "dwsim_e"),
                          lambda d: _bound(centred(d), moments, "dwsim_d"), "dwsim_f")  # fmt: skip
        return exp.Case(ifs=[exp.If(this=spread, true=exp.Null())], default=value_of)

    return cast(_bound(kept, of_list, "dwsim_l"), "DOUBLE", "snowflake")


@rewrite("aggregates", sources=["snowflake"], engines=["snowflake"])
def moments_emulator(node: exp.Expression) -> exp.Expression:
    """KURTOSIS / SKEW (also over a partition window) from centred power sums."""
    return _on_moment(node, _moment_emulator)
