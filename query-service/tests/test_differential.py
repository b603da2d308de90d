"""Differential test: every catalogued function form, called with arguments from a typed pool
(tests/differential.py), answers the same on SQLite, the Redshift mock and the Snowflake
emulator, or fails on all of them, or is refused by name. SQLite's type affinity turns text into
0 or NULL where the strictly typed engines fail: an answer on one engine where another fails, or
two different answers, is a candidate silent wrong answer.

The disagreements known today are listed, probe by probe, in golden/differential_known.txt (a
ratchet, like forms_without_cases.txt): a new disagreement fails the test, and so does a listed
one that went away (take it off the list). Regenerate the list with
DWSIM_DIFFERENTIAL_WRITE=1 after triaging what changed.

The probes go to each engine in batches (`differential.outcomes`: same outcome per probe as one
statement each). DWSIM_DIFFERENTIAL_OUTCOMES=<file> appends every probe's outcome per engine to
the file, to diff two runs (e.g. before and after a change to how probes are run)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from dwsim_query.compat.cases import load_cases

from .conftest import GOLDEN, GoldenEngine
from .differential import Outcome, Probe, disagreement, likely_to_fail, outcomes, probes

pytestmark = pytest.mark.integration
PROBES = list(probes(load_cases(GOLDEN / "cases")))
KNOWN = GOLDEN / "differential_known.txt"
HEADER = """\
# Probes of tests/test_differential.py on which the engines disagree today (a ratchet: the list
# may only shrink). Each is an open candidate silent wrong answer, triaged in docs/decisions.md
# ("Differential testing across engines"): mostly SQLite answering where both strictly typed
# engines fail (text where the source wants a number or a date; regular-expression positions out
# of range), and the Redshift mock (PostgreSQL) failing where Snowflake converts implicitly.
"""


def _known() -> set[str]:
    lines = KNOWN.read_text(encoding="utf-8").splitlines() if KNOWN.exists() else []
    return {line for line in lines if line and not line.startswith("#")}


# The probes run in slices, one test each, so xdist spreads them over its workers (one test of
# all ~1,800 probes took 84 s of the suite's critical path).
SLICES = 4


def _key(probe: Probe) -> str:
    return f"[{probe.dialect}] {probe.expr}".replace("\n", "\\n")


@pytest.mark.parametrize("part", range(SLICES), ids=lambda part: f"slice{part + 1}of{SLICES}")
def test_engines_agree_on_every_probe(golden_engines: dict[str, GoldenEngine], part: int) -> None:
    assert len(PROBES) > 1200, len(PROBES)
    mine = PROBES[part::SLICES]
    spent: dict[str, float] = {}

    def run(name: str, likely_fails: Callable[[Probe], bool] = likely_to_fail) -> list[Outcome]:
        started = time.perf_counter()
        got = outcomes(golden_engines[name], mine, likely_fails)
        spent[name] = round(time.perf_counter() - started, 1)
        return got

    # SQLite first; its outcomes tell the other two engines (which agree with it on all but a
    # few probes) what to batch. Those two run side by side: the emulator works in a process
    # of its own while the Redshift mock's statements are translated here.
    first = run("sqlite")
    fails = {probe for probe, got in zip(mine, first, strict=True) if got.kind != "value"}
    others = [name for name in golden_engines if name != "sqlite"]
    with ThreadPoolExecutor(len(others)) as pool:
        ran = pool.map(lambda name: run(name, fails.__contains__), others)
        rest = dict(zip(others, ran, strict=True))
    by_engine = {"sqlite": first} | rest
    if path := os.environ.get("DWSIM_DIFFERENTIAL_OUTCOMES"):  # every probe's outcome, to diff
        with open(path, "a", encoding="utf-8") as out:
            for name, answers in by_engine.items():
                for probe, o in zip(mine, answers, strict=True):
                    message = " ".join(o.message.split())
                    out.write(f"{name}\t{_key(probe)}\t{o.kind}\t{o.value!r}\t{message}\n")
    found: dict[str, str] = {}
    for index, probe in enumerate(mine):
        per_engine = {name: by_engine[name][index] for name in golden_engines}
        why = disagreement(per_engine)
        if why:
            shown = "; ".join(f"{n}={o}" for n, o in per_engine.items())
            found[_key(probe)] = f"{why} ({shown})"
    keys = {_key(probe) for probe in mine}
    if os.environ.get("DWSIM_DIFFERENTIAL_WRITE"):  # by hand, with -n 0: one slice at a time
        kept = {key for key in _known() if key not in keys} | set(found)
        KNOWN.write_text(HEADER + "".join(f"{key}\n" for key in sorted(kept)), encoding="utf-8")
        print("\n".join(f"{key}: {why}" for key, why in sorted(found.items())))
    known = {key for key in _known() if key in keys}
    new = [f"{key}: {found[key]}" for key in sorted(set(found) - known)]
    gone = sorted(known - set(found))
    assert not new, f"{len(new)} new disagreements (seconds per engine {spent}):\n" + "\n".join(
        new[:60]
    )
    assert not gone, "these probes agree now: take them off differential_known.txt\n" + "\n".join(
        gone
    )


def test_every_known_disagreement_is_a_probe() -> None:
    """A listed disagreement that names no probe any more (its golden case changed) is stale."""
    stale = sorted(_known() - {_key(probe) for probe in PROBES})
    assert not stale, "take these off differential_known.txt:\n" + "\n".join(stale)
