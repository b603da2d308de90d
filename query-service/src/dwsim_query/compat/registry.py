"""The registry of rewrites: each a pure node-level `Expression -> Expression` function
registered for the (source dialect, engine) pairs it serves, applied as one ordered chain.

A rewrite returns its input unchanged when it does not apply. The chain visits every node
children-first, so a rewrite always sees arguments that were already rewritten.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from dwsim_shared.engines import adapters, semantic_sources

Rewrite = Callable[[exp.Expression], exp.Expression]

# The dialects whose meaning the chain carries, and the engines it writes for: both derive
# from the engine registry (`dwsim_shared.engines`); an engine is a warehouse adapter's
# `compat_engine` (the Redshift mock's is "postgres": it runs PostgreSQL's SQL).
SOURCES = semantic_sources()


def compat_engines() -> tuple[str, ...]:
    """The chain's engines, one per warehouse adapter (in registration order)."""
    return tuple(dict.fromkeys(a.compat_engine for a in adapters()))


def engine_labels() -> dict[str, str]:
    """What a refusal calls each engine: the label of the warehouse that runs on it."""
    labels: dict[str, str] = {}
    for adapter in adapters():
        labels.setdefault(adapter.compat_engine, adapter.label.lower())
    return labels


def engine_of(dialect: str) -> str:
    """The chain's engine for the sqlglot dialect a warehouse adapter writes."""
    for adapter in adapters():
        if dialect in (adapter.sqlglot_dialect, adapter.compat_engine):
            return adapter.compat_engine
    return dialect


ORIGIN = "dwsim_origin"
# The chain's order, family by family (within a family: the order of registration).
# GROUP BY ALL is spelled out before aggregates become pack calls; JSON paths and dates
# before the numeric casts that wrap them.
FAMILIES = ("grouping", "conditionals", "semistructured", "dates", "numeric", "strings",
            "aggregates", "windows", "emulator")  # fmt: skip


@dataclass(frozen=True)
class Registered:
    family: str
    fn: Rewrite
    sources: frozenset[str]
    engines: frozenset[str] | None  # None: every engine, also one registered later


_REGISTRY: list[Registered] = []


def rewrite(
    family: str, *, sources: Iterable[str] = SOURCES, engines: Iterable[str] | None = None
) -> Callable[[Rewrite], Rewrite]:
    """Register a rewrite (for every engine unless `engines` names some); the order of
    registration (module by module) is the chain's order."""

    if family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}; families: {', '.join(FAMILIES)}")
    sources = tuple(sources)
    chosen = None if engines is None else frozenset(engines)
    known = compat_engines()
    if unknown := sorted(set(sources) - set(SOURCES)) + sorted((chosen or set()) - set(known)):
        raise ValueError(
            f"unknown source or engine {unknown}; sources: {SOURCES}, engines: {known}"
        )

    def register(fn: Rewrite) -> Rewrite:
        _REGISTRY.append(Registered(family, fn, frozenset(sources), chosen))
        return fn

    return register


def combine(*fns: Rewrite) -> Rewrite:
    """Several rewrites as one pass over the tree (each sees the node the previous answered).
    For rewrites that never need to see what another one builds below the node: one walk of
    the tree instead of one each."""

    def combined(node: exp.Expression) -> exp.Expression:
        for fn in fns:
            node = fn(node)
        return node

    return combined


def chain(source: str, engine: str) -> list[Registered]:
    chosen = [
        r for r in _REGISTRY
        if source in r.sources and (r.engines is None or engine in r.engines)
    ]  # fmt: skip
    return sorted(chosen, key=lambda r: FAMILIES.index(r.family))


def mark_origins(tree: exp.Expression, sql: str) -> None:
    """Remember, on each function node, how the user wrote it and where (for messages)."""
    for node in tree.walk():
        meta = node.meta if node._meta else {}
        if "start" in meta and "line" in meta:
            words = sql[meta["start"] : meta["end"] + 1]
            node.meta[ORIGIN] = (words, meta["line"], meta["col"] - len(words) + 1)


def origin_of(node: Any) -> tuple[str, int, int] | None:
    while node is not None:
        if node._meta and ORIGIN in node.meta:
            found: tuple[str, int, int] = node.meta[ORIGIN]
            return found
        node = node.parent
    return None


def apply(tree: exp.Expression, source: str, engine: str) -> exp.Expression:
    """Run the chain of (source, engine) over every node, children first."""
    for registered in chain(source, engine):
        tree = _transform_post_order(tree, registered.fn)
    return tree


def _transform_post_order(tree: exp.Expression, fn: Rewrite) -> exp.Expression:
    node: Any
    for node in reversed(list(tree.walk(bfs=False))):
        # Where the node sits is read first: a rewrite may wrap the node in its replacement.
        parent, key, index = node.parent, str(node.arg_key), node.index
        new = fn(node)
        if new is node:
            continue
        if new.type is None or new.type.this == exp.DataType.Type.UNKNOWN:
            new.type = node.type  # a replacement means what the original meant
        if node._meta and ORIGIN in node.meta and not (new._meta and ORIGIN in new.meta):
            new.meta[ORIGIN] = node.meta[ORIGIN]
        if parent is None:
            tree = new
        else:
            parent.set(key, new, index)
    return tree
