"""Keys, foreign keys and CHECK constraints: resolve what the DDL declared into the model, and
warn (on the table) about whatever cannot be honoured."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from dwsim_shared.ddl.names import TableRef, fold
from dwsim_shared.ddl.options import literal
from dwsim_shared.ddl.tables import ForeignKeyDraft, TableDraft
from dwsim_shared.experiment import INTEGER_LIMITS, INTEGER_TYPES, NUMERIC_TYPES, STRING_TYPES


def _same(a: list[str], b: list[str]) -> bool:
    return sorted(x.lower() for x in a) == sorted(x.lower() for x in b)


def finish_keys(table: TableDraft) -> None:
    """Primary key columns become required; single-column UNIQUE becomes `is_unique`, the
    others `unique_constraints` (minus duplicates and the primary key itself)."""
    if table.primary_key:
        missing = [n for n in table.primary_key if table.column(n) is None]
        if missing:
            table.warn(f"PRIMARY KEY names missing column {missing[0]!r}: ignored")
            table.primary_key = None
    for name in table.primary_key or []:
        col = table.column(name)
        assert col is not None
        col["required"] = True
    kept: list[list[str]] = []
    for key in table.unique:
        missing = [n for n in key if table.column(n) is None]
        if missing:
            table.warn(f"UNIQUE ({', '.join(key)}) names missing column {missing[0]!r}: ignored")
        elif len(key) == 1:
            col = table.column(key[0])
            assert col is not None
            col["is_unique"] = True
        elif not (table.primary_key and _same(key, table.primary_key)) and not any(
            _same(key, k) for k in kept
        ):
            kept.append(key)
    table.unique = kept


def unique_sets(table: TableDraft) -> list[list[str]]:
    keys = [table.primary_key] if table.primary_key else []
    keys += table.unique
    keys += [[c["name"]] for c in table.columns if c.get("is_unique")]
    return keys


def find_table(
    tables: list[TableDraft], ref: TableRef, near: TableDraft | None = None
) -> TableDraft | None:
    """The table a reference means: the only match, else one in the referencing table's schema."""
    found = [t for t in tables if t.ref.matches(ref)]
    if len(found) > 1 and not ref.db and near is not None:
        found = [t for t in found if t.ref.db.lower() == near.ref.db.lower()] or found
    return found[0] if found else None


def _family(col: dict[str, Any]) -> str:
    kind = col["data_type"]
    if kind in INTEGER_TYPES or (kind == "DECIMAL" and (col.get("scale") or 0) == 0):
        return "integer"
    return "string" if kind in STRING_TYPES else kind


def _resolve(
    fk: ForeignKeyDraft, table: TableDraft, tables: list[TableDraft]
) -> dict[str, Any] | str:
    """{"columns", "references_table", "references_columns"}, or why the key is dropped."""
    what = f"FOREIGN KEY ({', '.join(fk.columns)})"
    missing = [n for n in fk.columns if table.column(n) is None]
    if missing:
        return f"{what} names missing column {missing[0]!r}: dropped"
    parent = find_table(tables, fk.parent, table)
    if parent is None:
        return f"{what} references {fk.parent}, which this DDL does not create: dropped"
    targets = fk.parent_columns or parent.primary_key
    if not targets:
        return f"{what} references {parent.name}, which has no primary key: dropped"
    absent = [n for n in targets if parent.column(n) is None]
    if absent:
        return f"{what} references missing column {parent.name}.{absent[0]}: dropped"
    targets = [parent.column_name(n) for n in targets]
    if len(targets) != len(fk.columns):
        return f"{what} references {len(targets)} columns of {parent.name}: dropped"
    if not any(_same(targets, key) for key in unique_sets(parent)):
        return (
            f"{what} references {parent.name}({', '.join(targets)}), which is neither a "
            "primary key nor unique: dropped"
        )
    for child, target in zip(fk.columns, targets, strict=True):
        child_col, parent_col = table.column(child), parent.column(target)
        assert child_col is not None and parent_col is not None
        if _family(child_col) != _family(parent_col):
            return (
                f"{what}: {child_col['name']} is {child_col['data_type']} but "
                f"{parent.name}.{target} is {parent_col['data_type']}: dropped"
            )
    columns = [table.column_name(n) for n in fk.columns]
    return {"columns": columns, "references_table": parent.name, "references_columns": targets}


def resolve_foreign_keys(tables: list[TableDraft]) -> dict[str, list[dict[str, Any]]]:
    """Single-column keys go to the column's `foreign_key`; the table-level (multi-column) ones
    are returned by table name. Keys the model cannot hold are dropped with a warning."""
    table_level: dict[str, list[dict[str, Any]]] = {}
    for table in tables:
        kept: list[dict[str, Any]] = []
        for fk in table.foreign_keys:
            resolved = _resolve(fk, table, tables)
            if isinstance(resolved, str):
                table.warn(resolved)
                continue
            table.fk_lines.setdefault(tuple(n.lower() for n in resolved["columns"]), fk.line)
            columns = [table.column(n) for n in resolved["columns"]]
            nullable = all(not c["required"] for c in columns if c is not None)
            if len(columns) == 1:
                col = columns[0]
                assert col is not None
                link = {
                    "references_table": resolved["references_table"],
                    "references_column": resolved["references_columns"][0],
                    "nullable": nullable,
                }
                if col.get("foreign_key") not in (None, link):
                    table.warn(
                        f"{col['name']} already references {col['foreign_key']['references_table']}: "
                        f"the key to {link['references_table']} is dropped"
                    )
                    continue
                col["foreign_key"] = link
            elif not any(
                _same(k["columns"], resolved["columns"])
                and k["references_table"] == resolved["references_table"]
                for k in kept
            ):
                kept.append({**resolved, "nullable": nullable})
        table_level[table.name] = kept
    return table_level


@dataclass(frozen=True)
class _Link:
    """A required foreign key: the child table, where the key is kept, and where it was declared."""

    table: TableDraft
    kind: str  # "column" (the column document) or "table" (a table-level key)
    item: dict[str, Any]
    line: int


def _required_links(
    tables: list[TableDraft], table_level: dict[str, list[dict[str, Any]]]
) -> dict[str, list[tuple[str, _Link]]]:
    """Child table -> (parent table, link) for every foreign key that may not be NULL."""
    links: dict[str, list[tuple[str, _Link]]] = {}
    for table in tables:
        for col in table.columns:
            fk = col.get("foreign_key")
            if fk and not fk["nullable"]:
                line = table.fk_lines.get((col["name"].lower(),), 0)
                link = _Link(table, "column", col, line)
                links.setdefault(table.name.lower(), []).append(
                    (fk["references_table"].lower(), link)
                )
        for fk in table_level.get(table.name, []):
            if not fk["nullable"]:
                line = table.fk_lines.get(tuple(n.lower() for n in fk["columns"]), 0)
                link = _Link(table, "table", fk, line)
                links.setdefault(table.name.lower(), []).append(
                    (fk["references_table"].lower(), link)
                )
    return links


def _find_cycle(links: dict[str, list[tuple[str, _Link]]]) -> list[_Link] | None:
    state: dict[str, int] = {}
    nodes: list[str] = []
    path: list[_Link] = []

    def visit(node: str) -> list[_Link] | None:
        state[node] = 1
        nodes.append(node)
        for parent, link in links.get(node, []):
            if state.get(parent) == 1:
                return [*path[nodes.index(parent) :], link]
            if parent not in state:
                path.append(link)
                found = visit(parent)
                if found is not None:
                    return found
                path.pop()
        state[node] = 2
        nodes.pop()
        return None

    for start in list(links):
        if start not in state:
            found = visit(start)
            if found is not None:
                return found
    return None


def break_cycles(tables: list[TableDraft], table_level: dict[str, list[dict[str, Any]]]) -> None:
    """Drop (with a warning) the last-declared key of each cycle of required foreign keys: no
    row of such a cycle could be generated first."""
    while (cycle := _find_cycle(_required_links(tables, table_level))) is not None:
        link = max(reversed(cycle), key=lambda c: c.line)
        if link.kind == "column":
            parent = link.item.pop("foreign_key")["references_table"]
            what = f"{link.item['name']} -> {parent}"
        else:
            table_level[link.table.name].remove(link.item)
            what = f"({', '.join(link.item['columns'])}) -> {link.item['references_table']}"
        link.table.warn(
            f"the required foreign key {what} closes a cycle of required foreign keys: dropped"
        )


# --- CHECK constraints -------------------------------------------------------------------------

_BOUNDS = {
    exp.GT: ("min", True),
    exp.GTE: ("min", False),
    exp.LT: ("max", True),
    exp.LTE: ("max", False),
}
_FLIP = {"min": "max", "max": "min"}


def _parts(node: exp.Expr) -> list[exp.Expr]:
    if isinstance(node, exp.Paren):
        return _parts(node.this)
    if isinstance(node, exp.And):
        return _parts(node.this) + _parts(node.expression)
    return [node]


def _bound(col: dict[str, Any], side: str, number: float, strict: bool) -> float:
    """The inclusive bound that honours `col > number` (side "min", strict) and the like,
    clamped to what the column's type holds."""
    kind = col["data_type"]
    precision, scale = col.get("precision") or 18, col.get("scale") or 0
    value: float
    if kind in INTEGER_TYPES or (kind == "DECIMAL" and scale == 0):
        # whole numbers: x > 2.5 means x >= 3, and x > 3 means x >= 4
        if side == "min":
            value = math.floor(number) + 1 if strict else math.ceil(number)
        else:
            value = math.ceil(number) - 1 if strict else math.floor(number)
        limit = float(INTEGER_LIMITS.get(kind, 10**precision - 1))
    else:
        step = 10.0**-scale if kind == "DECIMAL" else 1e-4  # generated floats carry 4 decimals
        shift = step if strict else 0.0
        value = number + shift if side == "min" else number - shift
        limit = 10.0 ** (precision - scale) - 10.0**-scale if kind == "DECIMAL" else math.inf
    return max(-limit, min(limit, value))


def _unwrap_not(node: exp.Expr) -> exp.Expr:
    return node.this if isinstance(node, exp.Not) else node


def _is_not_null(node: exp.Expr) -> bool:
    """`x IS NOT NULL`, which sqlglot writes as NOT (x IS NULL) or as a negated IS."""
    inner = _unwrap_not(node)
    negated = isinstance(node, exp.Not) != bool(inner.args.get("negate"))
    return isinstance(inner, exp.Is) and isinstance(inner.expression, exp.Null) and negated


def _check_rules(table: TableDraft, node: exp.Expr) -> dict[str, dict[str, Any]] | None:
    """Column -> fields that make generation honour the CHECK, or None if it cannot."""
    rules: dict[str, dict[str, Any]] = {}
    referencing = {table.column_name(n).lower() for fk in table.foreign_keys for n in fk.columns}
    value: Any
    for part in _parts(node):
        if _is_not_null(part):
            target, field, value = _unwrap_not(part).this, "required", True
        elif isinstance(part, exp.In) and not part.args.get("query"):
            values = [literal(v) for v in part.expressions]
            if not all(ok for ok, _ in values):
                return None
            target, field, value = part.this, "choices", [v for _, v in values]
        elif isinstance(part, exp.Between):
            low, high = literal(part.args.get("low")), literal(part.args.get("high"))
            if not (low[0] and high[0]):
                return None
            target, field, value = part.this, "range", (low[1], high[1])
        elif isinstance(part, exp.Binary) and type(part) in _BOUNDS:
            side, strict = _BOUNDS[type(part)]
            target, bound = part.this, part.expression
            if not isinstance(target, exp.Column):
                target, bound, side = bound, target, _FLIP[side]
            ok, number = literal(bound)
            if not ok or not isinstance(number, int | float):
                return None
            field, value = side, (number, strict)
        else:
            return None
        col = table.column(fold(target)) if isinstance(target, exp.Column) else None
        if col is None or col["name"].lower() in referencing:
            return None  # a foreign key column takes its values from the parent
        if not _merge(rules.setdefault(col["name"], {}), col, field, value):
            return None
    return rules


def _merge(fields: dict[str, Any], col: dict[str, Any], field: str, value: Any) -> bool:
    kind = col["data_type"]
    if field == "required":
        fields["required"] = True
        return True
    if field == "choices":
        strings = all(isinstance(v, str) for v in value)
        numbers = all(isinstance(v, int | float) for v in value)
        fits = (
            kind in STRING_TYPES
            and strings
            and all(len(v) <= (col.get("varchar_length") or len(v)) for v in value)
        )
        if (
            not (fits or (kind in NUMERIC_TYPES and numbers))
            or col.get("is_unique")
            or "choices" in fields
        ):
            return False
        fields["choices"] = value
        return True
    if kind not in NUMERIC_TYPES:
        return False
    if field == "range":
        low, high = value
        return _merge(fields, col, "min", (low, False)) and _merge(
            fields, col, "max", (high, False)
        )
    number, strict = value
    if not isinstance(number, int | float):
        return False
    bound = _bound(col, field, number, strict)
    if field == "min":
        fields["min_value"] = max(bound, fields.get("min_value", bound))
    else:
        fields["max_value"] = min(bound, fields.get("max_value", bound))
    return fields.get("min_value", float("-inf")) <= fields.get("max_value", float("inf"))


def apply_checks(table: TableDraft, dialect: str) -> set[str]:
    """Turn CHECKs into column rules (IN lists -> choices, comparisons -> min/max, IS NOT NULL ->
    required); warn about the others. Returns the columns whose rules came from a CHECK.

    Runs after `finish_keys` (choices never go to a unique column) and before foreign keys are
    resolved (their nullability follows the columns')."""
    ruled: set[str] = set()
    for node in table.checks:
        rules = _check_rules(table, node)
        if rules is None:
            table.warn(f"CHECK ({node.sql(dialect=dialect)}) is not enforced by generation")
            continue
        for name, fields in rules.items():
            col = table.column(name)
            assert col is not None
            col.update(fields)
            ruled.add(col["name"])
    return ruled
