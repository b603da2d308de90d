"""`POST /functions`: the SQL function catalogue as an editor's hover and completion read it,
for one experiment: each function's signature in the experiment's dialect, its result type,
whether this experiment's engine runs it (or refuses it, and why), its reference page, and for a
function of the other dialect what to write instead. Read through the catalogue's API
(`compat.catalogue`), never from its data file."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from dwsim_query.compat import engine_labels, engine_of
from dwsim_query.compat.catalogue import (
    INSTEAD,
    LABELS,
    SOURCES,
    UNSUPPORTED,
    Entry,
    catalogue,
)
from dwsim_query.service import experiment_context
from dwsim_shared.runtime import Runtime

router = APIRouter(tags=["functions"])


class FunctionsRequest(BaseModel):
    model_config = {"extra": "forbid"}

    experiment: str


def signature(name: str, forms: frozenset[int] | None) -> str:
    """`NAME(x1, x2[, x3])` from the argument counts a dialect accepts.

    >>> signature("ROUND", frozenset({1, 2}))
    'ROUND(x1[, x2])'
    >>> signature("CONCAT", None)
    'CONCAT(...)'
    >>> signature("SYSDATE", frozenset({0, 1}))
    'SYSDATE([x1])'
    >>> signature("F", frozenset({2, 4}))
    'F(x1, x2) or F(x1, x2, x3, x4)'
    """
    if forms is None:
        return f"{name}(...)"
    if not forms:
        return f"{name}()"
    low, high = min(forms), max(forms)
    required = [f"x{i}" for i in range(1, low + 1)]
    if high >= 63:  # "low or more"
        return f"{name}({', '.join([*required, '...'])})"
    if forms != frozenset(range(low, high + 1)):
        return " or ".join(
            f"{name}({', '.join(f'x{i}' for i in range(1, n + 1))})" for n in sorted(forms)
        )
    optional = "".join(f"[{', ' if i > 1 else ''}x{i}" for i in range(low + 1, high + 1)) + "]" * (
        high - low
    )
    return f"{name}({', '.join(required)}{optional})"


def _signature(entry: Entry, dialect: str) -> str:
    """The signature the simulator runs, or the one the vendor's reference writes."""
    return signature(entry.name, entry.argument_counts(dialect))


def describe(entry: Entry, dialect: str, engine: str) -> dict[str, Any]:
    """One function as the editor shows it for an experiment of `dialect` on `engine`."""
    here = entry.in_dialect(dialect)
    status = entry.status(engine, dialect)
    out: dict[str, Any] = {
        "name": entry.name,
        "family": entry.family,
        "in_dialect": here,
        "result": entry.result,
        "literals": entry.literals.get(dialect),
        "refused": not here or status != "yes",
    }
    if here:
        out["signature"] = _signature(entry, dialect)
        out["supported"] = status == "yes"
        out["status"] = (
            f"runs on the {engine_labels()[engine]} engine"
            if status == "yes"
            else f"refused on the {engine_labels()[engine]} engine: {status.removeprefix('refused: ')}"
        )
        out["doc"] = entry.doc(dialect)
    elif dialect in entry.unsupported:  # the vendor's function, which the simulator refuses
        reason = entry.unsupported[dialect]
        out["signature"] = _signature(entry, dialect)
        out["supported"] = False
        out["status"] = f"{entry.name} ({LABELS[dialect]} SQL) is {UNSUPPORTED}" + (
            "" if reason == UNSUPPORTED else f": {reason}"
        )
        out["doc"] = entry.doc(dialect)
    else:
        other = next(d for d in SOURCES if d != dialect and entry.exists_in(d))  # (runs there)
        out["signature"] = _signature(entry, other)
        out["supported"] = False
        hint = f"; use {INSTEAD[entry.name]}" if entry.name in INSTEAD else ""
        out["status"] = f"{LABELS[other]} SQL, refused in {LABELS[dialect]} SQL{hint}"
        out["doc"] = entry.doc(other)
    return out


def functions(rt: Runtime, request: FunctionsRequest) -> dict[str, Any]:
    context = experiment_context(rt, request.experiment)
    dialect = context.experiment.source_dialect
    engine = engine_of(context.warehouse.sqlglot_dialect)
    catalogued = dialect in SOURCES
    # Every function of the dialect's reference, the refused ones saying why, and the other
    # dialect's functions the simulator runs (to say what to write instead). Operators are not
    # called by name: the editor's function help has no use for them.
    entries = sorted(
        (
            e
            for e in catalogue().values()
            if e.family != "operators"
            and (e.exists_in(dialect) or any(e.in_dialect(d) for d in SOURCES))
        ),
        key=lambda e: e.name,
    )
    if not catalogued:
        entries = []
    return {
        "experiment": context.name,
        "dialect": dialect,
        "engine": engine_labels().get(engine, engine),
        "catalogued": catalogued,
        "functions": [describe(e, dialect, engine) for e in entries],
    }


@router.post("/functions")
async def functions_endpoint(request: Request, body: FunctionsRequest) -> dict[str, Any]:
    """The catalogue's functions for one experiment's dialect and engine."""
    return await run_in_threadpool(functions, request.app.state.runtime, body)
