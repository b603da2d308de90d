"""Redshift's meaning where the reference pages' examples and prose found an engine answering
otherwise (h16auditrs): SPLIT_PART, SUBSTRING and LEFT/RIGHT arguments the pages rule out,
LENGTH of a CHAR, NVL2's result type, FIRST_VALUE/LAST_VALUE without a frame, and the
arguments SPLIT_PART and REVERSE read as text."""

from __future__ import annotations

from sqlglot import exp

from dwsim_query.compat.nodes import Refusal, cast, failure, text, type_of
from dwsim_query.compat.registry import Rewrite, rewrite

T = exp.DataType.Type
CHAR_TYPES = frozenset({T.CHAR, T.NCHAR})
SPLIT_PART_POSITION = "SPLIT_PART needs a position greater than 0"
NEGATIVE_SUBSTRING = "negative substring length not allowed"  # the mock's (PostgreSQL's) words
NEGATIVE_LEFT_RIGHT = "LEFT or RIGHT with a negative length"
VALUE_FUNCTIONS = {
    exp.FirstValue: "FIRST_VALUE",
    exp.LastValue: "LAST_VALUE",
    exp.NthValue: "NTH_VALUE",
}


def _integer_literal(node: exp.Expression) -> int | None:
    bare = node.unnest()
    if isinstance(bare, exp.Neg):
        inner = _integer_literal(bare.this)
        return None if inner is None else -inner
    if isinstance(bare, exp.Literal) and bare.is_int:
        return int(bare.this)
    return None


def _failing_when(
    condition: exp.Expression, node: exp.Expression, engine: str, message: str
) -> exp.Expression:
    """`node`, failing the query with `message` on the rows where `condition` holds."""
    fails: exp.Expression = failure(engine, message)
    if engine == "postgres":  # the pack's dwsim_fail is a BIGINT: CASE needs one type
        fails = cast(fails, "VARCHAR")
    guarded = exp.Case(ifs=[exp.If(this=condition, true=fails)], default=node)
    guarded.type = node.type
    return guarded


def _checked_arguments(engine: str) -> Rewrite:
    def fn(node: exp.Expression) -> exp.Expression:
        """SPLIT_PART's position "must be an integer greater than 0" (SPLIT_PART page): the
        engines answered part 0 as '' or part 1 and counted a negative one from the end.
        SUBSTRING's length "can't be negative" (r_SUBSTRING): SQLite and the emulator answered
        text. LEFT/RIGHT of a negative length: undocumented, and the engines answered three ways
        ('', all but the last n, text)."""
        if isinstance(node, exp.SplitPart):
            position = node.args["part_index"]
            value = _integer_literal(position)
            if value is not None and value > 0:
                return node
            below_one = exp.LT(this=position.copy(), expression=exp.Literal.number(1))
            return _failing_when(below_one, node, engine, SPLIT_PART_POSITION)
        if isinstance(node, exp.Substring) and engine != "postgres":  # the mock fails it itself
            length = node.args.get("length")
            if length is None or ((value := _integer_literal(length)) is not None and value >= 0):
                return node
            negative = exp.LT(this=length.copy(), expression=exp.Literal.number(0))
            return _failing_when(negative, node, engine, NEGATIVE_SUBSTRING)
        if isinstance(node, exp.Left | exp.Right):
            count = node.expression
            value = _integer_literal(count)
            if value is not None:
                if value < 0:
                    raise Refusal(NEGATIVE_LEFT_RIGHT, node, "Redshift's answer is not documented")
                return node
            negative = exp.LT(this=count.copy(), expression=exp.Literal.number(0))
            return _failing_when(
                negative,
                node,
                engine,
                f"{NEGATIVE_LEFT_RIGHT}: Redshift's answer is not documented",
            )
        return node

    return fn


for _engine in ("sqlite", "postgres", "snowflake"):
    rewrite("numeric", sources=["redshift"], engines=[_engine], first=True)(
        _checked_arguments(_engine)
    )


@rewrite("strings", sources=["redshift"], engines=["sqlite", "snowflake"], first=True)
def length_of_char(node: exp.Expression) -> exp.Expression:
    """LENGTH / LEN / CHARACTER_LENGTH of a CHAR does not count its trailing blanks (r_LEN's
    `LEN(CAST('cat   ' AS CHAR(6)))` is 3); SQLite and the emulator counted the padding."""
    if isinstance(node, exp.Length) and type_of(node.this) in CHAR_TYPES:
        node.set("this", exp.Trim(this=node.this, position="TRAILING", expression=text(" ")))
    return node


@rewrite("strings", sources=["redshift"], engines=["postgres", "snowflake"], first=True)
def text_arguments(node: exp.Expression) -> exp.Expression:
    """SPLIT_PART and REVERSE read a number, a date or a timestamp as its text, as Redshift
    converts it implicitly (SPLIT_PART page: `split_part(listtime, '-', 1)` of a TIMESTAMP);
    the mock and the emulator found no such function."""
    if isinstance(node, exp.SplitPart | exp.Reverse):
        kind = type_of(node.this)
        if kind is not None and kind not in exp.DataType.TEXT_TYPES and kind != T.NULL:
            node.set("this", cast(node.this.copy(), "VARCHAR"))
    return node


@rewrite("conditionals", sources=["redshift"], first=True)
def nvl2_result_type(node: exp.Expression) -> exp.Expression:
    """NVL2 answers the type of its not-null value where the two values are text and a number
    (r_NVL2: `nvl2(column1, '2345', 1234)` is the VARCHAR '1234' when column1 is NULL); the
    engines chose the number."""
    if not isinstance(node, exp.Nvl2):
        return node
    chosen, other = node.args.get("true"), node.args.get("false")
    if chosen is None or other is None or isinstance(other.unnest(), exp.Null):
        return node
    text_value = (isinstance(chosen, exp.Literal) and chosen.is_string) or type_of(
        chosen
    ) in exp.DataType.TEXT_TYPES
    other_kind = type_of(other)
    other_text = (isinstance(other, exp.Literal) and other.is_string) or (
        other_kind in exp.DataType.TEXT_TYPES
    )
    if text_value and not other_text and other_kind in exp.DataType.NUMERIC_TYPES:
        node.set("true", cast(chosen.copy(), "VARCHAR"))
        node.set("false", cast(other.copy(), "VARCHAR"))
        node.type = exp.DataType.build("VARCHAR")
    return node


@rewrite("windows", sources=["redshift"], first=True)
def value_functions_need_a_frame(node: exp.Expression) -> exp.Expression:
    """FIRST_VALUE, LAST_VALUE and NTH_VALUE with an ORDER BY take a frame clause in Redshift
    (r_WF_first_value's syntax: `ORDER BY order_list frame_clause`); without one, the mock
    answered PostgreSQL's running frame and the emulator the whole partition."""
    if not isinstance(node, exp.Window) or node.args.get("spec") is not None:
        return node
    function = node.this
    if isinstance(function, exp.IgnoreNulls | exp.RespectNulls):
        function = function.this
    name = VALUE_FUNCTIONS.get(type(function))
    if name is not None and node.args.get("order") is not None:
        raise Refusal(f"{name} with an ORDER BY and no frame clause", node)
    return node


PERCENTILES = {exp.PercentileCont: "PERCENTILE_CONT", exp.PercentileDisc: "PERCENTILE_DISC"}


@rewrite("numeric", sources=["redshift"], engines=["sqlite", "postgres"], first=True)
def percentile_windows(node: exp.Expression) -> exp.Expression:
    """PERCENTILE_CONT / PERCENTILE_DISC / MEDIAN ... OVER (r_WF_PERCENTILE_CONT) are refused by
    name on SQLite and the mock, which failed them with the engine's words (PostgreSQL has no
    ordered-set aggregate as a window function); the emulator answers them."""
    if not isinstance(node, exp.Window):
        return node
    function = node.this
    if isinstance(function, exp.Median):
        raise Refusal("MEDIAN as a window function", node)
    if isinstance(function, exp.WithinGroup) and type(function.this) in PERCENTILES:
        raise Refusal(f"{PERCENTILES[type(function.this)]} as a window function", node)
    return node
