"""Warehouse options: what a DDL says about physical layout, kept in `warehouse_options`.

Redshift table attributes (DISTSTYLE, DISTKEY, SORTKEY, BACKUP, ENCODE AUTO) and the column
attributes DISTKEY/SORTKEY are read from the tokens and taken out before sqlglot parses the
statement (sqlglot accepts only some of them); everything else comes from sqlglot's properties.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp
from sqlglot.tokens import Token, TokenType

from dwsim_shared.ddl.names import fold, fold_token

COLUMN_FLAGS = frozenset({"DISTKEY", "SORTKEY"})


@dataclass
class RedshiftAttributes:
    """Redshift attributes taken out of a CREATE TABLE's tokens."""

    table: dict[str, Any] = field(default_factory=dict)
    # (offset of the attribute, "distkey" | "sortkey") for attributes written on a column
    column_flags: list[tuple[int, str]] = field(default_factory=list)


def _word(tokens: list[Token], i: int) -> str:
    return (
        tokens[i].text.upper()
        if i < len(tokens) and tokens[i].token_type != TokenType.IDENTIFIER
        else ""
    )


def _names_in_parens(tokens: list[Token], i: int) -> tuple[list[str], int] | None:
    """Names in `( a, b )` starting at tokens[i]; the index after `)`, or None if not a list."""
    if i >= len(tokens) or tokens[i].token_type != TokenType.L_PAREN:
        return None
    names, i = [], i + 1
    while i < len(tokens) and tokens[i].token_type != TokenType.R_PAREN:
        if tokens[i].token_type != TokenType.COMMA:
            names.append(fold_token(tokens[i]))
        i += 1
    return (names, i + 1) if i < len(tokens) else None


def _column_list(tokens: list[Token]) -> tuple[int, int] | None:
    """Indices of the `(` and `)` around a CREATE TABLE's column list."""
    for i, token in enumerate(tokens):
        if token.token_type in (TokenType.ALIAS, TokenType.SELECT):
            return None
        if token.token_type == TokenType.L_PAREN:
            depth = 0
            for j in range(i, len(tokens)):
                depth += {TokenType.L_PAREN: 1, TokenType.R_PAREN: -1}.get(tokens[j].token_type, 0)
                if depth == 0:
                    return i, j
            return None
    return None


def _table_attribute(rest: list[Token], k: int, table: dict[str, Any]) -> int | None:
    """Read one Redshift table attribute at rest[k] into `table`; the next index, or None."""
    word, following = _word(rest, k), _word(rest, k + 1)
    if word == "BACKUP" and following in ("YES", "NO"):
        table["backup"] = following == "YES"
        return k + 2
    if word == "DISTSTYLE" and following in ("AUTO", "EVEN", "KEY", "ALL"):
        table["diststyle"] = following
        return k + 2
    if word == "ENCODE" and following == "AUTO":
        table["encode_auto"] = True
        return k + 2
    if word == "DISTKEY":
        names = _names_in_parens(rest, k + 1)
        if names is None or len(names[0]) != 1:
            return None
        table["distkey"] = names[0][0]
        return names[1]
    style = "compound"
    if word in ("COMPOUND", "INTERLEAVED") and following == "SORTKEY":
        style, k, following = word.lower(), k + 1, _word(rest, k + 2)
    elif word != "SORTKEY":
        return None
    if following == "AUTO":
        table["sortkey_style"], table["sortkey"] = "auto", []
        return k + 2
    names = _names_in_parens(rest, k + 1)
    if names is None:
        return None
    table["sortkey"], table["sortkey_style"] = names[0], style
    return names[1]


def strip_redshift_attributes(tokens: list[Token]) -> tuple[list[Token], RedshiftAttributes]:
    """The CREATE TABLE tokens without Redshift attributes, and the attributes."""
    found = RedshiftAttributes()
    bounds = _column_list(tokens)
    if bounds is None:
        return tokens, found
    open_at, close_at = bounds
    kept = tokens[: open_at + 1]
    depth = 1
    for j in range(open_at + 1, close_at):
        token = tokens[j]
        depth += {TokenType.L_PAREN: 1, TokenType.R_PAREN: -1}.get(token.token_type, 0)
        is_flag = token.token_type == TokenType.VAR and token.text.upper() in COLUMN_FLAGS
        if depth == 1 and is_flag and tokens[j + 1].token_type != TokenType.L_PAREN:
            found.column_flags.append((token.start, token.text.lower()))
            continue
        kept.append(token)
    kept.append(tokens[close_at])
    rest, k = tokens[close_at + 1 :], 0
    while k < len(rest):
        following = _table_attribute(rest, k, found.table)
        if following is None:
            break
        k = following
    return kept + rest[k:], found


def literal(node: exp.Expr | None) -> tuple[bool, Any]:
    """(True, value) for a literal (number, string, boolean, negative number, cast literal)."""
    if isinstance(node, exp.Paren | exp.Cast):
        return literal(node.this)
    if isinstance(node, exp.Boolean):
        return True, bool(node.this)
    if isinstance(node, exp.Neg):
        ok, value = literal(node.this)
        return (True, -value) if ok and isinstance(value, int | float) else (False, None)
    if isinstance(node, exp.Literal):
        if node.is_string:
            return True, node.name
        number = float(node.name)
        return True, int(number) if node.is_int else number
    return False, None


def add_column_option(options: dict[str, Any], key: str, column: str, value: Any) -> None:
    options.setdefault(key, {})[column] = value


ColumnName = Callable[[str], str]
PropertyReader = Callable[[Any, str, ColumnName], dict[str, Any]]


def _cluster_by(prop: Any, dialect: str, column: ColumnName) -> dict[str, Any]:
    return {
        "cluster_by": [
            column(fold(e)) if isinstance(e, exp.Column) else e.sql(dialect=dialect)
            for e in prop.expressions
        ]
    }


def _sortkey(prop: Any, dialect: str, column: ColumnName) -> dict[str, Any]:
    style = "compound" if prop.args.get("compound") else "interleaved"
    return {"sortkey": [column(fold(e)) for e in prop.this], "sortkey_style": style}


def _tags(prop: Any, dialect: str, column: ColumnName) -> dict[str, Any]:
    values = {p.name.lower(): _value(p.args.get("value"), dialect) for p in prop.expressions}
    return {"tags": values}


# sqlglot property class -> the options it becomes (Snowflake, and Redshift if sqlglot read it).
PROPERTY_READERS: dict[type[exp.Expr], PropertyReader] = {
    exp.ClusterProperty: _cluster_by,
    exp.Cluster: _cluster_by,
    exp.SchemaCommentProperty: lambda p, d, c: {"comment": _value(p.this, d)},
    exp.DistStyleProperty: lambda p, d, c: {"diststyle": p.this.name.upper()},
    exp.DistKeyProperty: lambda p, d, c: {"distkey": c(fold(p.this))},
    exp.SortKeyProperty: _sortkey,
    exp.Tags: _tags,
}


def property_options(create: exp.Create, dialect: str, column: ColumnName) -> dict[str, Any]:
    """Table options from sqlglot's properties; `column` maps a folded name to the model's."""
    options: dict[str, Any] = {}
    if create.args.get("replace"):
        options["or_replace"] = True
    properties = create.args.get("properties")
    for prop in properties.expressions if properties else []:
        reader = PROPERTY_READERS.get(type(prop))
        if reader is not None:
            options.update(reader(prop, dialect, column))
        elif not any(prop.args.values()):  # a bare keyword: TRANSIENT, TEMPORARY, EXTERNAL, ...
            options[prop.key.removesuffix("property")] = True
        elif type(prop) is exp.Property and isinstance(prop.this, exp.Var | exp.Literal):
            options[prop.name.lower()] = _value(prop.args.get("value"), dialect)  # KEY = value
        else:
            options.setdefault("other", []).append(prop.sql(dialect=dialect))
    return options


def _value(node: exp.Expr | None, dialect: str) -> Any:
    ok, value = literal(node)
    if ok:
        return value
    return node.sql(dialect=dialect) if node is not None else None


def redshift_options(
    attributes: RedshiftAttributes, column: ColumnName, flagged: list[tuple[str, str]]
) -> dict[str, Any]:
    """Redshift attributes as options; `flagged` lists (column, "distkey" | "sortkey") written
    on a column rather than after the column list."""
    options = dict(attributes.table)
    if "distkey" in options:
        options["distkey"] = column(options["distkey"])
    if options.get("sortkey"):
        options["sortkey"] = [column(n) for n in options["sortkey"]]
    inline_sortkey = [name for name, flag in flagged if flag == "sortkey"]
    for name, flag in flagged:
        if flag == "distkey":
            options.setdefault("distkey", name)
    if inline_sortkey and "sortkey" not in options:
        options["sortkey"], options["sortkey_style"] = inline_sortkey, "compound"
    return options
