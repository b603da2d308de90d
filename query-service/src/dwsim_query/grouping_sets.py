"""ROLLUP, CUBE and GROUPING SETS for SQLite, which has none of them: a SELECT grouped by sets
becomes the UNION ALL of one plain GROUP BY per set, where a key outside the set is NULL and
GROUPING(...) is the literal bit mask of the keys outside it (both sources' meaning:
https://docs.aws.amazon.com/redshift/latest/dg/r_GROUP_BY_aggregation-extensions.html,
https://docs.snowflake.com/en/sql-reference/functions/grouping). What the expansion cannot
carry exactly (window functions, DISTINCT, an ORDER BY on an expression not selected) is
refused by name."""

from __future__ import annotations

import itertools

from sqlglot import exp

from dwsim_shared.errors import BadRequest

SETS = (exp.Rollup, exp.Cube, exp.GroupingSets)


def _refuse(what: str) -> BadRequest:
    return BadRequest(
        f"ROLLUP / CUBE / GROUPING SETS with {what} is not supported on the sqlite engine",
        construct="GROUPING SETS",
        engine="sqlite",
    )


def _members(item: exp.Expression) -> list[exp.Expression]:
    if isinstance(item, exp.Tuple):
        return list(item.expressions)
    if isinstance(item, exp.Paren):
        return _members(item.this)
    return [item]


def _sets_of(item: exp.Expression) -> list[list[exp.Expression]]:
    keys = list(item.expressions)
    if isinstance(item, exp.Rollup):
        return [keys[:k] for k in range(len(keys), -1, -1)]
    if isinstance(item, exp.Cube):
        return [
            [k for k, keep in zip(keys, mask, strict=True) if keep]
            for mask in itertools.product((True, False), repeat=len(keys))
        ]
    sets = []
    for member in keys:
        if isinstance(member, SETS):
            raise _refuse("nested grouping constructs")
        sets.append(_members(member))
    return sets


def grouping_sets(group: exp.Group) -> list[list[exp.Expression]]:
    """The grouping sets a GROUP BY clause means (plain keys are in every set)."""
    plain = [e for e in group.expressions if not isinstance(e, SETS)]
    choices = [_sets_of(e) for e in group.expressions if isinstance(e, SETS)]
    for key in ("rollup", "cube", "grouping_sets"):
        if group.args.get(key):
            raise _refuse("this form of grouping")
    out = []
    for combination in itertools.product(*choices):
        keys: list[exp.Expression] = list(plain)
        for part in combination:
            keys += [k for k in part if k not in keys]
        out.append(keys)
    return out


def _in_aggregate(node: exp.Expression, top: exp.Expression) -> bool:
    parent = node.parent
    while parent is not None and parent is not top:
        if isinstance(parent, exp.AggFunc | exp.Grouping):
            return True
        parent = parent.parent
    return False


def _branch(
    select: exp.Select, keys: list[exp.Expression], every: list[exp.Expression]
) -> exp.Select:
    branch = select.copy()
    for arg in ("order", "limit", "offset", "with_", "with"):
        branch.set(arg, None)
    branch.set("group", exp.Group(expressions=[k.copy() for k in keys]) if keys else None)
    missing = [k for k in every if k not in keys]
    for part in [*branch.expressions, branch.args.get("having")]:
        if part is None:
            continue
        for grouping in list(part.find_all(exp.Grouping)):
            mask = 0
            for argument in grouping.expressions:
                mask = (mask << 1) | int(argument not in keys)
            grouping.replace(exp.Literal.number(mask))
        for node in list(part.walk()):
            if node in missing and not _in_aggregate(node, part) and node.parent is not None:
                node.replace(exp.Null())
    return branch


def _position(select: exp.Select, term: exp.Expression) -> int | None:
    for index, projection in enumerate(select.expressions, 1):
        inner = projection.this if isinstance(projection, exp.Alias) else projection
        if term == inner:
            return index
        if isinstance(term, exp.Column) and not term.table and term.name == projection.alias:
            return index
        if isinstance(term, exp.Literal) and term.is_int and int(term.name) == index:
            return index
    return None


def expand_select(select: exp.Select) -> exp.Expression:
    group = select.args.get("group")
    uses_sets = group is not None and any(isinstance(e, SETS) for e in group.expressions)
    if not uses_sets and select.find(exp.Grouping) is None:
        return select
    if select.find(exp.Window) is not None:
        raise _refuse("window functions")
    if select.args.get("distinct"):
        raise _refuse("SELECT DISTINCT")
    sets = grouping_sets(group) if group is not None else [[]]
    every: list[exp.Expression] = []
    for keys in sets:
        every += [k for k in keys if k not in every]
    # GROUPING of what no set groups fails on both sources (and on the mock and the emulator)
    for grouping in select.find_all(exp.Grouping):
        if any(argument not in every for argument in grouping.expressions):
            raise _refuse("a GROUPING argument that is not a grouping column")
    branches = [_branch(select, keys, every) for keys in sets]
    union: exp.Expression = branches[0]
    for branch in branches[1:]:
        union = exp.Union(this=union, expression=branch, distinct=False)
    if len(branches) == 1:
        union = exp.select("*").from_(exp.Subquery(this=union, alias=exp.TableAlias(
            this=exp.to_identifier("grouped", quoted=True))))  # fmt: skip
    order = select.args.get("order")
    if order is not None:
        ordered = order.copy()
        for term in ordered.expressions:
            position = _position(select, term.this)
            if position is None:
                raise _refuse("an ORDER BY on an expression not in the SELECT list")
            term.set("this", exp.Literal.number(position))
        union.set("order", ordered)
    for arg in ("limit", "offset"):
        if select.args.get(arg) is not None:
            union.set(arg, select.args[arg].copy())
    for arg in ("with_", "with"):
        if select.args.get(arg) is not None:
            union.set(arg, select.args[arg].copy())
    return union


def expand_grouping_sets(tree: exp.Expression) -> exp.Expression:
    """Every SELECT grouped by sets (innermost first) as a UNION ALL of plain GROUP BYs."""
    for select in reversed(list(tree.find_all(exp.Select))):
        expanded = expand_select(select)
        if expanded is select:
            continue
        if select is tree:
            tree = expanded
        else:
            select.replace(expanded)
    return tree
