"""ARRAY_REPEAT(element, count) as ARRAY_CONSTRUCT of `count` copies of the element
(https://docs.snowflake.com/en/sql-reference/functions/array_repeat): the engines already build
ARRAY_CONSTRUCT's elements as Snowflake prints them. The count must be an integer literal (a
count of 0 or less is the empty array) and the element a value that cannot be NULL (a literal,
an array literal, ARRAY_CONSTRUCT, OBJECT_CONSTRUCT): how an ARRAY of repeated NULLs prints is
not shown, so another element is refused by name."""

from __future__ import annotations

from sqlglot import exp

from dwsim_query.compat.nodes import Refusal
from dwsim_query.compat.registry import ColumnTypes, parsed_rewrite

MOST = 1000  # copies written out in the statement
# Literals, array literals and ARRAY_CONSTRUCT (Array), OBJECT_CONSTRUCT (Struct).
NOT_NULL = (exp.Literal, exp.Boolean, exp.Array, exp.Struct)


def _count(node: exp.Expression, call: exp.Expression) -> int | None:
    negative = isinstance(node, exp.Neg)
    literal = node.this if negative else node
    if isinstance(literal, exp.Null):
        return None
    if not (isinstance(literal, exp.Literal) and literal.is_int):
        raise Refusal("ARRAY_REPEAT with a count that is not an integer literal", call)
    count = -int(literal.this) if negative else int(literal.this)
    if count > MOST:
        raise Refusal(f"ARRAY_REPEAT with a count above {MOST}", call)
    return count


def _never_null(element: exp.Expression) -> bool:
    if isinstance(element, exp.Neg):
        return _never_null(element.this)
    return isinstance(element, NOT_NULL)


@parsed_rewrite("semistructured", dialects=["snowflake"])
def array_repeat(tree: exp.Expression, _schema: ColumnTypes) -> exp.Expression:
    for node in list(tree.find_all(exp.Anonymous)):
        if node.name.upper() != "ARRAY_REPEAT":
            continue
        if len(node.expressions) != 2:
            raise Refusal(f"ARRAY_REPEAT with {len(node.expressions)} arguments", node)
        element, counted = node.expressions
        count = _count(counted, node)
        if count is None:  # "If count is NULL, the function returns NULL"
            built: exp.Expression = exp.ToArray(this=exp.Null())
        else:
            if not _never_null(element):
                raise Refusal("ARRAY_REPEAT of a value that may be NULL", node,
                              "how an ARRAY of repeated NULLs prints is not documented")  # fmt: skip
            copies = [element.copy() for _ in range(max(count, 0))]
            built = exp.Array(expressions=copies)  # ARRAY_CONSTRUCT as parsed
        if node is tree:
            return built
        node.replace(built)
    return tree
