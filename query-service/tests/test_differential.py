"""Differential test: every catalogued function form, called with arguments from a typed pool
(tests/differential.py), answers the same on SQLite, the Redshift mock and the Snowflake
emulator, or fails on all of them, or is refused by name. SQLite's type affinity turns text into
0 or NULL where the strictly typed engines fail: an answer on one engine where another fails, or
two different answers, is a candidate silent wrong answer.

The disagreements known today are listed, probe by probe, in golden/differential_known.txt (a
ratchet, like forms_without_cases.txt): a new disagreement fails the test, and so does a listed
one that went away (take it off the list). Regenerate the list with
DWSIM_DIFFERENTIAL_WRITE=1 after triaging what changed."""

from __future__ import annotations

import os
import time

import pytest

from dwsim_query.compat.cases import load_cases

from .conftest import GOLDEN, GoldenEngine
from .differential import Probe, disagreement, outcome, probes

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
    found: dict[str, str] = {}
    spent = dict.fromkeys(golden_engines, 0.0)
    for probe in mine:
        outcomes = {}
        for name, engine in golden_engines.items():
            started = time.perf_counter()
            outcomes[name] = outcome(engine, probe)
            spent[name] += time.perf_counter() - started
        why = disagreement(outcomes)
        if why:
            shown = "; ".join(f"{n}={o}" for n, o in outcomes.items())
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
