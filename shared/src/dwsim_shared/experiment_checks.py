"""Checks that need more than one field: each problem names its JSON path, table, column, numbers.

Everything here refuses an experiment that cannot be generated, before any work starts.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass

from dwsim_shared.experiment import (
    INTEGER_LIMITS,
    INTEGER_TYPES,
    MAX_DECIMAL_PRECISION,
    NUMERIC_TYPES,
    STRING_TYPES,
    TEMPORAL_TYPES,
    Column,
    Experiment,
    Table,
)


@dataclass(frozen=True)
class Problem:
    path: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


def document_problems(exp: Experiment) -> list[dict[str, str]]:
    return [p.as_dict() for p in _all_problems(exp)]


def _all_problems(exp: Experiment) -> Iterator[Problem]:
    seen_tables: set[str] = set()
    for t_i, table in enumerate(exp.tables):
        t_path = f"tables[{t_i}]"
        if table.name.lower() in seen_tables:
            yield Problem(f"{t_path}.name", f"duplicate table name {table.name!r}")
        seen_tables.add(table.name.lower())
        seen_columns: set[str] = set()
        for c_i, col in enumerate(table.columns):
            c_path = f"{t_path}.columns[{c_i}]"
            if col.name.lower() in seen_columns:
                yield Problem(
                    f"{c_path}.name", f"duplicate column name {col.name!r} in table {table.name!r}"
                )
            seen_columns.add(col.name.lower())
            for problem in _column_problems(exp, table, col):
                yield Problem(
                    f"{c_path}.{problem.path}", f"{table.name}.{col.name}: {problem.message}"
                )
        yield from _key_problems(exp, table, t_path)
        yield from _table_foreign_key_problems(exp, table, t_path)
    yield from _cycle_problems(exp)


def _column_problems(exp: Experiment, table: Table, col: Column) -> Iterator[Problem]:
    kind = col.data_type
    if col.min_value is not None and col.max_value is not None and col.min_value > col.max_value:
        yield Problem(
            "max_value", f"min_value {col.min_value:g} is greater than max_value {col.max_value:g}"
        )
    if col.date_start and col.date_end and col.date_start > col.date_end:
        yield Problem("date_end", f"date_start {col.date_start} is after date_end {col.date_end}")
    if (col.min_value is not None or col.max_value is not None) and kind not in NUMERIC_TYPES:
        yield Problem("min_value", f"min_value/max_value apply to numeric columns, not {kind}")
    if (col.date_start or col.date_end) and kind not in TEMPORAL_TYPES:
        yield Problem(
            "date_start", f"date_start/date_end apply to DATE and TIMESTAMP columns, not {kind}"
        )
    if col.varchar_length is not None and kind not in STRING_TYPES:
        yield Problem("varchar_length", f"varchar_length applies to VARCHAR and CHAR, not {kind}")
    if (col.precision is not None or col.scale is not None) and kind != "DECIMAL":
        yield Problem("precision", f"precision/scale apply to DECIMAL, not {kind}")
    if col.sequence is not None and kind not in INTEGER_TYPES | {"DECIMAL"}:
        yield Problem("sequence", f"a sequence needs an integer column, not {kind}")
    if col.pattern is not None and kind not in STRING_TYPES:
        yield Problem("pattern", f"a pattern needs a VARCHAR or CHAR column, not {kind}")
    elif col.pattern is not None and col.varchar_length is not None:
        from dwsim_shared.generation.patterns import pattern_width

        width = pattern_width(col.pattern)
        if width > col.varchar_length:
            yield Problem(
                "pattern",
                f"pattern {col.pattern!r} makes {width} characters, longer than {kind}({col.varchar_length})",
            )
    if col.null_rate and not col.nullable:
        yield Problem(
            "null_rate", f"null_rate {col.null_rate:g} on a required column; set required to false"
        )
    if col.weights is not None:
        if col.choices is None:
            yield Problem("weights", "weights given without choices")
        elif len(col.weights) != len(col.choices):
            yield Problem(
                "weights",
                f"{len(col.weights)} weights for {len(col.choices)} choices; give one per choice",
            )
        elif sum(col.weights) <= 0:
            yield Problem("weights", "weights must not all be 0")
    if kind == "DECIMAL":
        yield from _decimal_problems(col)
    if col.choices is not None and col.varchar_length is not None:
        for i, choice in enumerate(col.choices):
            if choice is not None and len(str(choice)) > col.varchar_length:
                yield Problem(
                    f"choices[{i}]",
                    f"choice {str(choice)!r} is {len(str(choice))} characters, longer than "
                    f"{kind}({col.varchar_length})",
                )
    if col.faker_rule is not None:
        message = _faker_rule_problem(exp.locale, col.faker_rule)
        if message:
            yield Problem("faker_rule", message)
    if col.foreign_key is not None:
        for message in _reference_problems(exp, table, [col.name], col.foreign_key.references_table,
                                           [col.foreign_key.references_column], col.nullable):  # fmt: skip
            yield Problem("foreign_key", message)
    elif table.is_unique_column(col):
        yield from _capacity_problems(table, col)
    if kind in INTEGER_TYPES:
        limit = INTEGER_LIMITS[kind]
        for field in ("min_value", "max_value"):
            value = getattr(col, field)
            if value is not None and not (-limit - 1 <= value <= limit):
                yield Problem(
                    field, f"{field} {value:g} does not fit {kind} (-{limit + 1}..{limit})"
                )


def _decimal_problems(col: Column) -> Iterator[Problem]:
    precision, scale = col.decimal_precision_scale
    if scale > precision:
        yield Problem("scale", f"scale {scale} is greater than precision {precision}")
        return
    largest = 10 ** (precision - scale) - 10.0**-scale
    for field in ("min_value", "max_value"):
        value = getattr(col, field)
        if value is not None and abs(value) > largest:
            yield Problem(
                field,
                f"{field} {value:g} does not fit DECIMAL({precision},{scale}) (max {largest:g})",
            )
    if precision > MAX_DECIMAL_PRECISION:
        yield Problem("precision", f"precision {precision} is above {MAX_DECIMAL_PRECISION}")


def _capacity_problems(table: Table, col: Column) -> Iterator[Problem]:
    """A unique column must be able to hold `target_rows` distinct values."""
    rows = table.target_rows
    kind = col.data_type
    if col.choices is not None:
        distinct = len({repr(c) for c in col.choices})
        if distinct < rows:
            yield Problem(
                "choices", f"unique column has {distinct} distinct choices for {rows} rows"
            )
    elif col.pattern is not None:
        from dwsim_shared.generation.patterns import pattern_capacity

        capacity = pattern_capacity(col.pattern)
        if capacity < rows:
            yield Problem(
                "pattern",
                f"pattern {col.pattern!r} makes {capacity} distinct values, fewer than target_rows {rows}",
            )
    elif kind in INTEGER_TYPES and col.sequence is None:
        low = col.min_value if col.min_value is not None else 1
        high = col.max_value if col.max_value is not None else INTEGER_LIMITS[kind]
        capacity = int(high) - int(low) + 1
        if capacity < rows:
            path = "max_value" if col.max_value is not None else "data_type"
            yield Problem(
                path,
                f"unique range {low:g}..{high:g} holds {capacity} values, fewer than target_rows {rows}",
            )
    elif kind in INTEGER_TYPES and col.sequence is not None:
        last = col.sequence.start + (rows - 1) * col.sequence.step
        limit = INTEGER_LIMITS[kind]
        if rows and not (-limit - 1 <= last <= limit):
            yield Problem("sequence", f"the sequence reaches {last} at row {rows}, beyond {kind}")
    elif kind == "DATE" and col.date_start and col.date_end:
        capacity = (col.date_end - col.date_start).days + 1
        if capacity < rows:
            yield Problem(
                "date_end",
                f"unique date range {col.date_start}..{col.date_end} holds {capacity} days, fewer than target_rows {rows}",
            )
    elif kind == "BOOLEAN" and rows > 2:
        yield Problem("is_unique", f"a unique BOOLEAN holds 2 values, not {rows}")
    elif kind in STRING_TYPES and col.varchar_length is not None:
        # Unique strings end in the base-36 digits of the row index.
        capacity = 36**col.varchar_length
        if capacity < rows:
            yield Problem(
                "varchar_length",
                f"{kind}({col.varchar_length}) holds at most {capacity} distinct values, fewer than target_rows {rows}",
            )
    elif kind == "DECIMAL":
        precision, scale = col.decimal_precision_scale
        capacity = 10 ** (precision - scale)
        if capacity < rows:
            yield Problem(
                "precision",
                f"DECIMAL({precision},{scale}) holds {capacity} distinct whole values, fewer than target_rows {rows}",
            )


def _key_problems(exp: Experiment, table: Table, t_path: str) -> Iterator[Problem]:
    groups = {
        "primary_key": [table.primary_key] if table.primary_key else [],
        "unique_constraints": table.unique_constraints or [],
        "composite_keys": table.composite_keys or [],
    }
    for field, keys in groups.items():
        for k_i, key in enumerate(keys):
            key_path = f"{t_path}.{field}" + ("" if field == "primary_key" else f"[{k_i}]")
            if not key:
                yield Problem(key_path, f"an empty key in table {table.name!r}")
            for c_i, name in enumerate(key):
                if table.column(name) is None:
                    yield Problem(
                        f"{key_path}[{c_i}]", f"table {table.name!r} has no column {name!r}"
                    )
            if len(key) > 1 and all(table.column(n) for n in key):
                yield from (Problem(key_path, m) for m in _composite_capacity(exp, table, key))
    joint = table.joint_keys()
    for i, first in enumerate(joint):
        for second in joint[i + 1 :]:
            shared = {n.lower() for n in first} & {n.lower() for n in second}
            if shared:
                yield Problem(
                    t_path,
                    f"keys ({', '.join(first)}) and ({', '.join(second)}) of {table.name} share "
                    f"{', '.join(sorted(shared))}: overlapping multi-column keys cannot both be "
                    "generated unique; make one column of them unique, or drop one key",
                )
    for name in table.primary_key or []:
        col = table.column(name)
        if col is not None and not col.required:
            yield Problem(
                f"{t_path}.primary_key",
                f"primary key column {table.name}.{col.name} must be required",
            )


def _composite_capacity(exp: Experiment, table: Table, key: list[str]) -> Iterator[str]:
    """Refuse a composite key whose columns all have finite domains too small for the rows."""
    capacity = 1
    for name in key:
        col = table.column(name)
        assert col is not None
        size = _domain_size(exp, col)
        if size is None:
            return
        capacity *= size
    if capacity < table.target_rows:
        names = ", ".join(key)
        yield f"key ({names}) of {table.name} holds {capacity} combinations, fewer than target_rows {table.target_rows}"


def _domain_size(exp: Experiment, col: Column) -> int | None:
    if col.foreign_key is not None:
        parent = exp.table(col.foreign_key.references_table)
        return parent.target_rows if parent is not None else None
    if col.choices is not None:
        return len({repr(c) for c in col.choices})
    if col.data_type == "BOOLEAN":
        return 2
    if col.data_type in INTEGER_TYPES and col.min_value is not None and col.max_value is not None:
        return int(col.max_value) - int(col.min_value) + 1
    if col.data_type == "DATE" and col.date_start and col.date_end:
        return (col.date_end - col.date_start).days + 1
    return None


def _table_foreign_key_problems(exp: Experiment, table: Table, t_path: str) -> Iterator[Problem]:
    for f_i, fk in enumerate(table.foreign_keys or []):
        path = f"{t_path}.foreign_keys[{f_i}]"
        missing = [n for n in fk.columns if table.column(n) is None]
        if missing:
            yield Problem(f"{path}.columns", f"table {table.name!r} has no column {missing[0]!r}")
            continue
        nullable = fk.nullable or all(table.column(n).nullable for n in fk.columns)  # type: ignore[union-attr]
        for message in _reference_problems(
            exp, table, fk.columns, fk.references_table, fk.references_columns, nullable
        ):
            yield Problem(path, message)


def _reference_problems(
    exp: Experiment,
    table: Table,
    columns: list[str],
    parent_name: str,
    targets: list[str],
    nullable: bool,
) -> Iterator[str]:
    where = (
        f"{table.name}.({', '.join(columns)})" if len(columns) > 1 else f"{table.name}.{columns[0]}"
    )
    parent = exp.table(parent_name)
    if parent is None:
        names = ", ".join(t.name for t in exp.tables)
        yield f"{where} references missing table {parent_name!r} (tables: {names})"
        return
    missing = [t for t in targets if parent.column(t) is None]
    if missing:
        yield f"{where} references missing column {parent.name}.{missing[0]}"
        return
    if not parent.is_unique_set(targets):
        target = f"({', '.join(targets)})" if len(targets) > 1 else targets[0]
        yield (
            f"{where} references {parent.name}.{target}, which is not unique "
            "(neither a primary key nor a unique constraint)"
        )
        return
    for name, target in zip(columns, targets, strict=True):
        child_col, parent_col = table.column(name), parent.column(target)
        assert child_col is not None and parent_col is not None
        if _type_family(child_col) != _type_family(parent_col):
            yield (
                f"{table.name}.{child_col.name} is {child_col.data_type} but references "
                f"{parent.name}.{parent_col.name} of type {parent_col.data_type}"
            )
    if parent.target_rows == 0 and table.target_rows > 0 and not nullable:
        yield f"{where} is required but {parent.name} has 0 rows"


def _type_family(col: Column) -> str:
    if col.data_type in INTEGER_TYPES or (col.data_type == "DECIMAL" and (col.scale or 0) == 0):
        return "integer"
    if col.data_type in STRING_TYPES:
        return "string"
    return col.data_type


def _required_edges(exp: Experiment) -> dict[str, set[str]]:
    """Table -> parents it references through foreign keys that may not be NULL."""
    edges: dict[str, set[str]] = {t.name.lower(): set() for t in exp.tables}
    for table in exp.tables:
        for col in table.columns:
            if col.foreign_key is not None and not col.nullable:
                edges[table.name.lower()].add(col.foreign_key.references_table.lower())
        for fk in table.foreign_keys or []:
            columns = [table.column(n) for n in fk.columns]
            if not fk.nullable and all(c is not None and not c.nullable for c in columns):
                edges[table.name.lower()].add(fk.references_table.lower())
    return {t: {p for p in parents if p in edges} for t, parents in edges.items()}


def _cycle_problems(exp: Experiment) -> Iterator[Problem]:
    """A cycle of required foreign keys has no first row; a nullable link in it breaks it."""
    edges = _required_edges(exp)
    names = {t.name.lower(): (i, t.name) for i, t in enumerate(exp.tables)}
    state: dict[str, int] = {}
    stack: list[str] = []
    reported: set[frozenset[str]] = set()

    def visit(node: str) -> Iterator[list[str]]:
        state[node] = 1
        stack.append(node)
        for parent in sorted(edges[node]):
            if state.get(parent) == 1:
                yield [*stack[stack.index(parent) :], parent]
            elif parent not in state:
                yield from visit(parent)
        stack.pop()
        state[node] = 2

    for start in sorted(edges):
        if start in state:
            continue
        for cycle in visit(start):
            members = frozenset(cycle)
            if members in reported:
                continue
            reported.add(members)
            index, _ = names[cycle[0]]
            chain = " -> ".join(names[n][1] for n in cycle)
            yield Problem(
                f"tables[{index}]",
                f"required foreign keys form a cycle ({chain}); make one of them nullable",
            )


def _faker_rule_problem(locale: str, rule: str) -> str | None:
    from dwsim_shared.generation.faker_pools import faker_has_rule, faker_rule_names

    if faker_has_rule(locale, rule):
        return None
    close = difflib.get_close_matches(rule, faker_rule_names(locale), n=3, cutoff=0.6)
    hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    return f"{rule!r} is not a Faker provider method for locale {locale!r}{hint}"
