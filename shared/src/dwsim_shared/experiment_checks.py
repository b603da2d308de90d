"""Checks that need more than one field: each problem names its JSON path, table, column, numbers.

Everything here refuses an experiment that cannot be generated, before any work starts. What a
rule needs is asked of the rule itself (`generation.rules`), through the compiled plan; this
module adds what belongs to no single rule: fields on the wrong type, keys, table-level foreign
keys and cycles of required foreign keys.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import ValidationError

from dwsim_shared.errors import InvalidInput
from dwsim_shared.experiment import (
    MAX_DECIMAL_PRECISION,
    NUMERIC_TYPES,
    STRING_TYPES,
    TEMPORAL_TYPES,
    Column,
    Experiment,
    Table,
    invalid_input,
    summary,
)
from dwsim_shared.generation.plan import GenerationPlan, TablePlan, compile_plan
from dwsim_shared.generation.rules import rule_conflicts
from dwsim_shared.generation.rules.base import Problem
from dwsim_shared.generation.rules.composite import capacity_problem
from dwsim_shared.generation.rules.foreign_key import reference_problems

__all__ = ["Problem", "check_experiment", "document_problems", "parse_experiment"]


def document_problems(exp: Experiment) -> list[dict[str, str]]:
    return [p.as_dict() for p in _all_problems(exp)]


def _all_problems(exp: Experiment) -> Iterator[Problem]:
    plan = compile_plan(exp)
    seen_tables: set[str] = set()
    for t_i, table in enumerate(exp.tables):
        t_path = f"tables[{t_i}]"
        if table.name.lower() in seen_tables:
            yield Problem(f"{t_path}.name", f"duplicate table name {table.name!r}")
            continue
        seen_tables.add(table.name.lower())
        table_plan = plan.table(table.name)
        seen_columns: set[str] = set()
        for c_i, col in enumerate(table.columns):
            c_path = f"{t_path}.columns[{c_i}]"
            if col.name.lower() in seen_columns:
                yield Problem(
                    f"{c_path}.name", f"duplicate column name {col.name!r} in table {table.name!r}"
                )
                continue
            seen_columns.add(col.name.lower())
            for problem in _column_problems(exp, table_plan, col):
                yield Problem(
                    f"{c_path}.{problem.path}", f"{table.name}.{col.name}: {problem.message}"
                )
        yield from _key_problems(plan, table, t_path)
        yield from _table_foreign_key_problems(exp, table, t_path)
    yield from _cycle_problems(exp)


def _field_problems(col: Column) -> Iterator[Problem]:
    """Fields set on a type they do not apply to."""
    kind = col.data_type
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
    if kind == "DECIMAL":
        precision, scale = col.decimal_precision_scale
        if scale > precision:
            yield Problem("scale", f"scale {scale} is greater than precision {precision}")
        if precision > MAX_DECIMAL_PRECISION:
            yield Problem("precision", f"precision {precision} is above {MAX_DECIMAL_PRECISION}")
    if col.null_rate and not col.nullable:
        yield Problem(
            "null_rate", f"null_rate {col.null_rate:g} on a required column; set required to false"
        )
    if col.weights is not None and col.choices is None:
        yield Problem("weights", "weights given without choices")


def _column_problems(exp: Experiment, table_plan: TablePlan, col: Column) -> Iterator[Problem]:
    yield from _field_problems(col)
    conflicts = list(rule_conflicts(col))
    yield from conflicts
    if conflicts:
        return  # which rule would apply is not known: the rule's own checks would mislead
    plan = table_plan.column(col.name)
    yield from plan.rule.problems(exp, table_plan.table, table_plan.rows, plan.unique)


def _key_problems(plan: GenerationPlan, table: Table, t_path: str) -> Iterator[Problem]:
    groups = {
        "primary_key": [table.primary_key] if table.primary_key else [],
        "unique_constraints": table.unique_constraints or [],
        "composite_keys": table.composite_keys or [],
    }
    table_plan = plan.table(table.name)
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
                sizes = [
                    table_plan.column(n).rule.key_domain(plan.experiment, plan.row_targets)
                    for n in key
                ]
                for message in capacity_problem(table.name, key, sizes, table_plan.rows):
                    yield Problem(key_path, message)
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


def _table_foreign_key_problems(exp: Experiment, table: Table, t_path: str) -> Iterator[Problem]:
    for f_i, fk in enumerate(table.foreign_keys or []):
        path = f"{t_path}.foreign_keys[{f_i}]"
        missing = [n for n in fk.columns if table.column(n) is None]
        if missing:
            yield Problem(f"{path}.columns", f"table {table.name!r} has no column {missing[0]!r}")
            continue
        nullable = fk.nullable or all(table.column(n).nullable for n in fk.columns)  # type: ignore[union-attr]
        for message in reference_problems(
            exp, table, fk.columns, fk.references_table, fk.references_columns, nullable
        ):
            yield Problem(path, message)


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


def parse_experiment(document: Any) -> Experiment:
    """Validate a JSON document into an `Experiment`, or raise `InvalidInput` listing every problem."""
    try:
        exp = Experiment.model_validate(document)
    except ValidationError as error:
        raise invalid_input(error) from None
    check_experiment(exp)
    return exp


def check_experiment(exp: Experiment) -> None:
    """The whole-document checks; `InvalidInput` lists every problem with its JSON path."""
    problems = document_problems(exp)
    if problems:
        raise InvalidInput(summary(problems), problems=problems)
