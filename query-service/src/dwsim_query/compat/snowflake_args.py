"""Snowflake's LEFT / RIGHT lengths and the bitwise functions' arguments where the engines
answered otherwise (h16diff, found by tests/test_differential.py from the pages' examples
`RIGHT(NULL, 1)` and `BITXOR(NULL, 1)`):

- a NULL argument answers NULL (the emulator answered '' for `RIGHT(NULL, -1)`: its length is
  made 0 first, as Snowflake's negative length answers '' and the mock already does);
- a length that is not an integer, or is past the 32-bit integers the engines' LEFT / RIGHT
  take: Snowflake's reference does not say (the right / left pages: "length: an integer"); a
  literal one is refused by name, a run-time one fails by name on every engine (SQLite had
  answered, the mock and the emulator failed with their words, or answered NULL);
- a text literal that spells no number as a bitwise argument: Snowflake fails to convert it
  when the statement is compiled, whatever the other argument; it is refused by name on every
  engine (the emulator answered NULL beside a NULL)."""

from __future__ import annotations

from sqlglot import exp

from dwsim_query.compat.nodes import Refusal, cast, failure, type_of
from dwsim_query.compat.registry import Rewrite, rewrite

T = exp.DataType.Type
LARGEST_LENGTH = 2_147_483_647
INTEGER_TYPES = (T.INT, T.SMALLINT, T.TINYINT)
NUMBER_TYPES = exp.DataType.NUMERIC_TYPES
UNDOCUMENTED = "Snowflake's answer is not documented"
BITWISE_NAMES: dict[type[exp.Expression], str] = {
    exp.BitwiseAnd: "BITAND",
    exp.BitwiseOr: "BITOR",
    exp.BitwiseXor: "BITXOR",
    exp.BitwiseLeftShift: "BITSHIFTLEFT",
    exp.BitwiseRightShift: "BITSHIFTRIGHT",
}
_CHECKED = "dwsim_length_checked"


def _number_literal(node: exp.Expression) -> float | None:
    """The value of a number literal (a negative one too), else None."""
    bare = node.unnest()
    if isinstance(bare, exp.Neg):
        inner = _number_literal(bare.this)
        return None if inner is None else -inner
    if isinstance(bare, exp.Literal) and not bare.is_string:
        return float(bare.this)
    return None


def _spells_a_number(value: str) -> bool:
    try:
        number = float(value.strip())
    except ValueError:
        return False
    return number == number and abs(number) != float("inf")


def _name(node: exp.Left | exp.Right) -> str:
    return "LEFT" if isinstance(node, exp.Left) else "RIGHT"


def _checked_length(engine: str) -> Rewrite:
    def fn(node: exp.Expression) -> exp.Expression:
        if not isinstance(node, exp.Left | exp.Right) or node.meta.get(_CHECKED):
            return node
        node.meta[_CHECKED] = True
        name, length = _name(node), node.expression
        value = _number_literal(length)
        if value is not None:
            if value != int(value):
                raise Refusal(f"{name} with a length that is not an integer", node, UNDOCUMENTED)
            if abs(value) > LARGEST_LENGTH:
                raise Refusal(f"{name} with a length past {LARGEST_LENGTH}", node, UNDOCUMENTED)
            if value < 0 and engine == "snowflake":  # Snowflake: '' (the emulator: '' of NULL)
                node.set("expression", exp.Literal.number(0))
            return node
        kind = type_of(length)
        if kind in NUMBER_TYPES and kind not in INTEGER_TYPES:
            wrong = exp.Or(
                this=exp.NEQ(this=length.copy(), expression=exp.Floor(this=length.copy())),
                expression=exp.GT(
                    this=exp.Abs(this=length.copy()),
                    expression=exp.Literal.number(LARGEST_LENGTH),
                ),
            )
            said = f"{name} with a length that is not an integer up to {LARGEST_LENGTH}"
            fails: exp.Expression = failure(engine, said)
            if engine == "postgres":  # the pack's dwsim_fail is a BIGINT
                fails = cast(fails, "INT")
            checked = exp.Case(
                ifs=[exp.If(this=wrong, true=fails)], default=cast(length.copy(), "INT")
            )
            node.set("expression", checked)
            length = checked
        if engine == "snowflake" and not isinstance(length.unnest(), exp.Null):
            negative = exp.LT(this=length.copy(), expression=exp.Literal.number(0))
            node.set(
                "expression",
                exp.If(this=negative, true=exp.Literal.number(0), false=length.copy()),
            )
        return node

    return fn


def bitwise_text_literals(node: exp.Expression) -> exp.Expression:
    name = BITWISE_NAMES.get(type(node))
    if name is None:
        return node
    for argument in (node.this, node.expression):
        bare = argument.unnest() if isinstance(argument, exp.Expression) else None
        if isinstance(bare, exp.Literal) and bare.is_string and not _spells_a_number(bare.this):
            raise Refusal(f"{name} of text that is not a number", node, UNDOCUMENTED)
    return node


for _engine in ("sqlite", "postgres", "snowflake"):
    rewrite("numeric", sources=["snowflake"], engines=[_engine], first=True)(
        _checked_length(_engine)
    )
rewrite("conditionals", sources=["snowflake"], first=True)(bitwise_text_literals)
