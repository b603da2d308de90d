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


@rewrite("strings", engines=["sqlite"])
def strings_sqlite(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.SplitPart):
        return call("split_part", node.this, node.args["delimiter"], node.args["part_index"])
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
        return call("regexp_substr", *_regex_args(node))
    if isinstance(node, exp.RegexpReplace):
        if node.args.get("position") or node.args.get("occurrence") or node.args.get("modifiers"):
            raise Refusal("REGEXP_REPLACE with position, occurrence or flags", node)
        return call(
            "regexp_replace", node.this, node.expression, node.args.get("replacement") or text("")
        )
    if isinstance(node, exp.RegexpCount):
        return call("regexp_count", node.this, node.expression)
    if isinstance(node, exp.SimilarTo):
        return call("dwsim_similar_to", node.this, node.expression)
    if isinstance(node, exp.Left):  # LEFT is a keyword in SQLite
        return call("dwsim_left", node.this, node.expression)
    if isinstance(node, exp.Right):
        return call("dwsim_right", node.this, node.expression)
    if isinstance(node, exp.Initcap):
        return call("initcap", node.this)
    return node


@rewrite("strings", engines=["postgres"])
def strings_postgres(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Initcap):
        return call("INITCAP", node.this)
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
        return call("REGEXP_SUBSTR", *_regex_args(node))
    if isinstance(node, exp.RegexpReplace):
        if node.args.get("position") or node.args.get("occurrence") or node.args.get("modifiers"):
            raise Refusal("REGEXP_REPLACE with position, occurrence or flags", node)
        # Both sources replace every match; PostgreSQL only the first without 'g'.
        return call(
            "REGEXP_REPLACE",
            node.this,
            node.expression,
            node.args.get("replacement") or text(""),
            text("g"),
        )
    if isinstance(node, exp.RegexpCount):
        return call("REGEXP_COUNT", node.this, node.expression)
    return node


@rewrite("strings", engines=["snowflake"])
def strings_emulator(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.SimilarTo):
        raise Refusal("SIMILAR TO", node)
    return node
