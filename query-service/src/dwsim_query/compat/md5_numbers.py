"""MD5_NUMBER_LOWER64 / MD5_NUMBER_UPPER64: the MD5 digest read as a big-endian 128-bit number,
its lower or upper 64 bits as an unsigned integer
(https://docs.snowflake.com/en/sql-reference/functions/md5_number_lower64), computed from the
engine's own MD5 hex digest (the strings family, after this one, writes MD5 for each engine)."""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from dwsim_query.compat.nodes import Refusal, call, is_text, text, type_of
from dwsim_query.compat.registry import ColumnTypes, parsed_rewrite, rewrite

T = exp.DataType.Type
# Where each function's 16 hex digits start in the 32 of the digest.
NAMES = {"MD5_NUMBER_LOWER64": 17, "MD5_NUMBER_UPPER64": 1}
RESULT = "DECIMAL(20, 0)"  # up to 2^64 - 1


def _name(node: exp.Expr) -> str | None:
    if isinstance(node, exp.MD5NumberLower64):
        return "MD5_NUMBER_LOWER64"
    if isinstance(node, exp.MD5NumberUpper64):
        return "MD5_NUMBER_UPPER64"
    if isinstance(node, exp.Anonymous) and node.name.upper() in NAMES:
        return node.name.upper()
    return None


def _argument(node: exp.Expression) -> exp.Expression:
    return node.expressions[0] if isinstance(node, exp.Anonymous) else node.this


@parsed_rewrite("numeric", dialects=["snowflake"])
def typed_md5_numbers(tree: exp.Expression, _schema: ColumnTypes) -> exp.Expression:
    """Typed as the NUMBER they answer, by a cast the engine rewrite takes off again."""
    for node in list(tree.find_all(exp.Func)):
        name = _name(node)
        if name is None or isinstance(node.parent, exp.Cast):
            continue
        if isinstance(node, exp.Anonymous) and len(node.expressions) != 1:
            raise Refusal(f"{name} with {len(node.expressions)} arguments", node)
        node.replace(exp.cast(node.copy(), exp.DataType.build(RESULT)))
    return tree


def _digits(digest: exp.Expression, start: int, count: int) -> exp.Expression:
    return call("SUBSTR", digest, exp.Literal.number(start), exp.Literal.number(count))


def _rewrite_for(engine: str) -> Callable[[exp.Expression], exp.Expression]:
    def md5_numbers(node: exp.Expression) -> exp.Expression:
        if not isinstance(node, exp.Cast):
            return node
        name = _name(node.this)
        if name is None:
            return node
        value = _argument(node.this)
        if not (is_text(value) or isinstance(value, exp.Null) or type_of(value) == T.NULL):
            raise Refusal(f"{name} of a value that is not text", node.this,
                          "Snowflake hashes the text it would print")  # fmt: skip
        start = NAMES[name]
        digest = exp.MD5(this=value)
        if engine == "sqlite":
            return call("dwsim_hex_number", _digits(digest, start, 16))

        # Two 32-bit halves of eight hex digits, each read as an unsigned number (PostgreSQL:
        # BIT(32); the emulator: a '0x' literal as a BIGINT; neither has an unsigned 64-bit type).
        def half(offset: int) -> exp.Expression:
            digits = _digits(digest.copy(), start + offset, 8)
            if engine == "postgres":
                bits = exp.DataType.build("BIT(32)", dialect="postgres")
                digits = exp.cast(exp.DPipe(this=text("x"), expression=digits), bits)
            else:
                digits = exp.DPipe(this=text("0x"), expression=digits)
            return exp.cast(digits, exp.DataType.build("BIGINT"))

        high = exp.Mul(this=exp.cast(half(0), exp.DataType.build(RESULT)),
                       expression=exp.Literal.number(2**32))  # fmt: skip
        return exp.cast(exp.Paren(this=exp.Add(this=high, expression=half(8))),
                        exp.DataType.build(RESULT))  # fmt: skip

    md5_numbers.__name__ = md5_numbers.__qualname__ = f"md5_numbers_{engine}"
    return md5_numbers


for _engine in ("sqlite", "postgres", "snowflake"):
    rewrite("numeric", sources=["snowflake"], engines=[_engine])(_rewrite_for(_engine))
