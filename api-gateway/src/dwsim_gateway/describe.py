"""An experiment's tables as the analyst sees them: columns, keys, links and rules as badges."""

from __future__ import annotations

from typing import Any

from dwsim_shared.experiment import Column, Experiment, Table

# Column fields that make a rule, and the `inferred` entries that mark each one as guessed.
_RULE_FIELDS = {
    "sequence": ("sequence",),
    "faker": ("faker_rule",),
    "range": ("min_value", "max_value"),
    "dates": ("date_start", "date_end"),
    "distribution": ("distribution",),
    "choices": ("choices", "weights"),
    "pattern": ("pattern",),
    "null_rate": ("null_rate",),
}


def _number(value: float | None) -> str:
    if value is None:
        return "…"
    return f"{value:g}"


def _labels(col: Column) -> dict[str, str]:
    labels: dict[str, str] = {}
    if col.sequence is not None:
        labels["sequence"] = f"sequence from {col.sequence.start} step {col.sequence.step}"
    if col.faker_rule:
        labels["faker"] = f"faker {col.faker_rule}"
    if col.min_value is not None or col.max_value is not None:
        labels["range"] = f"range {_number(col.min_value)}..{_number(col.max_value)}"
    if col.date_start is not None or col.date_end is not None:
        labels["dates"] = f"dates {col.date_start or '…'}..{col.date_end or '…'}"
    if col.distribution is not None:
        params = ", ".join(f"{k}={v:g}" for k, v in col.distribution.parameters.items())
        labels["distribution"] = f"{col.distribution.type}({params})"
    if col.choices:
        shown = ", ".join(str(c) for c in col.choices[:4])
        more = f", +{len(col.choices) - 4}" if len(col.choices) > 4 else ""
        weighted = " weighted" if col.weights else ""
        labels["choices"] = f"choices{weighted} {shown}{more}"
    if col.pattern:
        labels["pattern"] = f"pattern {col.pattern}"
    if col.nullable:
        labels["null_rate"] = f"nulls {col.effective_null_rate:.0%}"
    return labels


def column_rules(table: Table, col: Column, key: str | None) -> list[dict[str, Any]]:
    """The badges of one column, each marked `inferred` when the DDL import guessed it."""
    guessed = set(col.inferred or [])
    rules: list[dict[str, Any]] = []
    if key is not None:
        rules.append({"kind": "key", "label": f"{key} key", "inferred": False})
    if col.foreign_key is not None:
        fk = col.foreign_key
        label = f"→ {fk.references_table}.{fk.references_column}"
        if fk.parent_selection is not None and fk.parent_selection.type == "zipf":
            label += f" zipf(s={fk.parent_selection.s:g})"
        rules.append({"kind": "foreign_key", "label": label, "inferred": False})
    for kind, label in _labels(col).items():
        inferred = any(f in guessed for f in _RULE_FIELDS[kind])
        rules.append({"kind": kind, "label": label, "inferred": inferred})
    return rules


def _key_of(table: Table, col: Column) -> str | None:
    name = col.name.lower()
    pk = [c.lower() for c in table.primary_key or []]
    if name in pk:
        return "primary" if len(pk) == 1 else "composite"
    if table.is_unique_column(col):
        return "unique"
    if any(name in {n.lower() for n in key} for key in table.joint_keys()):
        return "composite"
    return None


def _foreign_key(table: Table, col: Column) -> dict[str, str] | None:
    if col.foreign_key is not None:
        return {
            "table": col.foreign_key.references_table,
            "column": col.foreign_key.references_column,
        }
    for fk in table.foreign_keys or []:
        for mine, theirs in zip(fk.columns, fk.references_columns, strict=True):
            if mine.lower() == col.name.lower():
                return {"table": fk.references_table, "column": theirs}
    return None


def _table_foreign_keys(table: Table) -> list[dict[str, Any]]:
    links = [
        {
            "columns": [c.name],
            "references_table": c.foreign_key.references_table,
            "references_columns": [c.foreign_key.references_column],
        }
        for c in table.columns
        if c.foreign_key is not None
    ]
    links += [
        {
            "columns": fk.columns,
            "references_table": fk.references_table,
            "references_columns": fk.references_columns,
        }
        for fk in table.foreign_keys or []
    ]
    return links


def describe_table(table: Table, row_count: int | None) -> dict[str, Any]:
    columns = []
    for col in table.columns:
        key = _key_of(table, col)
        columns.append(
            {
                "name": col.name,
                "data_type": col.data_type,
                "source_type": col.source_type,
                "nullable": col.nullable,
                "key": key,
                "foreign_key": _foreign_key(table, col),
                "null_rate": col.effective_null_rate,
                "rules": column_rules(table, col, key),
            }
        )
    joint = table.joint_keys()
    notes = [
        f"composite key ({', '.join(key)}): generated jointly unique, no extra column"
        for key in joint
    ]
    inferred = [c.name for c in table.columns if c.inferred]
    if inferred:
        notes.append(f"rules inferred by the DDL import on: {', '.join(inferred)}")
    notes += table.warnings or []
    return {
        "name": table.name,
        "target_rows": table.target_rows,
        "row_count": row_count,
        "primary_key": table.primary_key,
        "composite_keys": joint,
        "foreign_keys": _table_foreign_keys(table),
        "columns": columns,
        "notes": notes,
    }


def experiment_notes(experiment: Experiment) -> list[str]:
    """What the analyst should know before generating: composite keys, guessed rules."""
    joint = sum(len(t.joint_keys()) for t in experiment.tables)
    guessed = sum(1 for t in experiment.tables for c in t.columns if c.inferred)
    notes = []
    if joint:
        keys = "1 composite key" if joint == 1 else f"{joint} composite keys"
        notes.append(f"{keys}, each generated jointly unique")
    if guessed:
        columns = "1 column" if guessed == 1 else f"{guessed} columns"
        notes.append(f"{columns} with rules inferred by the DDL import: check them")
    return notes
