"""Every argument form the catalogue allows has a golden case: nothing is allowed untested
(pure logic: it reads the catalogue and the case files, the cases themselves run in
test_golden.py on every engine)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from dwsim_query.compat.cases import load_cases
from dwsim_query.compat.catalogue import ENGINE_LABELS, SOURCES, Entry, _calls, catalogue

GOLDEN = Path(__file__).parent / "golden"
CASES = load_cases(GOLDEN / "cases")
# The forms still without a case when this check was written: the list may only shrink (a
# form given a case must leave it, and no new form may go without one).
GAPS = GOLDEN / "forms_without_cases.txt"
VARIADIC = 63  # `N+` forms are stored as N..63: one case with at least N arguments covers them


def required_forms(entry: Entry, dialect: str) -> set[str]:
    """The forms of `entry` in `dialect` that need a case: each fixed argument count, and for
    a variadic form (`N+`) one case with at least N arguments. None when every engine refuses
    the function (a refusal by name needs no answer to check)."""
    if all(not entry.status(engine).startswith("yes") for engine in ENGINE_LABELS):
        return set()
    counts = entry.forms[dialect]
    if counts is None:
        return {"0+"}
    fixed = {str(n) for n in counts if n < VARIADIC}
    if VARIADIC in counts:
        low = min(n for n in range(VARIADIC + 1) if all(m in counts for m in range(n, VARIADIC)))
        fixed = {f for f in fixed if int(f) < low} | {f"{low}+"}
    return fixed


def covered(count: int | None, form: str) -> bool:
    if count is None:  # a keyword spelling (CAST(x AS t), TRIM(c FROM s)): any form of it
        return True
    if form.endswith("+"):
        return count is not None and count >= int(form[:-1])
    return count is not None and str(count) == form


def test_every_allowed_form_has_a_golden_case() -> None:
    calls: dict[tuple[str, str], set[int | None]] = defaultdict(set)
    for case in CASES:
        for name, count, _, _ in _calls(case.sql, case.dialect):
            calls[(name, case.dialect)].add(count)
    missing = []
    for entry in catalogue().values():
        for dialect in SOURCES:
            if not entry.in_dialect(dialect):
                continue
            seen = calls.get((entry.name, dialect), set())
            for form in sorted(required_forms(entry, dialect)):
                if not any(covered(count, form) for count in seen):
                    missing.append(f"{entry.name}/{form} ({dialect})")
    known = {line for line in GAPS.read_text().splitlines() if line and not line.startswith("#")}
    new = sorted(set(missing) - known)
    assert not new, f"{len(new)} allowed forms have no golden case: {', '.join(new)}"
    covered_now = sorted(known - set(missing))
    assert not covered_now, f"these forms have cases now, take them off {GAPS.name}: {covered_now}"


def test_forms_are_read_as_the_catalogue_writes_them() -> None:
    entries = catalogue()
    assert required_forms(entries["REGEXP_SUBSTR"], "redshift") == {"2", "3", "4", "5"}
    assert required_forms(entries["COALESCE"], "redshift") == {"1+"}
    # refused on every engine: no case to run
    assert required_forms(entries["CRC32"], "redshift") == set()


# (function, dialect, engine) the catalogue says runs, with no golden case that runs it there
# when this check was written: the list may only shrink.
UNRUN = GOLDEN / "functions_without_engine_cases.txt"


def unrun_functions() -> list[str]:
    """`NAME (dialect) on engine` for each function the catalogue marks runnable on an engine
    (`yes`) that no golden case of that dialect calls without that engine refusing it."""
    from dwsim_shared.engines import adapters

    golden = {a.compat_engine: a.name for a in adapters()}  # compat engine -> case engine
    ran: dict[tuple[str, str], set[str]] = defaultdict(set)
    for case in CASES:
        runs_on = {name for name in golden.values() if name not in case.refuse}
        for name, _, _, _ in _calls(case.sql, case.dialect):
            ran[(name, case.dialect)] |= runs_on
    missing = []
    for entry in catalogue().values():
        for dialect in SOURCES:
            if not entry.in_dialect(dialect):
                continue
            for engine in ENGINE_LABELS:
                if entry.status(engine, dialect) != "yes":
                    continue
                if golden[engine] not in ran.get((entry.name, dialect), set()):
                    missing.append(f"{entry.name} ({dialect}) on {golden[engine]}")
    return missing


def test_every_function_marked_runnable_ran_on_that_engine() -> None:
    """A `yes` in the catalogue (and so in docs/sql-compatibility.md) is backed by a golden
    case that answers on that engine: a case that refuses it there contradicts the catalogue."""
    missing = set(unrun_functions())
    known = {line for line in UNRUN.read_text().splitlines() if line and not line.startswith("#")}
    new = sorted(missing - known)
    assert not new, f"{len(new)} functions marked runnable never ran there: {', '.join(new)}"
    covered_now = sorted(known - missing)
    assert not covered_now, (
        f"these run in a golden case now, take them off {UNRUN.name}: {covered_now}"
    )
