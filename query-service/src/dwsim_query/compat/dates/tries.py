"""Snowflake's TRY_TO_TIME (and TRY_CAST to TIME) and TRY_TO_BOOLEAN: NULL where the text is
no time of day or no boolean word, on every engine (the plain conversions fail there)."""

from __future__ import annotations

from sqlglot import exp

from dwsim_query.compat.conversions import FALSE_WORDS, TRUE_WORDS
from dwsim_query.compat.nodes import Refusal, call, cast, text, type_of
from dwsim_query.compat.registry import Rewrite, rewrite

T = exp.DataType.Type


TRIED = {T.TIME: ("dwsim_try_time", "TIME"), T.TIMESTAMP: ("dwsim_try_timestamp", "TIMESTAMP"),
         T.TIMESTAMPNTZ: ("dwsim_try_timestamp", "TIMESTAMP")}  # fmt: skip


def _try_time(node: exp.Expression, engine: str) -> exp.Expression:
    """TRY_TO_TIME, TRY_TO_TIMESTAMP_NTZ of text: the packs' TRY_ parsers (PostgreSQL has no
    TRY_CAST: the generator would write a plain CAST)."""
    if type(node) is not exp.TryCast or node.to.this not in TRIED or engine == "snowflake":
        return node
    if type_of(node.this) not in (*exp.DataType.TEXT_TYPES, None, T.UNKNOWN, T.NULL):
        return node  # a TIME or TIMESTAMP: the conversion cannot fail
    name, kind = TRIED[node.to.this]
    tried = call(name, cast(node.this, "TEXT"))
    tried.type = exp.DataType.build(kind)
    return tried


def _try_boolean(node: exp.Expression, engine: str) -> exp.Expression:
    if not isinstance(node, exp.ToBoolean) or not node.args.get("safe"):
        return node
    value = node.this
    if type_of(value) in exp.DataType.NUMERIC_TYPES or type_of(value) == T.BOOLEAN:
        raise Refusal("TRY_TO_BOOLEAN of a number or a boolean", node, "it reads text only")
    if engine == "sqlite":
        return call("dwsim_try_to_boolean", cast(value, "TEXT"))
    lowered = exp.Lower(this=cast(value.copy(), "TEXT"))
    return exp.Case(
        ifs=[
            exp.If(this=exp.In(this=lowered, expressions=[text(w) for w in TRUE_WORDS]),
                   true=exp.true()),
            exp.If(this=exp.In(this=lowered.copy(), expressions=[text(w) for w in FALSE_WORDS]),
                   true=exp.false()),
        ],
        default=exp.Null(),
    )  # fmt: skip


def _ntz_with_format(node: exp.Expression, engine: str) -> exp.Expression:
    """TRY_TO_TIMESTAMP_NTZ with a format on the Redshift mock: PostgreSQL's TO_TIMESTAMP reads
    text the format does not match (' 12 ' as the year 12), where Snowflake answers NULL."""
    target = node.args.get("target_type") if isinstance(node, exp.StrToTime) else None
    if (
        engine == "postgres"
        and node.args.get("safe")
        and target is not None
        and target.this == T.TIMESTAMPNTZ
    ):
        raise Refusal(
            "TRY_TO_TIMESTAMP_NTZ with a format",
            node,
            "the mock reads text the format does not match",
        )
    return node


def _tries(engine: str) -> Rewrite:
    def fn(node: exp.Expression) -> exp.Expression:
        return _ntz_with_format(_try_boolean(_try_time(node, engine), engine), engine)

    return fn


for _engine in ("sqlite", "postgres", "snowflake"):
    # before TO_BOOLEAN's rewrite (conditionals) and the casts to TIME (dates)
    rewrite("conditionals", sources=["snowflake"], engines=[_engine], first=True)(_tries(_engine))
