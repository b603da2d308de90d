"""Differential probes: every catalogued function form the simulator runs, called with
arguments from a small typed pool, on every engine. Each probe starts from a call a golden case
makes with literal arguments (the documented example, so the other arguments make sense) and
swaps one argument at a time for a value of another kind (NULL, '', 'abc', '12', 0, -1, 2.5,
a large integer, a DATE, a TIMESTAMP, a boolean). SQLite converts text to numbers silently where
the strictly typed engines (PostgreSQL, DuckDB) fail: an answer on one engine where another
fails, or two different answers, is a candidate silent wrong answer."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from dwsim_query.compat.cases import Case, normalize, same
from dwsim_query.compat.catalogue import catalogue
from dwsim_query.results import encode_rows

# Functions whose answer changes from call to call or with the clock: nothing to compare.
MOVING = re.compile(r"RANDOM|UUID|CURRENT|SYSDATE|GETDATE|NOW|LOCALTIME|UNIFORM|SEQ\d")
# An argument the probe may swap: a literal (string, number, NULL, boolean, typed literal) or a
# column of the golden table's first row.
COLUMNS = {"i": "number", "j": "number", "n": "number", "f": "number", "id": "number",
           "s": "text", "d": "date", "ts": "timestamp", "nul": "number"}  # fmt: skip
_KINDS = [
    ("null", re.compile(r"(?i)NULL")),
    ("boolean", re.compile(r"(?i)TRUE|FALSE")),
    ("number", re.compile(r"-?\d+(\.\d+)?")),
    ("date", re.compile(r"(?i)DATE\s*'[^']*'")),
    ("timestamp", re.compile(r"(?i)TIMESTAMP\s*'[^']*'")),
    ("text", re.compile(r"'(?:[^']|'')*'")),
]
# Per kind of the documented argument, the values put in its place.
POOL = {
    "number": ["NULL", "'abc'", "''", "-1", "2.5", "12345678901234"],
    "text": ["NULL", "''", "'abc'", "' 12 '"],
    "date": ["NULL", "'abc'", "'2024-02-29'", "TIMESTAMP '2024-02-29 23:59:59'"],
    "timestamp": ["NULL", "'abc'", "'2024-02-29 23:59:59'", "DATE '2024-02-29'"],
    "boolean": ["NULL", "'abc'", "2.5"],
    "null": ["'abc'"],
}
_CALL = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*)\s*\(")


def kind_of(argument: str) -> str | None:
    if argument in COLUMNS:
        return COLUMNS[argument]
    return next((k for k, pattern in _KINDS if pattern.fullmatch(argument)), None)


def _arguments(sql: str, start: int) -> tuple[list[str], int] | None:
    """The top-level arguments of the call whose `(` is at `start`, and the index after `)`."""
    depth, quoted, parts, current = 0, False, [], ""
    for index in range(start, len(sql)):
        char = sql[index]
        if quoted:
            current += char
            quoted = char != "'"
            continue
        if char == "'":
            quoted = True
        elif char == "(":
            depth += 1
            if depth == 1:
                continue
        elif char == ")":
            depth -= 1
            if depth == 0:
                parts.append(current.strip())
                return [p for p in parts if p] if any(parts) else [], index + 1
        elif char == "," and depth == 1:
            parts.append(current.strip())
            current = ""
            continue
        current += char
    return None


@dataclass(frozen=True)
class Probe:
    dialect: str
    function: str
    expr: str
    # The value swapped in and the kind of the argument it replaced (only to guess, before it
    # runs, whether the probe is likely to fail: see `outcomes`).
    value: str = field(default="", compare=False)
    slot: str = field(default="", compare=False)

    @property
    def sql(self) -> str:
        return f"SELECT {self.expr} AS v FROM g WHERE id = 1"


def base_calls(cases: list[Case]) -> dict[tuple[str, str, int], list[str]]:
    """Per (dialect, FUNCTION, argument count), the first golden call with swappable arguments."""
    entries = catalogue()
    found: dict[tuple[str, str, int], list[str]] = {}
    for case in cases:
        if case.refuse or case.fails:
            continue
        for match in _CALL.finditer(case.sql):
            name = match.group(1).upper()
            entry = entries.get(name)
            if entry is None or not entry.in_dialect(case.dialect) or MOVING.search(name):
                continue
            if entry.family in ("windows", "operators"):
                continue
            parsed = _arguments(case.sql, match.end() - 1)
            if parsed is None or not parsed[0]:
                continue
            arguments = parsed[0]
            if all(kind_of(a) is not None for a in arguments):
                found.setdefault((case.dialect, name, len(arguments)), arguments)
    return found


def probes(cases: list[Case], per_form: int = 7) -> Iterator[Probe]:
    """Per function form, up to `per_form` probes (the first argument's swaps first)."""
    for (dialect, name, _), arguments in sorted(base_calls(cases).items()):
        made = 0
        for position, argument in enumerate(arguments):
            for value in POOL[kind_of(argument) or "null"]:
                if value == argument or made == per_form:
                    continue
                swapped = [*arguments[:position], value, *arguments[position + 1 :]]
                made += 1
                expr = f"{name}({', '.join(swapped)})"
                yield Probe(dialect, name, expr, value, kind_of(argument) or "null")


@dataclass(frozen=True)
class Outcome:
    kind: str  # "value", "refused" (by name, before the engine runs it) or "failed"
    value: Any = None
    message: str = ""

    def __str__(self) -> str:
        if self.kind == "value":
            return repr(normalize(self.value))
        return f"{self.kind}: {' '.join(self.message.split())[:90]}"


def outcome(engine: Any, probe: Probe) -> Outcome:
    try:  # any refusal (before the engine runs it) is an outcome to compare
        prepared = engine.prepared(probe.sql, probe.dialect)
    except Exception as error:
        return Outcome("refused", message=str(getattr(error, "message", error)))
    try:
        result = engine.warehouse.run_query(
            engine.experiment.name, prepared.sql, row_cap=10, timeout_s=60
        )
        rows = encode_rows(result.rows, prepared.columns)
    except Exception as error:
        return Outcome("failed", message=str(getattr(error, "message", error)))
    return Outcome("value", rows[0][0] if rows and rows[0] else None)


# Probes sent to an engine in one statement (one translation and one round trip for all): a
# statement costs the emulator about 0.1 s and the translation about 30 ms before any work
# proportional to its expressions.
BATCH = 16


def likely_to_fail(probe: Probe) -> bool:
    """Text that is no number, date or time where the call wants one: most such probes fail
    on every engine (SQLite's guard included), so they are not worth batching."""
    return probe.slot != "text" and probe.value in ("'abc'", "''")


def outcomes(
    engine: Any, probes: Sequence[Probe], likely_fails: Callable[[Probe], bool] = likely_to_fail
) -> list[Outcome]:
    """`outcome(engine, probe)` of each probe, the same outcome probe by probe, at a fraction
    of the cost: the probes not `likely_fails` go in batches, one SELECT of up to `BATCH`
    expressions per statement. A batch answers its probes' values only when the engine
    translated and ran it whole and returned one row with one value per probe; otherwise
    (one probe refused or failing fails the batch) it is split, down to each probe run alone
    through `outcome`, so every refusal and failure is the probe's own.
    `likely_fails` only decides what is batched (a wrong guess costs time, not verdicts)."""
    found: list[Outcome | None] = [None] * len(probes)
    by_dialect: dict[str, list[int]] = {}
    for index, probe in enumerate(probes):
        if likely_fails(probe):
            found[index] = outcome(engine, probe)
        else:
            by_dialect.setdefault(probe.dialect, []).append(index)
    for indexes in by_dialect.values():
        for start in range(0, len(indexes), BATCH):
            _split(engine, probes, indexes[start : start + BATCH], found)
    assert all(o is not None for o in found)
    return [o for o in found if o is not None]


def _split(engine: Any, probes: Sequence[Probe], indexes: list[int], found: list[Any]) -> None:
    """Run the probes at `indexes` as one batch; where it does not answer, a batch per function
    (a function the engine refuses takes all its probes with it), then each probe alone."""
    if len(indexes) == 1:
        found[indexes[0]] = outcome(engine, probes[indexes[0]])
        return
    values = _batch_values(engine, [probes[index] for index in indexes])
    if values is not None:
        for index, value in zip(indexes, values, strict=True):
            found[index] = Outcome("value", value)
        return
    by_function: dict[str, list[int]] = {}
    for index in indexes:
        by_function.setdefault(probes[index].function, []).append(index)
    for group in by_function.values() if len(by_function) > 1 else [[i] for i in indexes]:
        _split(engine, probes, group, found)


def batch_sql(batch: Sequence[Probe]) -> str:
    """One SELECT of the probes' expressions (one dialect), in their order."""
    listed = ", ".join(f"{probe.expr} AS v{n}" for n, probe in enumerate(batch))
    return f"SELECT {listed} FROM g WHERE id = 1"


def _batch_values(engine: Any, batch: Sequence[Probe]) -> list[Any] | None:
    """Each probe's value, or None where the batch as a whole did not answer one each."""
    try:
        prepared = engine.prepared(batch_sql(batch), batch[0].dialect)
        result = engine.warehouse.run_query(
            engine.experiment.name, prepared.sql, row_cap=10, timeout_s=60
        )
        rows = encode_rows(result.rows, prepared.columns)
    except Exception:  # split: each probe's own refusal or failure is its outcome
        return None
    if len(prepared.columns) != len(batch) or len(rows) != 1 or len(rows[0]) != len(batch):
        return None
    return list(rows[0])


def disagreement(outcomes: dict[str, Outcome]) -> str | None:
    """Why the engines that ran the probe disagree (a refusal by name is always allowed)."""
    ran = {name: o for name, o in outcomes.items() if o.kind != "refused"}
    if len(ran) < 2:
        return None
    kinds = {o.kind for o in ran.values()}
    if kinds == {"failed"}:
        return None
    if len(kinds) > 1:
        return (
            "answers on "
            + ", ".join(n for n, o in ran.items() if o.kind == "value")
            + "; fails on "
            + ", ".join(n for n, o in ran.items() if o.kind == "failed")
        )
    values = list(ran.values())
    if all(same(o.value, values[0].value, 1e-9) for o in values[1:]):
        return None
    return "different answers"
