"""Numeric functions' arguments on SQLite: both sources convert text that spells a number and
fail on any other text (Snowflake: "Numeric value 'abc' is not recognized"; Redshift: invalid
input syntax), where SQLite's type affinity reads 'abc' as 0 (ABS('abc') = 0) or answers NULL
(SQRT('abc'), SQUARE('abc')): a silent wrong answer. Found by tests/test_differential.py."""

from __future__ import annotations

from sqlglot import exp

from dwsim_query.compat.nodes import call, type_of
from dwsim_query.compat.registry import rewrite

# The numeric functions (sqlglot's nodes) whose arguments are numbers in both sources.
NUMERIC_FUNCTIONS = (
    exp.Abs, exp.Sqrt, exp.Cbrt, exp.Ln, exp.Log, exp.Pow, exp.Exp, exp.Ceil, exp.Floor,
    exp.Sign, exp.Acos, exp.Asin, exp.Atan, exp.Atan2, exp.Cos, exp.Sin, exp.Tan, exp.Cot,
    exp.Degrees, exp.Radians, exp.Sum, exp.Avg, exp.Stddev, exp.StddevPop, exp.StddevSamp,
    exp.Variance, exp.VariancePop, exp.Median,
)  # fmt: skip
# Functions both sources fail outside their domain (PostgreSQL: "cannot take logarithm of
# zero", "input is out of range"; the emulator likewise) where SQLite answers NULL.
DOMAINS: dict[type[exp.Expression], str] = {
    exp.Ln: "LN",
    exp.Log: "LOG",
    exp.Sqrt: "SQRT",
    exp.Acos: "ACOS",
    exp.Asin: "ASIN",
}
ARGUMENTS = ("this", "expression", "decimals")
# Text functions' number arguments (positions and lengths): SUBSTR('caterpillar', 'abc') fails
# in both sources; SQLite read 'abc' as 0.
POSITIONS: dict[type[exp.Expression], tuple[str, ...]] = {
    exp.Substring: ("start", "length"),
    exp.Left: ("expression",),
    exp.Right: ("expression",),
}


def _may_be_text(node: exp.Expression) -> bool:
    if isinstance(node, exp.Literal):
        return node.is_string
    return type_of(node) in exp.DataType.TEXT_TYPES


def _inside(node: exp.Expression, name: str) -> bool:
    """A number literal inside the function's domain needs no check."""
    if not isinstance(node, exp.Literal) or node.is_string:
        return False
    number = float(node.this)
    return (
        number > 0
        if name in ("LN", "LOG")
        else number >= 0
        if name == "SQRT"
        else -1 <= number <= 1
    )


@rewrite("numeric", engines=["sqlite"])
def numeric_arguments_are_numbers_sqlite(node: exp.Expression) -> exp.Expression:
    if type(node) in POSITIONS:
        for key in POSITIONS[type(node)]:
            argument = node.args.get(key)
            if isinstance(argument, exp.Expression) and _may_be_text(argument):
                node.set(key, call("dwsim_number_arg", argument))
        return node
    if not isinstance(node, NUMERIC_FUNCTIONS):
        return node
    for key in ARGUMENTS:
        argument = node.args.get(key)
        if isinstance(argument, exp.Expression) and _may_be_text(argument):
            node.set(key, call("dwsim_number_arg", argument))
        name = DOMAINS.get(type(node))
        if name and isinstance(argument, exp.Expression) and not _inside(argument, name):
            node.set(key, call("dwsim_in_domain", node.args[key], exp.Literal.string(name)))
    return node


# Calls whose arguments share one type: with a number among them, a text literal must spell a
# number in both sources (NVL(i, 'abc') fails there; SQLite answered 'abc').
SHARED_TYPE = (exp.Coalesce, exp.Nullif, exp.Greatest, exp.Least)


@rewrite("numeric", engines=["sqlite"])
def shared_type_with_a_number_sqlite(node: exp.Expression) -> exp.Expression:
    if not isinstance(node, SHARED_TYPE):
        return node
    arguments = [node.this, node.args.get("expression"), *node.expressions]
    present = [a for a in arguments if isinstance(a, exp.Expression)]
    if not any(type_of(a) in exp.DataType.NUMERIC_TYPES for a in present):
        return node
    for argument in present:
        if isinstance(argument, exp.Literal) and argument.is_string:
            argument.replace(call("dwsim_number_arg", argument.copy()))
    return node
