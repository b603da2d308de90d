"""Strings and patterns: SPLIT_PART, STRTOK, EDITDISTANCE, REGEXP_*, ILIKE, SIMILAR TO."""

from __future__ import annotations

from sqlglot import exp

from dwsim_query.compat.nodes import Refusal, call, text
from dwsim_query.compat.registry import rewrite


def _regex_args(node: exp.Expression) -> list[exp.Expression]:
    args = [node.this, node.expression]
    for key in ("position", "occurrence"):
        if node.args.get(key) is not None:
            args.append(node.args[key])
    return args


def _pack_functions(node: exp.Expression, regexp: str) -> exp.Expression:
    """STRTOK, EDITDISTANCE, REGEXP_SUBSTR / _REPLACE / _COUNT as the engine pack's functions
    (SQLite and the Redshift mock both have them; `regexp` is how the engine spells REGEXP_)."""
    if isinstance(node, exp.Strtok):
        return call(
            "strtok",
            node.this,
            node.args.get("delimiter") or text(" "),
            node.args.get("part_index") or exp.Literal.number(1),
        )
    if isinstance(node, exp.Levenshtein):
        return call("editdistance", node.this, node.expression)
    if isinstance(node, exp.RegexpExtract):
        if node.args.get("group") is not None and node.args["group"].name not in ("0", ""):
            raise Refusal("REGEXP_SUBSTR with a group", node)
        return call(f"{regexp}substr", *_regex_args(node))
    if isinstance(node, exp.RegexpReplace):
        if node.args.get("position") or node.args.get("occurrence") or node.args.get("modifiers"):
            raise Refusal("REGEXP_REPLACE with position, occurrence or flags", node)
        replace = [node.this, node.expression, node.args.get("replacement") or text("")]
        if regexp.isupper():  # PostgreSQL replaces the first match only, unless told 'g'
            replace.append(text("g"))
        return call(f"{regexp}replace", *replace)
    if isinstance(node, exp.RegexpCount):
        return call(f"{regexp}count", node.this, node.expression)
    return node


@rewrite("strings", engines=["sqlite"])
def strings_sqlite(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.SplitPart):
        return call("split_part", node.this, node.args["delimiter"], node.args["part_index"])
    if isinstance(node, exp.SimilarTo):
        return call("dwsim_similar_to", node.this, node.expression)
    if isinstance(node, exp.Left):  # LEFT is a keyword in SQLite
        return call("dwsim_left", node.this, node.expression)
    if isinstance(node, exp.Right):
        return call("dwsim_right", node.this, node.expression)
    if isinstance(node, exp.Initcap):
        return call("initcap", node.this)
    return _pack_functions(node, "regexp_")


@rewrite("strings", engines=["postgres"])
def strings_postgres(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Initcap):
        return call("INITCAP", node.this)
    return _pack_functions(node, "REGEXP_")


@rewrite("strings", engines=["snowflake"])
def strings_emulator(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.SimilarTo):
        raise Refusal("SIMILAR TO", node)
    return node
