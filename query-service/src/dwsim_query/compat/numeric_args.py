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


def _same(one: exp.Expression | None, other: exp.Expression | None) -> bool:
    """The same SQL (sqlglot's equality also weighs the types the annotator gave)."""
    if one is None or other is None:
        return one is other
    return type(one) is type(other) and one.sql() == other.sql()


def _null_test(node: exp.Expression | None) -> exp.Expression | None:
    """X of `X IS NULL`."""
    if isinstance(node, exp.Is) and isinstance(node.expression, exp.Null):
        return node.this
    return None


def _zero_test(node: exp.Expression | None) -> exp.Expression | None:
    """X of `X = 0`."""
    zero = exp.Literal.number(0)
    if isinstance(node, exp.EQ) and node.expression == zero:
        return node.this
    return None


def _zero_functions_operands(node: exp.If) -> list[exp.Expression]:
    """The arguments of ZEROIFNULL / NULLIFZERO / DIV0 / DIV0NULL, which sqlglot parses straight
    into IFF (`IFF(x IS NULL, 0, x)`, `IFF(x = 0, NULL, x)`, `IFF(d = 0 AND NOT x IS NULL, 0,
    x / d)`, `IFF(d = 0 OR d IS NULL, 0, x / d)`); [] for any other IFF."""
    test, true, false = node.this, node.args.get("true"), node.args.get("false")
    zero = exp.Literal.number(0)
    if false is None:
        return []
    if true == zero and _same(_null_test(test), false):  # ZEROIFNULL
        return [false]
    if isinstance(true, exp.Null) and _same(_zero_test(test), false):  # NULLIFZERO
        return [false]
    if true != zero or not isinstance(false, exp.Div):
        return []
    x, d = false.this, false.expression
    div0 = (
        isinstance(test, exp.And)
        and _same(_zero_test(test.this), d)
        and isinstance(test.expression, exp.Not)
        and _same(_null_test(test.expression.this), x)
    )
    div0null = (
        isinstance(test, exp.Or)
        and _same(_zero_test(test.this), d)
        and _same(_null_test(test.expression), d)
    )
    return [x, d] if div0 or div0null else []


# In the conditionals family (before the numeric family rewrites the division these calls hold).
@rewrite("conditionals", sources=["snowflake"], engines=["sqlite"])
def zero_functions_arguments_are_numbers_sqlite(node: exp.Expression) -> exp.Expression:
    """ZEROIFNULL, NULLIFZERO, DIV0 and DIV0NULL take numbers: text that does not spell one
    fails in Snowflake ("Numeric value 'abc' is not recognized"), where SQLite answered
    (ZEROIFNULL('abc') = 'abc', DIV0('abc', 0) = 0)."""
    if not isinstance(node, exp.If):
        return node
    operands = [o for o in _zero_functions_operands(node) if _may_be_text(o)]
    if not operands:
        return node
    wanted = [o.copy() for o in operands]
    # sqlglot's parser puts one argument node in several places: copies, so each is replaced.
    for key in ("this", "true", "false"):
        node.set(key, node.args[key].copy())
    found = [
        f
        for f in node.find_all(exp.Expression)
        if f is not node and any(_same(f, w) for w in wanted)
    ]
    for argument in found:
        argument.replace(call("dwsim_number_arg", argument.copy()))
    # An argument the test does not read (DIV0NULL('abc', NULL) answers 0 without the
    # division) is converted first all the same, as Snowflake converts every argument.
    test = node.this
    for want in wanted:
        if not any(_same(f, want) for f in test.find_all(exp.Expression)):
            checked = call("dwsim_number_arg", want.copy())
            always = exp.Or(
                this=exp.Is(this=checked, expression=exp.Null()),
                expression=exp.Not(this=exp.Is(this=checked.copy(), expression=exp.Null())),
            )
            test = exp.And(this=exp.Paren(this=always), expression=exp.Paren(this=test))
    node.set("this", test)
    return node
