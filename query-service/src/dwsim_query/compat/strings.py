"""Strings and patterns: SPLIT_PART, STRTOK, EDITDISTANCE, REGEXP_*, ILIKE, SIMILAR TO."""

from __future__ import annotations

from sqlglot import exp

from dwsim_query.compat import regex
from dwsim_query.compat.nodes import Refusal, call, text
from dwsim_query.compat.registry import SOURCES, Rewrite, compat_engines, rewrite


def _pack_functions(node: exp.Expression) -> exp.Expression:
    """STRTOK and EDITDISTANCE as the engine pack's functions (SQLite and the Redshift mock)."""
    if isinstance(node, exp.Strtok):
        return call(
            "strtok",
            node.this,
            node.args.get("delimiter") or text(" "),
            node.args.get("part_index") or exp.Literal.number(1),
        )
    if isinstance(node, exp.Levenshtein):
        return _at_most(call("editdistance", node.this, node.expression), node)
    return node


def _at_most(distance: exp.Expression, node: exp.Levenshtein) -> exp.Expression:
    """EDITDISTANCE's maximum: LEAST(distance, maximum), a negative maximum read as 0."""
    limit = node.args.get("max_dist")
    if limit is None:
        return distance
    floor = exp.Greatest(this=limit, expressions=[exp.Literal.number(0)])
    # LEAST skips NULLs on PostgreSQL and SQLite's MIN does not: a NULL distance stays NULL.
    return exp.Case(
        ifs=[exp.If(this=exp.Is(this=distance.copy(), expression=exp.Null()), true=exp.Null())],
        default=exp.Least(this=distance, expressions=[floor]),
    )


@rewrite("strings", sources=["snowflake"], engines=["sqlite", "postgres"])
def split_part_zero(node: exp.Expression) -> exp.Expression:
    """Snowflake reads part 0 of SPLIT_PART as part 1 (the mock fails it, SQLite answers '')."""
    if not isinstance(node, exp.SplitPart):
        return node
    index = node.args["part_index"]
    if isinstance(index, exp.Literal):
        if index.this == "0":
            node.set("part_index", exp.Literal.number(1))
        return node
    zero = exp.EQ(this=index.copy(), expression=exp.Literal.number(0))
    node.set("part_index", exp.If(this=zero, true=exp.Literal.number(1), false=index))
    return node


@rewrite("strings", sources=["snowflake"], engines=["postgres"])
def left_right_negative(node: exp.Expression) -> exp.Expression:
    """Snowflake's LEFT/RIGHT of a negative length is '' (PostgreSQL drops that many); a NULL
    length stays NULL (PostgreSQL's GREATEST would skip it)."""
    if isinstance(node, exp.Left | exp.Right):
        length = node.expression
        negative = exp.LT(this=length.copy(), expression=exp.Literal.number(0))
        node.set("expression", exp.If(this=negative, true=exp.Literal.number(0), false=length))
    return node


@rewrite("strings", sources=["snowflake"], engines=["sqlite", "postgres"])
def ends_with(node: exp.Expression) -> exp.Expression:
    """ENDSWITH(a, b): the last LENGTH(b) characters of a are b (NULL stays NULL)."""
    if not isinstance(node, exp.EndsWith):
        return node
    length = exp.Length(this=node.expression.copy())
    start = exp.Add(this=exp.Sub(this=exp.Length(this=node.this.copy()), expression=length),
                    expression=exp.Literal.number(1))  # fmt: skip
    return exp.Paren(this=exp.EQ(this=call("substr", node.this, start), expression=node.expression))


@rewrite("strings", sources=["snowflake"], engines=["sqlite"])
def ascii_sqlite(node: exp.Expression) -> exp.Expression:
    """Snowflake's ASCII of '' is 0 (SQLite's UNICODE answers NULL)."""
    return call("dwsim_ascii", node.this) if isinstance(node, exp.Ascii) else node


@rewrite("strings", sources=["snowflake"], engines=["snowflake"])
def pad_empty(node: exp.Expression) -> exp.Expression:
    """LPAD/RPAD with an empty pad truncates without padding (DuckDB fails it)."""
    fill = node.args.get("fill_pattern") if isinstance(node, exp.Pad) else None
    if fill is None:
        return node
    cut = exp.Left(this=node.this.copy(), expression=node.expression.copy())
    if isinstance(fill, exp.Literal):
        return cut if fill.this == "" else node
    empty = exp.EQ(this=fill.copy(), expression=text(""))
    return exp.Case(ifs=[exp.If(this=empty, true=cut)], default=node)


@rewrite("strings", engines=["sqlite"])
def strings_sqlite(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Chr):  # SQLite's CHAR answers U+FFFD for a bad code, NUL for NULL
        return call("dwsim_chr", *node.expressions)
    if isinstance(node, exp.Repeat):
        return call("dwsim_repeat", node.this, node.args["times"])
    if isinstance(node, exp.SplitPart):
        return call("split_part", node.this, node.args["delimiter"], node.args["part_index"])
    if isinstance(node, exp.SimilarTo):
        return call("dwsim_similar_to", node.this, node.expression)
    if isinstance(node, exp.Left):  # LEFT is a keyword in SQLite
        return call("dwsim_left", node.this, node.expression)
    if isinstance(node, exp.Right):
        return call("dwsim_right", node.this, node.expression)
    if isinstance(node, exp.Initcap):
        if node.expression is not None:  # Snowflake's delimiters
            return call("dwsim_initcap", node.this, node.expression)
        return call("initcap", node.this)
    return _pack_functions(node)


@rewrite("strings", engines=["postgres"])
def strings_postgres(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Initcap):
        if node.expression is not None:  # Snowflake's delimiters
            return call("dwsim_initcap", node.this, node.expression)
        return call("INITCAP", node.this)
    return _pack_functions(node)


@rewrite("strings", engines=["snowflake"])
def strings_emulator(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.SimilarTo):
        raise Refusal("SIMILAR TO", node)
    if isinstance(node, exp.Levenshtein):
        raise Refusal("EDITDISTANCE", node, "the emulator counts bytes, not characters")
    return node


def _regexes(engine: str, source: str) -> Rewrite:
    build = {"sqlite": regex.sqlite, "postgres": regex.postgres, "snowflake": regex.emulator}
    return lambda node: build[engine](node, source)


for _engine in compat_engines():
    for _source in SOURCES:
        rewrite("strings", sources=[_source], engines=[_engine])(_regexes(_engine, _source))


@rewrite("strings", sources=["snowflake"], engines=["sqlite", "postgres"])
def like_any(node: exp.Expression) -> exp.Expression:
    """Snowflake's `s LIKE ANY (p1, p2)` (and ALL, ILIKE) is one LIKE per pattern, joined by
    OR (AND for ALL), as its reference defines it (functions/like_any)."""
    if not isinstance(node, exp.Like | exp.ILike):
        return node
    quantified = node.expression
    if not isinstance(quantified, exp.Any | exp.All) or not isinstance(quantified.this, exp.Tuple):
        return node
    kind = type(node)
    parts = [kind(this=node.this.copy(), expression=p.copy()) for p in quantified.this.expressions]
    joined = exp.or_(*parts) if isinstance(quantified, exp.Any) else exp.and_(*parts)
    return exp.Paren(this=joined)
